import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EnvhubError } from '../errors.js';
import { locateRepo, type RepoLocation } from './repoLocator.js';
import { parseRepoUrl, type RepoAccess } from './repoPolicy.js';

const exec = promisify(execFile);

/**
 * Configuration every git run gets, whatever the machine's: http(s) transports only (no `ext::`,
 * `file`, `ssh`, `git`), no credential helper or askpass program, no hooks, no submodules, and no
 * redirects or alternates (locateRepo has followed the redirects, checked; git must not add any).
 */
const SAFE_CONFIG = [
  'protocol.allow=never',
  'protocol.http.allow=always',
  'protocol.https.allow=always',
  'http.followRedirects=false',
  'credential.helper=',
  'core.askPass=',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'submodule.recurse=false',
  'transfer.bundleURI=false'
];

/** Variables of the service's environment git may see: where programs and CA certificates are. */
const PASSED_ENV = [
  'PATH',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH'
];

/**
 * The environment of a git run, built from nothing rather than copied from the service's: no GIT_*
 * of the host (GIT_SSL_NO_VERIFY, GIT_DIR...), no system or user configuration (so no
 * url.insteadOf rewrites or helpers), a home without .netrc, no prompt. Proxy variables are not
 * passed on purpose: a proxy resolves host names itself, which would undo the pinning of each host
 * to the addresses the policy checked.
 */
function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ENV)
    if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    HOME: '/nonexistent',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'http:https',
    GIT_PROTOCOL_FROM_USER: '0'
  };
}

/**
 * Runs git with the safe configuration above plus `config` (`key=value` pairs), without a
 * terminal, prompts or the host's configuration getting in the way.
 */
export async function git(
  args: string[],
  options: {
    cwd?: string;
    timeoutMs?: number;
    config?: string[];
    /**
     * An Authorization header for URLs of `origin` only: given through the environment, which
     * other users cannot read (unlike arguments), and never written to a configuration file.
     */
    authorization?: { origin: string; value: string };
  } = {}
): Promise<string> {
  const config = [...SAFE_CONFIG, ...(options.config ?? [])].flatMap(pair => [
    '-c',
    pair
  ]);
  const secret = options.authorization
    ? {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `http.${options.authorization.origin}/.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: ${options.authorization.value}`
      }
    : {};
  const { stdout } = await exec('git', [...config, ...args], {
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...gitEnvironment(), ...secret }
  });
  return stdout;
}

/** Configuration that makes git connect to a located repository's checked addresses only. */
const pinning = (location: RepoLocation) =>
  location.pin ? [`http.curloptResolve=${location.pin}`] : [];

/** The located repository's Authorization header, for its own origin only (see git()). */
const signIn = (location: RepoLocation) =>
  location.authorization
    ? { origin: new URL(location.url).origin, value: location.authorization }
    : undefined;

/** The last line git wrote to stderr, or the error's message: what went wrong, for a person. */
const gitFailure = (err: unknown) =>
  String((err as { stderr?: string }).stderr || (err as Error).message)
    .trim()
    .split('\n')
    .pop();

const COMMIT = /^[0-9a-f]{40}$/;

/** Why `ref` cannot be a branch, tag or commit name (git check-ref-format's rules), or null. */
function refProblem(ref: string): string | null {
  if (ref.length === 0 || ref.length > 255)
    return 'it must have 1 to 255 characters';
  if (ref.startsWith('-')) return 'it starts with "-"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref))
    return 'it contains a space, a control character or one of ~ ^ : ? * [ \\';
  if (ref.includes('..') || ref.includes('@{') || ref.includes('//'))
    return 'it contains "..", "@{" or "//"';
  if (
    ref === '@' ||
    ref.startsWith('/') ||
    ref.endsWith('/') ||
    ref.endsWith('.')
  )
    return 'it is "@" or starts or ends with "/" or ends with "."';
  if (
    ref.split('/').some(part => part.startsWith('.') || part.endsWith('.lock'))
  )
    return 'a part of it starts with "." or ends with ".lock"';
  return null;
}

/** Refuses a ref git could not have (or could take as an option) with a 400 naming it. */
export function checkRef(ref: string): void {
  const problem = refProblem(ref);
  if (problem) {
    throw new EnvhubError(
      400,
      'invalid_ref',
      `${JSON.stringify(ref)} is not a git branch, tag or commit: ${problem}; give a branch or tag name, HEAD, or a full commit hash`
    );
  }
}

