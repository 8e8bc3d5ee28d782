import { PIP_FALLBACK } from './buildPacks/pipfile.js';
import type { BuildPlan } from './buildPlan.js';

/** Terminal escapes (CSI, OSC and other ESC sequences, 8-bit CSI) and control characters but newline and tab. */
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;

/** `text` as plain text: no terminal escapes, no control characters; a `\r`-overwritten line keeps its last version. */
export function plainText(text: string): string {
  return (
    text
      .replace(ESCAPES, '')
      .split('\n')
      .map(line => line.replace(/\r+$/, '').split('\r').pop()!)
      .join('\n')
      // eslint-disable-next-line no-control-regex -- control characters are what it removes
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
  );
}

/** Lines the legacy builder and uv add around a step's own output. */
const NOISE =
  /^( ---> |Removing intermediate container |Using Python \S+ environment at|\[envhub\] )/;
const MAX_LINE = 300;

/** `The command '<command>' returned a non-zero code: <n>`: Docker's (legacy builder) word for a failed RUN. */
const FAILED_RUN = /^The command '([\s\S]*)' returned a non-zero code: (\d+)$/;

/**
 * The message of a failed build: the cause first, in words, naming the repository file it comes
 * from (e.g. `requirements.txt: no version of foo matches ==9.9 on the package index`), from the
 * plan, the build log and Docker's error. The full log stays in the build record.
 */
export function describeFailure(
  plan: BuildPlan | undefined,
  log: string,
  error: string
): string {
  const cleanError = plainText(error).trim();
  const run = FAILED_RUN.exec(cleanError);
  const steps = plainText(log).split(/^Step \d+\/\d+ : /m);
  // The output of the step that failed (the last one started), without the builder's own lines.
  let stepLines = steps.length > 1 ? steps[steps.length - 1].split('\n') : [];
  // After a Pipfile's fallback to pip, pip's failure is the cause, not uv's refusal before it.
  const fallback = stepLines.findIndex(line => line.startsWith(PIP_FALLBACK));
  stepLines = fallback >= 0 ? stepLines.slice(fallback) : stepLines.slice(1);
  const output = stepLines.filter(line => line.trim() && !NOISE.test(line));
  const last = shorten(output[output.length - 1]?.trim() ?? '');
  if (!plan || !run)
    return `the build failed: ${last || shorten(cleanError.split('\n')[0])}`;

  const [, command, exit] = run;
  // 137 = SIGKILL, which is what the kernel's OOM killer sends at the build's memory limit.
  const code =
    exit === '137'
      ? '137: killed, most likely for using more than the memory a build may use'
      : exit;
  const cfg = (name: string) =>
    plan.configDir ? `${plan.configDir}/${name}` : name;
  const text = output.join('\n');
  if (plan.buildPack === 'dockerfile') {
    return `${plan.dockerfile?.path ?? 'Dockerfile'}: RUN ${shorten(command.replace(/^\/bin\/sh -c /, ''))} failed (exit code ${code})${last ? `: ${last}` : ''}`;
  }
  if (/\bapt-get install\b/.test(command))
    return `${cfg('apt.txt')}: ${aptCause(text) ?? `installing the packages failed (exit code ${code})${last ? `: ${last}` : ''}`}`;
  const script = /^\/bin\/sh -c \.\/(\S*postBuild)$/.exec(command);
  if (script)
    return `${script[1]} failed (exit code ${code})${last ? `: ${last}` : ''}`;
  if (/\buv pip install\b/.test(command)) {
    const source = pythonSource(plan, command);
    const note =
      plan.buildPack === 'environment.yml' && source === cfg('environment.yml')
        ? " (envhub installs environment.yml's packages from PyPI)"
        : '';
    const what = /\s-r\s/.test(command)
      ? 'installing the Python packages'
      : 'installing the repository as a Python package';
    return `${source}: ${(pythonCause(text) ?? `${what} failed${exit === '137' ? ` (exit code ${code})` : ''}${last ? `: ${last}` : ''}`) + note}`;
  }
  return `the build failed: ${last || shorten(cleanError)}`;
}

function shorten(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

/** The repository file whose packages a failed `uv pip install` installed. */
function pythonSource(plan: BuildPlan, command: string): string {
  const requirements = /\s-r\s+'?([^'\s]+)'?/.exec(command)?.[1];
  if (!requirements)
    return plan.buildPack === 'pyproject.toml' ? 'pyproject.toml' : 'setup.py'; // the repository itself
  if (requirements.endsWith('.envhub-requirements.txt')) {
    // Generated from environment.yml or Pipfile(.lock): name the file it came from.
    return (
      plan.environmentFiles.find(f =>
        /(^|\/)(environment\.yml|Pipfile\.lock|Pipfile)$/.test(f)
      ) ?? plan.buildPack
    );
  }
  return requirements.replace(/^\/tmp\/envhub-env\/|^\/home\/jovyan\//, '');
}

/** A requirement such as `foo[extra]==1.0` as its name and version specifier. */
function splitRequirement(requirement: string): { name: string; spec: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)(.*)$/.exec(
    requirement
  );
  return m ? { name: m[1], spec: m[2] } : { name: requirement, spec: '' };
}

function noVersion(requirement: string): string {
  const { name, spec } = splitRequirement(requirement);
  return spec
    ? `no version of ${name} matches ${spec} on the package index`
    : `no package ${name} on the package index`;
}

/** uv's (and pip's) resolution failures, in words. */
function pythonCause(text: string): string | null {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  const missing =
    /there (?:is|are) no versions? of ([^\s,]+)/.exec(flat)?.[1] ??
    /was not found in the package registry and you require ([^\s,]+)/.exec(
      flat
    )?.[1] ??
    /only .+? (?:is|are) available and you require ([^\s,]+)/.exec(flat)?.[1] ??
    /No matching distribution found for (\S+)/.exec(flat)?.[1] ??
    /Could not find a version that satisfies the requirement (\S+)/.exec(
      flat
    )?.[1];
  if (missing) return noVersion(missing);
  // uv: "Hash mismatch for `toolz==0.12.1`"; pip: "THESE PACKAGES DO NOT MATCH THE HASHES".
  const mismatch =
    /Hash mismatch for `([^`]+)`/.exec(flat)?.[1] ??
    /DO NOT MATCH THE HASHES.*? (\S+==\S+) from /.exec(flat)?.[1];
  if (mismatch)
    return `the files of ${mismatch} on the package index do not match the pinned hashes: pin the hashes the index serves (for a Pipfile.lock, run \`pipenv lock\`)`;
  const conflict = /Because (.+?), we can conclude that .*?unsatisfiable/.exec(
    flat
  )?.[1];
  if (conflict)
    return `the requirements cannot all be met: ${shorten(conflict)}`;
  if (/ResolutionImpossible/.test(flat))
    return 'the requirements cannot all be met (pip: ResolutionImpossible)';
  return null;
}

/** apt's refusals, in words. */
function aptCause(text: string): string | null {
  const unknown = [
    ...text.matchAll(/^E: Unable to locate package (\S+)/gm)
  ].map(m => m[1]);
  if (unknown.length)
    return `no package ${unknown.join(', ')} in the Debian archive`;
  const candidate = /^E: Package '([^']+)' has no installation candidate/m.exec(
    text
  )?.[1];
  if (candidate)
    return `package ${candidate} has no installable version in the Debian archive`;
  const version = /^E: Version '([^']+)' for '([^']+)' was not found/m.exec(
    text
  );
  if (version)
    return `no version ${version[1]} of ${version[2]} in the Debian archive`;
  return null;
}
