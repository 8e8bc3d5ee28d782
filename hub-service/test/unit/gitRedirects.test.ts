import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkout, resolveRef } from '../../src/repos/git.js';
import { locateRepo, MAX_REDIRECTS } from '../../src/repos/repoLocator.js';
import type { RepoAccess, Resolve } from '../../src/repos/repoPolicy.js';
import { GitServer } from '../support/gitServer.js';

/** An HTTP server on 127.0.0.1 that records every request it gets. */
interface Site {
  port: number;
  requests: string[];
  server: Server;
}

const sites: Site[] = [];
async function site(
  handle: (req: IncomingMessage, res: ServerResponse, site: Site) => void
): Promise<Site> {
  const s: Site = {
    port: 0,
    requests: [],
    server: createServer(
      (req, res) => (s.requests.push(req.url ?? ''), handle(req, res, s))
    )
  };
  await new Promise<void>(resolve => s.server.listen(0, '127.0.0.1', resolve));
  s.port = (s.server.address() as AddressInfo).port;
  sites.push(s);
  return s;
}

/** Passes a request on to the git server, as a forge's front end would. */
function forward(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    {
      host: '127.0.0.1',
      port: gitPort,
      path: req.url,
      method: req.method,
      headers: req.headers
    },
    answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    }
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

const redirectTo = (res: ServerResponse, location: string, status = 302) =>
  res.writeHead(status, { location }).end();

let git: GitServer;
let gitPort: number;
let commit: string;
let scratch: string;
/** The "internal" repository: the real one, behind a front end that records who asks. */
let internal: Site;
/** A forge whose every URL redirects to the same path on `internal`. */
let forge: Site;

