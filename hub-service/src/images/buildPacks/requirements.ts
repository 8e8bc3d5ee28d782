import { posix } from 'node:path';
import { RepoFiles, invalidConfig } from './repoFiles.js';

/** One logical line of a pip requirements file, classified by what it needs from the repository. */
export type RequirementLine =
  | { kind: 'include'; flag: '-r' | '-c'; target: string }
  /** Refers to a path in the checkout (`-e .`, `./pkg`, `name @ file:…`, `--find-links ./wheels`). */
  | { kind: 'local'; text: string }
  /** An option pip/uv understands on its own (`--index-url …`, `--pre`). */
  | { kind: 'option'; text: string }
  | { kind: 'requirement'; text: string };

const ARCHIVE = /\.(whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz)$/i;
const VCS = /^(git|hg|svn|bzr)\+/i;

function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^file:/i.test(s);
}

/** Whether a requirement token is a filesystem path as pip reads it (not a project name). */
function looksLikePath(token: string): boolean {
  if (/^file:/i.test(token)) return true;
  if (isUrl(token) || VCS.test(token)) return false;
  return /^[./~]/.test(token) || token.includes('/') || ARCHIVE.test(token);
}

/** `-rX`, `-r X`, `--requirement X`, `--requirement=X` → X; null when `line` isn't that option. */
function optionValue(
  line: string,
  short: string | null,
  long: string
): string | null {
  if (short && line.startsWith(short)) {
    const rest = line.slice(short.length);
    if (rest === '' || /^[\s=]/.test(rest) || !rest.startsWith('-'))
      return rest.replace(/^[\s=]+/, '');
  }
  if (
    line === long ||
    line.startsWith(long + '=') ||
    line.startsWith(long + ' ') ||
    line.startsWith(long + '\t')
  ) {
    return line.slice(long.length).replace(/^[\s=]+/, '');
  }
  return null;
}

/** Classifies one logical requirements line (continuations joined, comment stripped, trimmed). */
export function classifyRequirementLine(line: string): RequirementLine {
  const include = optionValue(line, '-r', '--requirement');
  if (include !== null) return { kind: 'include', flag: '-r', target: include };
  const constraint = optionValue(line, '-c', '--constraint');
  if (constraint !== null)
    return { kind: 'include', flag: '-c', target: constraint };
  const editable = optionValue(line, '-e', '--editable');
  if (editable !== null) {
    return VCS.test(editable) || isUrl(editable)
      ? { kind: 'requirement', text: line }
      : { kind: 'local', text: line };
  }
  const findLinks = optionValue(line, '-f', '--find-links');
  if (findLinks !== null)
    return isUrl(findLinks)
      ? { kind: 'option', text: line }
      : { kind: 'local', text: line };
  if (line.startsWith('-')) return { kind: 'option', text: line };
  const direct = /^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@\s*(\S+)/.exec(
    line
  );
  if (direct)
    return looksLikePath(direct[2])
      ? { kind: 'local', text: line }
      : { kind: 'requirement', text: line };
  const token = line.split(/[\s;]/)[0];
  return looksLikePath(token)
    ? { kind: 'local', text: line }
    : { kind: 'requirement', text: line };
}

/** Logical lines of a requirements file with their first physical line number, as pip reads them. */
export function requirementLines(
  text: string
): Array<{ line: string; lineNo: number }> {
  const out: Array<{ line: string; lineNo: number }> = [];
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const lineNo = i + 1;
    let line = physical[i];
    while (line.endsWith('\\') && i + 1 < physical.length)
      line = line.slice(0, -1) + physical[++i];
    line = line.replace(/(^|\s)#.*$/, '').trim();
    if (line) out.push({ line, lineNo });
  }
  return out;
}

/** What installing a requirements file (and everything it includes) needs from the repository. */
export interface RequirementsScan {
  /** The file and every file it includes with `-r`/`-c`, repo-relative, in the order found. */
  files: string[];
  /** Lines that refer to paths in the checkout, as "<file> line <n>: <text>". */
  localRefs: string[];
  /** Whether any file holds a requirement or a local path (an all-comments file installs nothing). */
  installsSomething: boolean;
}

/** Requirement lines that live inside another file (environment.yml's `pip:` list). */
export interface InlineRequirements {
  /** The repo-relative file they come from; includes resolve against its directory. */
  file: string;
  lines: Array<{ line: string; where: string }>;
}

/**
 * Follows the `-r`/`-c` includes of repository requirements files (relative to the including
 * file, as pip and uv resolve them), refusing includes that leave the repository or don't exist.
 */
export async function scanRequirements(
  repo: RepoFiles,
  roots: string[],
  inline?: InlineRequirements
): Promise<RequirementsScan> {
  const scan: RequirementsScan = {
    files: [],
    localRefs: [],
    installsSomething: false
  };
  const seen = new Set<string>();

  /** `constraints`: lines of a `-c` file limit versions but install nothing. */
  const visitLines = async (
    file: string,
    lines: Array<{ line: string; where: string }>,
    follow: Array<[string, boolean]>,
    constraints: boolean
  ) => {
    for (const { line, where } of lines) {
      const entry = classifyRequirementLine(line);
      if (entry.kind === 'include') {
        if (isUrl(entry.target)) continue;
        const target = RepoFiles.resolve(
          posix.dirname(file) === '.' ? '' : posix.dirname(file),
          entry.target
        );
        if (target === null) {
          throw invalidConfig(
            `${where}: ${entry.flag} ${entry.target} points outside the repository; include only files inside it`
          );
        }
        if (!(await repo.isFile(target))) {
          throw invalidConfig(
            `${where}: ${entry.flag} ${entry.target} includes ${target}, which is not in the repository: add it or remove the line`
          );
        }
        follow.push([target, constraints || entry.flag === '-c']);
      } else if (entry.kind === 'local') {
        scan.localRefs.push(`${where}: ${line}`);
        if (!constraints) scan.installsSomething = true;
      } else if (entry.kind === 'requirement' && !constraints) {
        scan.installsSomething = true;
      }
    }
  };

  const visit = async (file: string, constraints: boolean): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    scan.files.push(file);
    const follow: Array<[string, boolean]> = [];
    const lines = requirementLines(await repo.readText(file));
    await visitLines(
      file,
      lines.map(({ line, lineNo }) => ({
        line,
        where: `${file} line ${lineNo}`
      })),
      follow,
      constraints
    );
    for (const [next, c] of follow) await visit(next, c);
  };

  if (inline) {
    const follow: Array<[string, boolean]> = [];
    await visitLines(inline.file, inline.lines, follow, false);
    for (const [next, c] of follow) await visit(next, c);
  }
  for (const root of roots) await visit(root, false);
  return scan;
}
