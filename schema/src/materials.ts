/**
 * Course materials as launch links, forms and pages write them, the rules of their folders, and
 * nbgitpuller's own links (`git-pull?repo=…`), read and written.
 *
 * A material is written as its repository URL, optionally followed by `#` and its options:
 * `https://forge.example.org/course/materials.git#ref=main&path=week1`. The options follow the last `#`
 * of the value; a repository URL with a `#` of its own is always followed by one more.
 * Only a type import, which compiles away, so the home page's script loads this module as it is.
 */
import type { Material } from './generated/environment.js';

/** The longest folder a material may be pulled into. */
const MAX_PATH = 255;

// Only what would end or split an option is escaped: the launch link escapes the whole value again.
const escapeOption = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[%&=#+\u0000-\u001f\u007f]/g, char => encodeURIComponent(char));

/** `repo`, `repo#ref=<branch>`, `repo#path=<folder>` or `repo#ref=<branch>&path=<folder>`. */
export function encodeMaterial(material: Material): string {
  const options = (['ref', 'path'] as const)
    .filter(key => material[key] !== undefined)
    .map(key => `${key}=${escapeOption(material[key]!)}`)
    .join('&');
  return options || material.repo.includes('#')
    ? `${material.repo}#${options}`
    : material.repo;
}

/** Reads what {@link encodeMaterial} writes; null for an empty repository, an unknown or repeated option. */
export function decodeMaterial(value: string): Material | null {
  const mark = value.lastIndexOf('#');
  const material: Material = { repo: mark < 0 ? value : value.slice(0, mark) };
  if (!material.repo) return null;
  if (mark < 0) return material;
  for (const [key, option] of new URLSearchParams(value.slice(mark + 1))) {
    if ((key !== 'ref' && key !== 'path') || material[key] !== undefined)
      return null;
    material[key] = option;
  }
  return material;
}

/**
 * The folder git clone names after a repository, as nbgitpuller's link generator works it out
 * (`generateCloneDirectoryName`): the last part of the URL without `.git` or `.bundle`
 * (`…/materials.git` → `materials`). The server extension that pulls names it the same way.
 */
export function repositoryName(repo: string): string {
  const last = repo.replace(/\/+$/, '').split('/').pop()!.split(':').pop()!;
  return last.replace(/\.(?:git|bundle)$/, '');
}

/** The folder of the home a material is pulled into: its `path`, else its repository's name. */
export const materialPath = (material: Material): string =>
  material.path ?? repositoryName(material.repo);

/**
 * Why `path` cannot be a materials folder, said after the path itself ("is absolute; …"), or null.
 * A folder is relative to the home and stays inside it: nbgitpuller joins it to the home as it is,
 * so `..`, an absolute path or a hidden folder such as `.ipython/profile_default/startup` (whose
 * files every kernel runs) would reach beyond the materials. Braces are DockerSpawner's templates.
 */
export function materialPathProblem(path: string): string | null {
  if (path === '') return 'is empty';
  if (path.length > MAX_PATH)
    return `has ${path.length} characters, more than ${MAX_PATH}`;
  if (path.startsWith('/'))
    return 'is absolute; give a folder relative to the home, e.g. week1';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character';
  if (/[\\{}]/.test(path)) return "contains '\\', '{' or '}'";
  const parts = path.split('/');
  if (parts.includes('')) return "has an empty part ('//' or a trailing '/')";
  if (parts.includes('..')) return "climbs out of the home with '..'";
  if (parts.some(part => part.startsWith('.')))
    return "has a part that starts with '.' (a hidden folder such as .ssh or .git)";
  return null;
}

/** True when folder `a` is folder `b` or inside it. */
export const isWithin = (a: string, b: string): boolean =>
  a === b || a.startsWith(`${b}/`);

/** A Binder + nbgitpuller link's `urlpath=git-pull?…`, read: a material and the path to open. */
export interface GitPull {
  material: Material;
  /** nbgitpuller's `urlpath`, else the material's folder in JupyterLab (as nbgitpuller opens it). */
  urlpath: string;
}

/** nbgitpuller's link parameters that envhub reads; `depth` and `app` are left to the hub. */
const GIT_PULL_PARAMS = [
  'repo',
  'branch',
  'targetpath',
  'targetPath',
  'urlpath',
  'urlPath',
  'subpath',
  'subPath',
  'depth',
  'app'
];

const decodedOnce = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * True when `urlpath` opens one of nbgitpuller's routes in the server (`git-pull`, its API, the
 * legacy `git-sync` and `interact`), which would pull into a folder nobody checked. The path is
 * read as a browser resolves it below the server (`./git-pull` is `git-pull`).
 */
