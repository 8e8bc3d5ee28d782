import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EnvhubError } from '../errors.js';

const exec = promisify(execFile);

/** Runs git without a terminal, prompts or user configuration getting in the way. */
export async function git(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const { stdout } = await exec('git', args, {
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_ASKPASS: 'true' }
  });
  return stdout;
}

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * Resolves a ref to a commit with `git ls-remote`, as BinderHub does: a full commit hash is taken
 * as it is; HEAD is the default branch; a failing master/main falls back to HEAD.
 */
export async function resolveRef(repo: string, ref: string): Promise<string> {
  if (COMMIT.test(ref)) return ref;
  let out: string;
  try {
    out = await git(['ls-remote', '--', repo, ref], { timeoutMs: 30_000 });
  } catch (err) {
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').pop();
    throw new EnvhubError(400, 'repo_unreachable', `cannot read the repository ${repo}: ${detail}`);
  }
  const lines = out.trim().split('\n').filter(Boolean).map(l => l.split('\t'));
  const exact = ['refs/heads/', 'refs/tags/', '']
    .map(p => lines.find(([, name]) => name === p + ref))
    .find(Boolean);
  // An annotated tag's commit is on its peeled (^{}) line.
  const peeled = lines.find(([, name]) => name === `refs/tags/${ref}^{}`);
  const hit = peeled ?? exact;
  if (hit) return hit[0];
  if (ref === 'master' || ref === 'main') return resolveRef(repo, 'HEAD');
  throw new EnvhubError(404, 'ref_not_found', `the repository ${repo} has no branch or tag "${ref}"`);
}

/** Clones `repo` into `dir` and checks out `commit`. */
export async function checkout(repo: string, commit: string, dir: string): Promise<void> {
  try {
    await git(['clone', '--quiet', '--no-checkout', '--', repo, dir], { timeoutMs: 600_000 });
    await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', commit], { cwd: dir });
  } catch (err) {
    const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').pop();
    throw new EnvhubError(502, 'fetch_failed', `cannot fetch ${repo} at ${commit}: ${detail}`);
  }
}