beforeAll(async () => {
  git = await GitServer.start();
  commit = await git.commit('repo', { 'a.txt': 'internal' });
  gitPort = Number(new URL(git.url('repo')).port);
  scratch = await mkdtemp(join(tmpdir(), 'envhub-redirects-'));
  internal = await site(forward);
  forge = await site((req, res) =>
    redirectTo(res, `http://127.0.0.1:${internal.port}${req.url}`)
  );
});
beforeEach(() => sites.forEach(s => (s.requests.length = 0)));
afterAll(async () => {
  await Promise.all(
    sites.map(s => new Promise(resolve => s.server.close(resolve)))
  );
  await git.stop();
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Names only this test's resolver knows: git can reach them only through the pinning. Each
 * answer is 127.0.0.1, which is allowed only where a test says so.
 */
const names = ['forge.envhub.test', 'mirror.envhub.test', 'repo.envhub.test'];
const resolve: Resolve = async host => {
  if (!names.includes(host)) throw new Error('ENOTFOUND');
  return ['127.0.0.1'];
};
const at = (name: string, s: Site, path = '/repo.git') =>
  `http://${name}:${s.port}${path}`;

describe('a redirect to an address the policy refuses', () => {
  // The forge is allowed by name; 127.0.0.1, where it redirects, is not.
  const access: RepoAccess = { allowedHosts: ['forge.envhub.test'], resolve };

  test('is a 403 naming the redirect, and the internal server never hears of it', async () => {
    const repo = at('forge.envhub.test', forge);
    const error = await resolveRef(repo, 'main', access).catch(
      (err: unknown) => err
    );
    expect(error).toMatchObject({ status: 403, code: 'repo_redirect_refused' });
    expect((error as Error).message).toBe(
      `the repository ${repo} redirects to http://127.0.0.1:${internal.port}/repo.git/info/refs?service=git-upload-pack: a loopback address; ` +
        'envhub fetches only from public addresses and from hosts an admin lists in ENVHUB_ALLOWED_REPO_HOSTS'
    );
    await expect(
      checkout(repo, commit, join(scratch, 'clone'), access)
    ).rejects.toMatchObject({ status: 403, code: 'repo_redirect_refused' });
    expect(await readdir(scratch)).toEqual([]);
    expect(forge.requests).toEqual([
      '/repo.git/info/refs?service=git-upload-pack',
      '/repo.git/info/refs?service=git-upload-pack'
    ]);
    expect(internal.requests).toEqual([]);
  });

  test.each([
    [
      'http://10.0.0.5/repo.git/info/refs?service=git-upload-pack',
      403,
      'a private address'
    ],
    ['http://169.254.169.254/latest/meta-data/', 403, 'a link-local address'],
    ['http://[::ffff:a00:5]/x', 403, 'a private address'],
    ['http://2130706433/x', 403, 'a loopback address'],
    ['http://intranet.envhub.test/x', 400, 'cannot be resolved'],
    ['file:///etc/passwd', 403, 'not file'],
    ['ssh://forge.envhub.test/repo.git', 403, 'not ssh'],
    [
      'http://user:secret@forge.envhub.test/repo.git',
      403,
      'must not carry a user name or password'
    ]
  ])('to %s is refused (%d: %s)', async (location, status, reason) => {
    const target = await site((_req, res) => redirectTo(res, location, 301));
    const error = await resolveRef(
      at('forge.envhub.test', target),
      'main',
      access
    ).catch((err: unknown) => err);
    expect(error).toMatchObject({
      status,
      message: expect.stringContaining(`redirects to ${location}: `)
    });
    expect((error as Error).message).toContain(reason);
  });

  test('a redirect by a name that resolves to a private address is refused', async () => {
    const target = await site((_req, res) =>
      redirectTo(
        res,
        'http://intranet.envhub.test/repo.git/info/refs?service=git-upload-pack',
        307
      )
    );
    const privateDns: Resolve = async host =>
      host === 'intranet.envhub.test' ? ['10.0.0.5'] : resolve(host);
    await expect(
      resolveRef(at('forge.envhub.test', target), 'main', {
        ...access,
        resolve: privateDns
      })
    ).rejects.toThrow(
      'redirects to http://intranet.envhub.test/repo.git/info/refs?service=git-upload-pack: a private address (10.0.0.5)'
    );
  });
});

test('a host whose resolver answers a private address is refused before anything connects', async () => {
  const privateDns: Resolve = async () => ['192.168.1.20'];
  await expect(
    resolveRef(at('repo.envhub.test', internal), 'main', {
      allowedHosts: [],
      resolve: privateDns
    })
  ).rejects.toMatchObject({
    status: 403,
    code: 'repo_host_refused',
    message: expect.stringContaining('(192.168.1.20): a private address')
  });
  await expect(
    checkout(at('repo.envhub.test', internal), commit, join(scratch, 'clone'), {
      allowedHosts: [],
      resolve: privateDns
    })
  ).rejects.toMatchObject({ status: 403 });
  expect(internal.requests).toEqual([]);
});

describe('redirects among hosts an admin lists', () => {
  const access: RepoAccess = {
    allowedHosts: ['forge.envhub.test', 'mirror.envhub.test'],
    resolve
  };

  test('are followed for ls-remote and clone, to the moved base URL', async () => {
    // The forge moved the repository to another host and path, as a forge does on a rename.
    const moved = await site((req, res) =>
      redirectTo(
        res,
        `http://mirror.envhub.test:${internal.port}${(req.url ?? '').replace('/old-name.git/', '/repo.git/')}`,
        301
      )
    );
    const repo = at('forge.envhub.test', moved, '/old-name.git');
    expect(await locateRepo(repo, access)).toEqual({
      url: `http://mirror.envhub.test:${internal.port}/repo.git/`,
      pin: `mirror.envhub.test:${internal.port}:127.0.0.1`
    });
    expect(await resolveRef(repo, 'main', access)).toBe(commit);
    await checkout(repo, commit, join(scratch, 'moved'), access);
    expect(await readFile(join(scratch, 'moved', 'a.txt'), 'utf8')).toBe(
      'internal'
    );
    // Only envhub's first request of each run (locateRepo, resolveRef, checkout) went to the old
    // address; git itself went straight to the new one.
    expect(moved.requests).toEqual(
      Array(3).fill('/old-name.git/info/refs?service=git-upload-pack')
    );
    await rm(join(scratch, 'moved'), { recursive: true });
  });

  test(`at most ${MAX_REDIRECTS} are followed`, async () => {
    // /hop/<n>/repo.git/... redirects to /hop/<n-1>/..., and /hop/0/ to the repository.
    const hops = await site((req, res) => {
      const [, n, rest] = (req.url ?? '').match(/^\/hop\/(\d+)(\/.*)$/) ?? [];
      redirectTo(
        res,
        Number(n) === 0
          ? `http://mirror.envhub.test:${internal.port}${rest}`
          : `/hop/${Number(n) - 1}${rest}`
      );
    });
    expect(
      await resolveRef(
        at('forge.envhub.test', hops, `/hop/${MAX_REDIRECTS - 1}/repo.git`),
        'main',
        access
      )
    ).toBe(commit);
    expect(hops.requests).toHaveLength(MAX_REDIRECTS);
    hops.requests.length = 0;
    await expect(
      resolveRef(
        at('forge.envhub.test', hops, `/hop/${MAX_REDIRECTS}/repo.git`),
        'main',
        access
      )
    ).rejects.toMatchObject({
      status: 400,
      code: 'repo_too_many_redirects',
      message: expect.stringContaining(`more than ${MAX_REDIRECTS} redirects`)
    });
    expect(hops.requests).toHaveLength(MAX_REDIRECTS + 1);
    const loop = await site((req, res) => redirectTo(res, req.url ?? '/'));
    await expect(
      resolveRef(at('forge.envhub.test', loop), 'main', access)
    ).rejects.toMatchObject({ code: 'repo_too_many_redirects' });
    expect(loop.requests).toHaveLength(MAX_REDIRECTS + 1);
  });

  test('a redirect that drops the path git asked for is refused, as git would refuse it', async () => {
    const home = await site((_req, res) =>
      redirectTo(res, `http://mirror.envhub.test:${internal.port}/login`)
    );
    await expect(
      resolveRef(at('forge.envhub.test', home), 'main', access)
    ).rejects.toMatchObject({ status: 400, code: 'repo_redirect_unusable' });
  });
});

describe('git itself connects only where the policy looked', () => {
  const access: RepoAccess = { allowedHosts: ['forge.envhub.test'], resolve };

  test('a server that answers the check and then redirects git is not followed', async () => {
    // The first request of each run (envhub's check) gets the repository, every later one a redirect.
    let asked = 0;
    const switching = await site((req, res) =>
      asked++ % 2 === 0
        ? forward(req, res)
        : redirectTo(res, `http://127.0.0.1:${internal.port}${req.url}`)
    );
    await expect(
      resolveRef(at('forge.envhub.test', switching), 'main', access)
    ).rejects.toMatchObject({ status: 400, code: 'repo_unreachable' });
    await expect(
      checkout(
        at('forge.envhub.test', switching),
        commit,
        join(scratch, 'switching'),
        access
      )
    ).rejects.toMatchObject({ status: 502 });
    expect(internal.requests).toEqual([]);
  });

  test('http-alternates pointing elsewhere are not followed', async () => {
    // A dumb-protocol repository whose objects are "elsewhere": on the internal server.
    const alternates = await site((req, res) => {
      if (req.url?.endsWith('/objects/info/http-alternates'))
        return void res
          .writeHead(200)
          .end(`http://127.0.0.1:${internal.port}/repo.git/objects\n`);
      if (req.url?.includes('/objects/')) return void res.writeHead(404).end();
      forward(req, res);
    });
    await expect(
      checkout(
        at('forge.envhub.test', alternates),
        commit,
        join(scratch, 'alternates'),
        access
      )
    ).rejects.toMatchObject({ status: 502 });
    expect(alternates.requests.some(url => url.includes('/objects/'))).toBe(
      true
    );
    expect(internal.requests).toEqual([]);
  });

  test('a host is resolved once and git uses that answer (a name only the pinning makes resolvable)', async () => {
    const answers = [['127.0.0.1'], ['10.9.9.9']];
    const calls: string[] = [];
    const rebinding: Resolve = async host => (
      calls.push(host),
      answers[Math.min(calls.length - 1, 1)]
    );
    // 127.0.0.1 is allowed as an address, so every name that resolves to it is too.
    const pinned: RepoAccess = {
      allowedHosts: ['127.0.0.1'],
      resolve: rebinding
    };
    const repo = at('repo.envhub.test', internal);
    expect(await resolveRef(repo, 'master', pinned)).toBe(commit);
    expect(calls).toEqual(['repo.envhub.test']);
    calls.length = 0;
    await checkout(repo, commit, join(scratch, 'pinned'), pinned);
    expect(await readFile(join(scratch, 'pinned', 'a.txt'), 'utf8')).toBe(
      'internal'
    );
    expect(calls).toEqual(['repo.envhub.test']);
    // The second answer, had anyone asked again, is refused.
    await expect(resolveRef(repo, 'main', pinned)).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('(10.9.9.9)')
    });
    // Names with a trailing dot are pinned as they are written.
    expect(
      await resolveRef(at('repo.envhub.test.', internal), 'main', {
        allowedHosts: ['127.0.0.1'],
        resolve: async () => ['127.0.0.1']
      })
    ).toBe(commit);
  });

  test('a name whose addresses include IPv6 is pinned to all of them', async () => {
    const both: Resolve = async () => ['::1', '127.0.0.1'];
    const repo = at('repo.envhub.test', internal);
    expect(
      await locateRepo(repo, {
        allowedHosts: ['::1', '127.0.0.1'],
        resolve: both
      })
    ).toEqual({
      url: repo,
      pin: `repo.envhub.test:${internal.port}:[::1],127.0.0.1`
    });
    expect(
      await resolveRef(repo, 'main', {
        allowedHosts: ['::1', '127.0.0.1'],
        resolve: both
      })
    ).toBe(commit);
    await expect(
      resolveRef(repo, 'main', { allowedHosts: ['127.0.0.1'], resolve: both })
    ).rejects.toThrow('(::1): a loopback address');
  });
});
