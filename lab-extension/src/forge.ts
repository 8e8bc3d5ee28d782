/**
 * Web pages of a repository on a forge whose URL scheme is known.
 */
export interface IForgeLinks {
  /** The repository's home page. */
  repo: string;
  /** The tree at a ref. */
  tree(ref: string): string;
  /** One commit. */
  commit(sha: string): string;
}

/** Forges by host, and the path segment between the project and `tree`/`commit`. */
const FORGES: Record<string, string> = {
  'github.com': '',
  'gitlab.com': '/-'
};

/**
 * Links to the forge's pages for a clone URL on github.com or gitlab.com, null for other hosts.
 *
 * @param repoUrl e.g. `https://github.com/org/project.git`.
 */
export function forgeLinks(repoUrl: string): IForgeLinks | null {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return null;
  }
  const infix = FORGES[url.hostname.toLowerCase()];
  const project = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (
    infix === undefined ||
    url.protocol !== 'https:' ||
    project.split('/').length < 3
  ) {
    return null;
  }
  const repo = `https://${url.hostname}${project}`;
  return {
    repo,
    tree: ref =>
      `${repo}${infix}/tree/${ref.split('/').map(encodeURIComponent).join('/')}`,
    commit: sha => `${repo}${infix}/commit/${encodeURIComponent(sha)}`
  };
}
