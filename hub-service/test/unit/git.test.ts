import { checkout, git as runGit, resolveRef } from '../../src/repos/git.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { GitServer } from '../support/gitServer.js';
import { access, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let git: GitServer;
let first: string;
let second: string;
let scratch: string;
/** A file that exists only if something ran a command smuggled in a URL or ref. */
let marker: string;

beforeAll(async () => {
  // The test server is on loopback, which only an admin's allowance opens.
  setAllowedRepoHosts(['127.0.0.1']);
  git = await GitServer.start();
  first = await git.commit('repo', { 'a.txt': 'one' });
  second = await git.commit('repo', { 'a.txt': 'two' });
  scratch = await mkdtemp(join(tmpdir(), 'envhub-git-test-'));
  marker = join(scratch, 'pwned');
});
afterAll(async () => {
  setAllowedRepoHosts([]);
  await git.stop();
  await rm(scratch, { recursive: true, force: true });
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false
  );

test('resolves branches, HEAD and full commits with git ls-remote over HTTP', async () => {
  expect(await resolveRef(git.url('repo'), 'main')).toBe(second);
  expect(await resolveRef(git.url('repo'), 'HEAD')).toBe(second);
  expect(await resolveRef(git.url('repo'), first)).toBe(first);
});

test('master falls back to HEAD, as BinderHub does', async () => {
  expect(await resolveRef(git.url('repo'), 'master')).toBe(second);
});

test('an unknown ref or repository is a clear error', async () => {
  await expect(resolveRef(git.url('repo'), 'nope')).rejects.toThrow(
    'has no branch or tag "nope"'
  );
  await expect(resolveRef(git.url('missing'), 'main')).rejects.toThrow(
    `cannot read the repository ${git.url('missing')}`
  );
});

test('checks out the exact commit asked for', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-checkout-'));
  try {
    await checkout(git.url('repo'), first, join(dir, 'repo'));
    expect(await readFile(join(dir, 'repo', 'a.txt'), 'utf8')).toBe('one');
    // Cloned without the template's sample hooks.
    expect(await exists(join(dir, 'repo', '.git', 'hooks'))).toBe(false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loopback is refused unless an admin allows it', async () => {
  await expect(
    resolveRef(git.url('repo'), 'main', { allowedHosts: [] })
  ).rejects.toMatchObject({ status: 403, code: 'repo_host_refused' });
  await expect(
    checkout(git.url('repo'), first, join(scratch, 'refused'), {
      allowedHosts: []
    })
  ).rejects.toMatchObject({ status: 403 });
  expect(await exists(join(scratch, 'refused'))).toBe(false);
});

describe('nothing in a repository URL or ref runs a command or reaches another transport', () => {
  const repos = () => [
    ['ext::sh -c touch% ' + marker, 'ext::'],
    ['ext::sh -c "touch ' + marker + '"', 'ext::'],
    ['fd::17', 'fd::'],
    ['file:///etc', 'not file'],
    ['FILE:///etc', 'not file'],
    ['ssh://forge.example.org/a.git', 'not ssh'],
    ['git://forge.example.org/a.git', 'not git'],
    ['git+ssh://forge.example.org/a.git', 'not git+ssh'],
    ['forge.example.org:group/a.git', 'scp-style ssh address'],
    ['git@forge.example.org:group/a.git', 'scp-style ssh address'],
    ['--upload-pack=touch ' + marker, 'is not a URL'],
    ['--upload-pack=true', 'is not a URL'],
    ['-uhttp://127.0.0.1/a.git', 'scp-style ssh address'],
    ['/etc', 'is not a URL'],
    ['./repo.git', 'is not a URL'],
    [
      `http://127.0.0.1/a.git --upload-pack=touch ${marker}`,
      'whitespace or a control character'
    ],
    ['http://127.0.0.1/a.git\n', 'whitespace or a control character'],
    ['http://127.0.0.1/\ta.git', 'whitespace or a control character'],
    [
      'http://user:secret@127.0.0.1/a.git',
      'must not carry a user name or password'
    ],
    ['https://token@127.0.0.1/a.git', 'must not carry a user name or password']
  ];

  test('such repositories are a 400 naming the problem, for resolveRef and checkout', async () => {
    for (const [repo, reason] of repos()) {
      await expect(resolveRef(repo, 'main')).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining(reason)
      });
      await expect(resolveRef(repo, 'a'.repeat(40))).rejects.toMatchObject({
        status: 400
      });
      await expect(
        checkout(repo, first, join(scratch, 'clone'))
      ).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining(reason)
      });
    }
    expect(await exists(marker)).toBe(false);
    expect(await exists(join(scratch, 'clone'))).toBe(false);
  });

  test.each([
    ['--upload-pack=touch /tmp/envhub-never', 'starts with "-"'],
    ['-h', 'starts with "-"'],
    ['main --upload-pack=x', 'a space'],
    ['main\n', 'a control character'],
    ['HEAD^', '~ ^ : ? * [ \\'],
    ['main~1', '~ ^ : ? * [ \\'],
    ['refs/heads/*', '~ ^ : ? * [ \\'],
    ['a:b', '~ ^ : ? * [ \\'],
    ['a\\b', '~ ^ : ? * [ \\'],
    ['a..b', '".."'],
    ['main@{1}', '"@{"'],
    ['a//b', '"//"'],
    ['@', '"@"'],
    ['main/', 'ends with "/"'],
    ['main.', 'ends with "."'],
    ['.hidden', 'starts with "."'],
    ['x.lock', 'ends with ".lock"'],
    ['', '1 to 255 characters'],
    ['a'.repeat(256), '1 to 255 characters']
  ])('the ref %j is a 400 naming it', async (ref, reason) => {
    const error = await resolveRef(git.url('repo'), ref).catch(
      (err: unknown) => err
    );
    expect(error).toMatchObject({ status: 400, code: 'invalid_ref' });
    expect((error as Error).message).toContain(JSON.stringify(ref));
    expect((error as Error).message).toContain(reason);
  });

  test('a ref made of an option does nothing, and checkout takes only full commit hashes', async () => {
    await expect(
      resolveRef(git.url('repo'), `--upload-pack=touch ${marker}`)
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      checkout(
        git.url('repo'),
        `--upload-pack=touch ${marker}`,
        join(scratch, 'clone')
      )
    ).rejects.toMatchObject({ status: 400, code: 'invalid_commit' });
    await expect(
      checkout(git.url('repo'), 'main', join(scratch, 'clone'))
    ).rejects.toMatchObject({ status: 400, code: 'invalid_commit' });
    expect(await exists(marker)).toBe(false);
    expect(await exists(join(scratch, 'clone'))).toBe(false);
  });

  test('the git runner itself refuses other transports, whatever reaches it', async () => {
    await expect(
      runGit(['ls-remote', '--', `ext::sh -c touch% ${marker}`])
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("transport 'ext' not allowed")
    });
    await expect(
      runGit(['ls-remote', '--', 'file:///etc'])
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("transport 'file' not allowed")
    });
    await expect(
      runGit(['ls-remote', '--', 'ssh://127.0.0.1/a.git'])
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("transport 'ssh' not allowed")
    });
    // After `--`, an option-like pattern is a pattern.
    expect(
      await runGit([
        'ls-remote',
        '--',
        git.url('repo'),
        `--upload-pack=touch ${marker}`
      ])
    ).toBe('');
    expect(await exists(marker)).toBe(false);
  });
});

