import { invalidConfig, unsupportedConfig } from './repoFiles.js';

/**
 * Debian package names (policy §5.6.1), optionally `=version`. Stricter than repo2docker's check,
 * which only looks at a line's start: nothing else can reach the apt-get command line.
 */
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;

/** The package names of an apt.txt: `#` comments and blank lines skipped, several names per line allowed. */
export function parseAptTxt(text: string, file: string): string[] {
  const packages: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    for (const name of line.split(/\s+/)) {
      if (!APT_PACKAGE.test(name)) {
        throw invalidConfig(
          `${file} line ${i + 1}: "${raw.trim()}" is not a Debian package name; write one package per line (lower case, e.g. "libgl1" or "graphviz=2.42.2-7"), comments start with #`
        );
      }
      packages.push(name);
    }
  });
  return [...new Set(packages)];
}

/** What a runtime.txt asks for. */
export type Runtime =
  | { language: 'python'; version: string }
  | { language: 'r'; text: string }
  | null;

/** `python-3.10`, `python-3.10.4` or an R runtime; anything else is refused, an empty file is ignored. */
export function parseRuntimeTxt(text: string, file: string): Runtime {
  const value = text.trim();
  if (!value) return null;
  const python = /^python-(\d+)\.(\d+)(\.\d+)?$/.exec(value);
  if (python)
    return { language: 'python', version: `${python[1]}.${python[2]}` };
  if (/^r-/i.test(value)) return { language: 'r', text: value };
  throw invalidConfig(
    `${file} reads "${value.slice(0, 80)}", which is not a runtime envhub knows: write python-X.Y on one line (e.g. python-3.11)`
  );
}

/** `3.11` → [3, 11]; extra components are kept for comparisons that need them. */
function parts(version: string): number[] {
  return version
    .split('.')
    .map(p => Number.parseInt(p, 10))
    .filter(n => !Number.isNaN(n));
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Whether the available major.minor Python satisfies a version constraint list as conda and pip
 * write them (`3.9`, `=3.9`, `3.9.*`, `>=3.8,<3.12`, `~=3.10`). Patch levels are ignored, as
 * repo2docker ignores them: only the minor version is chosen.
 */
export function pythonSatisfies(
  available: string,
  constraint: string
): boolean {
  const have = parts(available).slice(0, 2);
  return constraint
    .split(',')
    .map(c => c.trim())
    .filter(Boolean)
    .every(c => {
      const m = /^(==|=|>=|<=|!=|~=|>|<)?\s*v?([0-9][0-9.]*)(\.?\*)?$/.exec(c);
      if (!m) return true; // not a version we can judge: let the installer decide
      const op = m[1] ?? '==';
      const want = parts(m[2]);
      const minor = want.slice(0, 2);
      const cmp = compare(have, minor);
      switch (op) {
        case '==':
        case '=':
          return compare(have.slice(0, minor.length), minor) === 0;
        case '!=':
          return (
            want.length > 2 || compare(have.slice(0, minor.length), minor) !== 0
          );
        case '>=':
          return cmp >= 0;
        case '>':
          return want.length > 2 ? cmp >= 0 : cmp > 0;
        case '<=':
          return cmp <= 0;
        case '<':
          return want.length > 2 ? cmp <= 0 : cmp < 0;
        case '~=':
          return (
            cmp >= 0 &&
            (want.length < 2 || have[0] === want[0]) &&
            (want.length < 3 || have[1] === want[1])
          );
        default:
          return true;
      }
    });
}

/**
 * Applies a Python version request from `source` (runtime.txt, environment.yml, Pipfile…): a version
 * the base image doesn't have is a warning and the available one is used, or in strict mode an error.
 */
export function checkPython(
  request: string,
  source: string,
  options: { availablePython: string; strictRuntime?: boolean },
  warnings: string[]
): void {
  if (pythonSatisfies(options.availablePython, request)) return;
  const what = `${source} asks for Python ${request}, but this hub provides only Python ${options.availablePython}`;
  if (options.strictRuntime) {
    throw unsupportedConfig(
      `${what} (strict runtime mode): ask for Python ${options.availablePython} there, or remove the pin`
    );
  }
  warnings.push(`${what}: using Python ${options.availablePython} instead`);
}

/**
 * The warning for a runtime.txt Python request that repo2docker ignores because `file` can name the
 * Python version itself (environment.yml, Pipfile): it says what was asked and what is used.
 */
export function runtimeIgnored(
  runtimeFile: string,
  request: string,
  file: string,
  pinHint: string,
  options: { availablePython: string }
): string {
  return `${runtimeFile} asks for Python ${request}, but it is ignored because ${file} is present (as on Binder), so this build uses Python ${options.availablePython}: ${pinHint}`;
}
