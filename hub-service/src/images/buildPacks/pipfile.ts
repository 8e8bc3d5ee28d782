import { parse as parseToml } from 'smol-toml';
import { invalidConfig } from './repoFiles.js';

/**
 * Pipfile / Pipfile.lock as pip requirements. repo2docker runs `pipenv install --dev` (with
 * `--ignore-pipfile` when a lock exists), so both the default and the dev packages are installed.
 * pipenv installs a lock with `--no-deps`, checking its hashes: the lock already pins every package.
 */
export interface PipfileRequirements {
  /** Requirement lines; a lock's carry its `--hash` options. */
  requirements: string[];
  /** Entries that point into the checkout (`path = "."`), as "<file> <package>". */
  localRefs: string[];
  /** `python_version` / `python_full_version` the file asks for, if any. */
  python?: string;
  warnings: string[];
}

const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** PEP 508 environment markers a Pipfile may give as keys of a package table. */
const MARKER_KEYS = [
  'os_name',
  'sys_platform',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_version',
  'python_full_version',
  'implementation_name',
  'implementation_version'
];

function oneLine(value: unknown, where: string): string {
  if (typeof value !== 'string' || /[\r\n\0]/.test(value))
    throw invalidConfig(`${where} must be a one-line string`);
  return value.trim();
}

/** How the build log line saying that pip installs what uv refused begins. */
export const PIP_FALLBACK = '[envhub] warning: uv refused a package in';

/** The build log line saying that pip installs `source` because uv refused a package of it. */
export function pipFallbackWarning(source: string): string {
  return `${PIP_FALLBACK} ${source} (see its error above: metadata with a legacy version string, which pip still reads); installing ${source} with pip instead, as pipenv does`;
}

/** The build log line saying that `pipfile`'s packages install because `lock`, made for Python `lockedFor`, did not. */
export function lockFallbackWarning(
  lock: string,
  lockedFor: string,
  pipfile: string,
  python: string
): string {
  return `[envhub] warning: ${lock} was locked for Python ${lockedFor} and does not install on Python ${python} (see the error above); installing the packages of ${pipfile} instead, resolved for Python ${python}, so their versions may differ from the lock`;
}

/** What pip and uv accept after `--hash=`. */
const HASH = /^(sha256|sha384|sha512):[0-9a-f]+$/;

/** A lock entry's `hashes`, checked: they go on a requirement line, where anything else would be an option. */
function lockHashes(entry: unknown, where: string): string[] {
  if (entry === null || typeof entry !== 'object' || !('hashes' in entry))
    return [];
  const hashes = entry.hashes;
  if (
    !Array.isArray(hashes) ||
    !hashes.every(h => typeof h === 'string' && HASH.test(h))
  ) {
    throw invalidConfig(
      `${where} hashes must be a list of "sha256:<hex>" strings: regenerate the lock with \`pipenv lock\``
    );
  }
  return hashes as string[];
}

/** One Pipfile or Pipfile.lock entry as a requirement line; `local` when it installs a repository path. */
function entryToRequirement(
  name: string,
  entry: unknown,
  where: string,
  lock: boolean
): { line: string; local: boolean } {
  if (!NAME.test(name))
    throw invalidConfig(`${where}: "${name}" is not a package name`);
  if (typeof entry === 'string') {
    const spec = oneLine(entry, where);
    if (spec === '*' || spec === '') return { line: name, local: false };
    return {
      line: `${name}${/^[0-9]/.test(spec) ? '==' : ''}${spec}`,
      local: false
    };
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw invalidConfig(
      `${where}: expected a version string such as "*" or "==1.2", or a table`
    );
  }
  const e = entry as Record<string, unknown>;
  const extras =
    Array.isArray(e.extras) && e.extras.length
      ? `[${e.extras.map(x => oneLine(x, `${where} extras`)).join(',')}]`
      : '';
  const markers = [
    ...(e.markers !== undefined
      ? [oneLine(e.markers, `${where} markers`)]
      : []),
    // In a Pipfile `sys_platform = "== 'linux'"` is shorthand for the marker `sys_platform == 'linux'`.
    ...(lock
      ? []
      : MARKER_KEYS.filter(k => e[k] !== undefined).map(
          k => `${k} ${oneLine(e[k], `${where} ${k}`)}`
        ))
  ];
  const marker = markers.length
    ? ` ; ${markers.map(m => (markers.length > 1 ? `(${m})` : m)).join(' and ')}`
    : '';
  const editable = e.editable === true ? '-e ' : '';
  if (e.path !== undefined) {
    const path = oneLine(e.path, `${where} path`);
    return {
      line: `${editable}${/^[./]/.test(path) ? path : `./${path}`}${extras}`,
      local: true
    };
  }
  if (e.git !== undefined) {
    const url = oneLine(e.git, `${where} git`).replace(/^git\+/, '');
    const ref = e.ref !== undefined ? `@${oneLine(e.ref, `${where} ref`)}` : '';
    return {
      line: editable
        ? `-e git+${url}${ref}#egg=${name}`
        : `${name}${extras} @ git+${url}${ref}${marker}`,
      local: false
    };
  }
  const url = e.file ?? e.url;
  if (url !== undefined)
    return {
      line: `${name}${extras} @ ${oneLine(url, `${where} file`)}${marker}`,
      local: false
    };
  let version =
    e.version === undefined ? '*' : oneLine(e.version, `${where} version`);
  if (version === '*') version = '';
  else if (/^[0-9]/.test(version)) version = `==${version}`;
  return { line: `${name}${extras}${version}${marker}`, local: false };
}

