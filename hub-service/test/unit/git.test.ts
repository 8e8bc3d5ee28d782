import { checkout, resolveRef } from '../../src/repos/git.js';
import { GitServer } from '../support/gitServer.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let git: GitServer;
let first: string;
let second: string;

beforeAll(async () => {
  git = await GitServer.start();
  first = await git.commit('repo', { 'a.txt': 'one' });
  second = await git.commit('repo', { 'a.txt': 'two' });
});
afterAll(() => git.stop());

test('resolves branches, HEAD and full commits with git ls-remote over HTTP', async () => {
  expect(await resolveRef(git.url('repo'), 'main')).toBe(second);
  expect(await resolveRef(git.url('repo'), 'HEAD')).toBe(second);
  expect(await resolveRef(git.url('repo'), first)).toBe(first);
});

test('master falls back to HEAD, as BinderHub does', async () => {
  expect(await resolveRef(git.url('repo'), 'master')).toBe(second);
});

test('an unknown ref or repository is a clear error', async () => {
  await expect(resolveRef(git.url('repo'), 'nope')).rejects.toThrow('has no branch or tag "nope"');
  await expect(resolveRef(git.url('missing'), 'main')).rejects.toThrow(`cannot read the repository ${git.url('missing')}`);
});

test('checks out the exact commit asked for', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-checkout-'));
  try {
    await checkout(git.url('repo'), first, join(dir, 'repo'));
    expect(await readFile(join(dir, 'repo', 'a.txt'), 'utf8')).toBe('one');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