describe("the service's environment does not reach git", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env))
      if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  test('url.insteadOf rewrites, credential helpers and askpass programs from the environment are ignored', async () => {
    Object.assign(process.env, {
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: `url.${git.url('missing')}.insteadOf`,
      GIT_CONFIG_VALUE_0: git.url('repo'),
      GIT_CONFIG_KEY_1: 'credential.helper',
      GIT_CONFIG_VALUE_1: `!touch ${marker}`,
      GIT_ASKPASS: `/bin/sh -c "touch ${marker}"`,
      GIT_CONFIG_PARAMETERS: `'core.hooksPath'='${scratch}'`
    });
    expect(await resolveRef(git.url('repo'), 'main')).toBe(second);
    await expect(resolveRef(git.url('missing'), 'main')).rejects.toThrow(
      'cannot read the repository'
    );
    expect(await exists(marker)).toBe(false);
  });

  test('proxy variables are not honoured: a proxy would resolve names itself, past the pinning', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(502).end();
    });
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const address = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      Object.assign(process.env, {
        http_proxy: address,
        HTTP_PROXY: address,
        https_proxy: address,
        ALL_PROXY: address,
        all_proxy: address
      });
      // A name (resolved by the test, pinned for git), not 127.0.0.1, which curl may never proxy.
      const repo = git.url('repo').replace('127.0.0.1', 'repo.envhub.test');
      expect(
        await resolveRef(repo, 'main', {
          allowedHosts: ['127.0.0.1'],
          resolve: async () => ['127.0.0.1']
        })
      ).toBe(second);
      expect(seen).toEqual([]);
    } finally {
      await new Promise(resolve => proxy.close(resolve));
    }
  });
});

test('a server that does not answer is a clear error', async () => {
  const { createServer } = await import('node:net');
  const closed = createServer();
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise(resolve => closed.close(resolve));
  const repo = `http://127.0.0.1:${port}/repo.git`;
  await expect(resolveRef(repo, 'main')).rejects.toMatchObject({
    status: 400,
    code: 'repo_unreachable',
    message: expect.stringContaining('ECONNREFUSED')
  });
  await expect(
    checkout(repo, first, join(scratch, 'closed'))
  ).rejects.toMatchObject({
    status: 502,
    code: 'fetch_failed',
    message: expect.stringContaining(`cannot fetch ${repo}`)
  });
});

test('a failed clone leaves no checkout behind', async () => {
  await expect(
    checkout(git.url('missing'), first, join(scratch, 'missing'))
  ).rejects.toMatchObject({ status: 502, code: 'fetch_failed' });
  expect(await readdir(scratch)).not.toContain('missing');
});