function section(
  doc: Record<string, unknown>,
  key: string,
  file: string
): Array<[string, unknown]> {
  const value = doc[key];
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalidConfig(`${file}: [${key}] must be a table`);
  return Object.entries(value as Record<string, unknown>);
}

function convert(
  doc: Record<string, unknown>,
  sections: string[],
  file: string,
  lock: boolean,
  sources: unknown
): PipfileRequirements {
  const pypi = pypiSources(sources);
  const result: PipfileRequirements = {
    requirements: [],
    localRefs: [],
    warnings: []
  };
  const seen = new Set<string>();
  const hashes: string[][] = [];
  const unhashed: string[] = [];
  for (const key of sections) {
    for (const [name, entry] of section(doc, key, file)) {
      // A package in both sections: the default one wins, as pipenv merges them.
      if (seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      const where = `${file} [${key}] ${name}`;
      const { line, local } = entryToRequirement(name, entry, where, lock);
      result.requirements.push(line);
      if (lock) {
        const h = lockHashes(entry, where);
        hashes.push(h);
        if (!h.length) unhashed.push(name);
      }
      if (local) result.localRefs.push(`${file} ${name}: ${line}`);
      if (
        entry !== null &&
        typeof entry === 'object' &&
        'index' in entry &&
        !pypi.has(String(entry.index))
      ) {
        result.warnings.push(
          `${file}: ${name} names the package index "${String(entry.index)}"; this hub installs from its configured index`
        );
      }
    }
  }
  // pip checks hashes for every line or for none, so one entry without them (a path or git
  // entry, which pipenv installs unchecked too) means none are checked.
  if (lock && unhashed.length < result.requirements.length) {
    if (unhashed.length) {
      result.warnings.push(
        `${file}: ${unhashed.join(', ')} ${unhashed.length > 1 ? 'have' : 'has'} no hashes, so the packages are installed without checking the lock's hashes`
      );
    } else {
      result.requirements = result.requirements.map(
        (line, i) => `${line} ${hashes[i].map(h => `--hash=${h}`).join(' ')}`
      );
    }
  }
  return result;
}

const PYPI = /^https:\/\/pypi\.(org|python\.org)\/simple\/?$/;

function sourceList(sources: unknown): Array<{ name: string; url: string }> {
  return (Array.isArray(sources) ? sources : []).map(s =>
    s && typeof s === 'object'
      ? {
          name: String((s as { name?: unknown }).name ?? ''),
          url: String((s as { url?: unknown }).url ?? '')
        }
      : { name: '', url: '' }
  );
}

/** Names of the sources that are PyPI: pipenv writes `"index": "pypi"` on every package from it. */
function pypiSources(sources: unknown): Set<string> {
  return new Set(
    sourceList(sources)
      .filter(s => PYPI.test(s.url))
      .map(s => s.name)
  );
}

function sourcesWarning(sources: unknown, file: string): string | null {
  const urls = sourceList(sources)
    .map(s => s.url)
    .filter(u => u && !PYPI.test(u));
  return urls.length
    ? `${file} names package indexes ${urls.join(', ')}; this hub installs from its configured index`
    : null;
}

/** Pipfile.lock: the pinned `default` and `develop` sections. */
export function parsePipfileLock(
  text: string,
  file: string
): PipfileRequirements {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalidConfig(
      `${file} is not valid JSON (${(err as Error).message}): regenerate it with \`pipenv lock\``
    );
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw invalidConfig(
      `${file} must be a JSON object: regenerate it with \`pipenv lock\``
    );
  const lock = doc as Record<string, unknown>;
  const meta = (lock._meta ?? {}) as {
    requires?: Record<string, unknown>;
    sources?: unknown;
  };
  const result = convert(
    lock,
    ['default', 'develop'],
    file,
    true,
    meta.sources
  );
  result.python = requiredPython(meta.requires);
  const warning = sourcesWarning(meta.sources, file);
  if (warning) result.warnings.push(warning);
  return result;
}

function readPipfile(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw invalidConfig(
      `${file} is not valid TOML (${(err as Error).message.split('\n')[0]}): fix the syntax`
    );
  }
}

function requiredPython(requires: unknown): string | undefined {
  const r = (requires ?? {}) as Record<string, unknown>;
  const python = r.python_full_version ?? r.python_version;
  return typeof python === 'string' ? python : undefined;
}

/** A Pipfile's `[requires]` Python, which repo2docker reads when the lock names none. */
export function pipfilePython(text: string, file: string): string | undefined {
  return requiredPython(readPipfile(text, file).requires);
}

/** Pipfile: `[packages]` and `[dev-packages]` (`"*"` → any version). */
export function parsePipfile(text: string, file: string): PipfileRequirements {
  const doc = readPipfile(text, file);
  const result = convert(
    doc,
    ['packages', 'dev-packages'],
    file,
    false,
    doc.source
  );
  result.python = requiredPython(doc.requires);
  const warning = sourcesWarning(doc.source, file);
  if (warning) result.warnings.push(warning);
  return result;
}