/** Locates `repo` (policy, redirects, pinning); an unreachable server becomes the error `unreachable` makes. */
async function locate(
  repo: string,
  access: RepoAccess | undefined,
  unreachable: (detail: string) => EnvhubError
): Promise<RepoLocation> {
  try {
    return await locateRepo(repo, access);
  } catch (err) {
    if (err instanceof EnvhubError) throw err;
    throw unreachable((err as Error).message);
  }
}

const unreachableRepo = (repo: string) => (detail: string | undefined) =>
  new EnvhubError(
    400,
    'repo_unreachable',
    `cannot read the repository ${repo}: ${detail}`
  );

/**
 * Checks, before anything is built or created, that `ref` can name a commit and that `repo`
 * answers at an address the policy allows (redirects included).
 */
export async function checkRepo(
  repo: string,
  ref: string,
  access?: RepoAccess
): Promise<{ private: boolean }> {
  checkRef(ref);
  const location = await locate(repo, access, unreachableRepo(repo));
  return { private: location.authorization !== undefined };
}

/**
 * Resolves a ref to a commit with `git ls-remote`, as BinderHub does: a full commit hash is taken
 * as it is; HEAD is the default branch; a failing master/main falls back to HEAD. Every address
 * git connects to passes the repository policy (`access`, by default the configured allowed hosts).
 */
export async function resolveRef(
  repo: string,
  ref: string,
  access?: RepoAccess
): Promise<string> {
  checkRef(ref);
  if (COMMIT.test(ref)) {
    parseRepoUrl(repo);
    return ref;
  }
  const unreachable = unreachableRepo(repo);
  const location = await locate(repo, access, unreachable);
  const lsRemote = async (pattern: string): Promise<string[][]> => {
    try {
      const out = await git(['ls-remote', '--', location.url, pattern], {
        timeoutMs: 30_000,
        config: pinning(location),
        authorization: signIn(location)
      });
      return out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('\t'));
    } catch (err) {
      throw unreachable(gitFailure(err));
    }
  };
  const find = (lines: string[][], wanted: string): string | undefined => {
    const exact = ['refs/heads/', 'refs/tags/', '']
      .map(p => lines.find(([, name]) => name === p + wanted))
      .find(Boolean);
    // An annotated tag's commit is on its peeled (^{}) line.
    const peeled = lines.find(([, name]) => name === `refs/tags/${wanted}^{}`);
    return (peeled ?? exact)?.[0];
  };
  const hit = find(await lsRemote(ref), ref);
  if (hit) return hit;
  if (ref === 'master' || ref === 'main') {
    const head = find(await lsRemote('HEAD'), 'HEAD');
    if (head) return head;
  }
  throw new EnvhubError(
    404,
    'ref_not_found',
    `the repository ${repo} has no branch or tag "${ref}"`
  );
}

/**
 * Clones `repo` into `dir` and checks out `commit` (a full hash), without submodules, hooks or
 * templates; every address git connects to passes the repository policy, as for resolveRef.
 */
export async function checkout(
  repo: string,
  commit: string,
  dir: string,
  access?: RepoAccess
): Promise<void> {
  if (!COMMIT.test(commit)) {
    throw new EnvhubError(
      400,
      'invalid_commit',
      `${JSON.stringify(commit)} is not a full commit hash (40 hexadecimal digits); resolve the ref first`
    );
  }
  const failed = (detail: string | undefined) =>
    new EnvhubError(
      502,
      'fetch_failed',
      `cannot fetch ${repo} at ${commit}: ${detail}`
    );
  const location = await locate(repo, access, failed);
  try {
    await git(
      [
        'clone',
        '--quiet',
        '--no-checkout',
        '--no-recurse-submodules',
        '--template=',
        '--',
        location.url,
        dir
      ],
      {
        timeoutMs: 600_000,
        config: pinning(location),
        authorization: signIn(location)
      }
    );
    await git(['checkout', '--quiet', '--detach', commit, '--'], {
      cwd: dir,
      config: ['advice.detachedHead=false']
    });
  } catch (err) {
    throw failed(gitFailure(err));
  }
}