export function isGitPullPath(urlpath: string): boolean {
  const relative = decodedOnce(urlpath).replace(/^\/+/, '');
  let path: string;
  try {
    path = new URL(relative, 'http://server/s/').pathname;
  } catch {
    return false;
  }
  return /^\/s\/(?:git-pull|git-sync|interact)(?:\/|$)/.test(path);
}

/**
 * Reads nbgitpuller's link as Binder + nbgitpuller links carry it in `urlpath`:
 * `git-pull?repo=…&branch=…&targetPath=…&urlpath=…` (nbgitpuller's names: `targetpath` before
 * `targetPath`, `urlpath` before `urlPath`), with or without a leading `/`, percent-encoded once
 * more or not. Null when `urlpath` is not such a link; an Error saying why when envhub cannot
 * read it.
 */
export function readGitPull(urlpath: string): GitPull | null {
  let link = urlpath.replace(/^\/+/, '');
  if (/^git-pull%3F/i.test(link)) link = decodedOnce(link);
  const match = /^git-pull(?:\?([\s\S]*))?$/.exec(link);
  if (!match) return null;
  const query = new URLSearchParams(match[1] ?? '');
  const unknown = [...new Set(query.keys())].filter(
    key => !GIT_PULL_PARAMS.includes(key)
  );
  if (unknown.length > 0) {
    const backup = unknown.includes('backup')
      ? "; backup and resync is offered in JupyterLab's Course materials panel, not in links"
      : '';
    throw new Error(
      `urlpath=git-pull?… has parameters envhub does not read: ${unknown.join(', ')}${backup}; it reads ${GIT_PULL_PARAMS.join(', ')}`
    );
  }
  // nbgitpuller takes the first of two spellings; one name given twice is ambiguous.
  const value = (...names: string[]): string | undefined => {
    for (const name of names) {
      const values = query.getAll(name);
      if (values.length > 1)
        throw new Error(
          `urlpath=git-pull?… gives ${name} ${values.length} times; give it once`
        );
      if (values[0]) return values[0];
    }
    return undefined;
  };
  const repo = value('repo');
  if (!repo)
    throw new Error(
      'urlpath=git-pull?… needs repo=<repository URL>, e.g. git-pull?repo=https://forge.example.org/course/materials.git'
    );
  const material: Material = { repo };
  const ref = value('branch');
  const path = value('targetpath', 'targetPath');
  if (ref !== undefined) material.ref = ref;
  if (path !== undefined) material.path = path;
  const subpath = value('subpath', 'subPath');
  const folder = [materialPath(material), subpath]
    .filter(part => part && part !== '.')
    .join('/');
  return {
    material,
    urlpath: value('urlpath', 'urlPath') ?? `lab/tree/${folder}`
  };
}

/**
 * nbgitpuller's link for a material, as a Binder link's `urlpath` carries it (the form its link
 * generator writes): `git-pull?repo=…&urlpath=…&branch=…&targetPath=…`. The folder is named when
 * nbgitpuller would name it otherwise (it keeps a `.git` ending).
 */
export function gitPullPath(material: Material, urlpath?: string): string {
  const query = new URLSearchParams({ repo: material.repo });
  if (urlpath) query.append('urlpath', urlpath);
  if (material.ref) query.append('branch', material.ref);
  const nbgitpullerName = material.repo.replace(/\/+$/, '').split('/').pop();
  if (material.path !== undefined || nbgitpullerName !== materialPath(material))
    query.append('targetPath', materialPath(material));
  return `git-pull?${query}`;
}
