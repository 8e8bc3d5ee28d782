import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { execStatus } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import { send as sendTo, type Received } from '../support/http.js';
import {
  buildUrl,
  envhubApi,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  signInStatus,
  tokenFor
} from '../support/hubSession.js';

// Public servers' temporary sessions against the real Hub + envhub + Docker engine that
// deploy/test.sh starts, whose site configuration (ui-tests/fixtures/site-config.json) sets a
// 30-second idle timeout, 3 visitors per server, 3 new sessions per address a minute, no egress
// and a warm pool of one for pooler/warm.
jest.setTimeout(600_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const owner = `pub-${stamp}`;
const volume = `pubdata-${stamp}`;
const service = `${hubUrl}/services/envhub`;
let ownerToken: string;
let adminToken: string;
let git: GitServer;
let repo: string;

/** One request to an absolute URL. */
const send = (
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string
) =>
  sendTo(url, '', { method, headers, ...(body === undefined ? {} : { body }) });

/** The service as the proxy reaches it: a host-side caller may say whose address it forwards. */
function direct(path: string): string {
  const bridge = process.env.ENVHUB_TEST_BRIDGE_IP!;
  const port = Number(new URL(hubUrl).port) + 3;
  return `http://${bridge}:${port}/services/envhub${path}`;
}

/** A visitor at `address` asks for a session of `owner/name` (no cookies, no token). */
const visit = (name: string, address: string, who = owner) =>
  send('POST', direct(`/public/${who}/${name}`), {
    'X-Forwarded-For': address,
    Accept: 'text/html'
  });

const visitorOf = (response: Received) =>
  /\/user\/([^/]+)\//.exec(String(response.headers.location))![1];
const containerOf = (user: string, name = 'show') =>
  `${namePrefix}-${escapeName(user)}--${name}`;

/** The cookies a response sets, as a Cookie header. */
const cookiesOf = (response: Received) =>
  response.cookies.map(cookie => cookie.split(';')[0]).join('; ');

async function sessionsOf(token: string): Promise<
  Array<{
    user: string;
    owner: string;
    server: string;
    image: string;
    claimedAt: string | null;
  }>
> {
  const response = await envhubApi(token, '/sessions');
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessions: never[] }).sessions;
}

async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  seconds = 120
): Promise<T> {
  for (let i = 0; i < seconds; i++) {
    const value = await check();
    if (value) return value;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const containerExists = (name: string) =>
  docker
    .getContainer(name)
    .inspect()
    .then(
      () => true,
      () => false
    );

async function endAllOf(name: string, who = owner, token = ownerToken) {
  for (const s of (await sessionsOf(token)).filter(
    s => s.owner === who && s.server === name
  ))
    await envhubApi(token, `/sessions/${s.user}`, { method: 'DELETE' });
}

beforeAll(async () => {
  if (!process.env.ENVHUB_TEST_BRIDGE_IP)
    throw new Error(
      'ENVHUB_TEST_BRIDGE_IP is not set: run this through deploy/test.sh'
    );
  [ownerToken, adminToken] = await Promise.all([
    tokenFor(owner),
    tokenFor('admin')
  ]);
  git = await GitServer.start();
  repo = git.url('show');
  await git.commit('show', {
    'requirements.txt': '',
    'index.ipynb': JSON.stringify({
      cells: [],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  });
  expect(
    (
      await envhubApi(ownerToken, '/volumes', {
        method: 'POST',
        body: JSON.stringify({ name: volume })
      })
    ).status
  ).toBe(201);
  const { events, body } = await readEventStream(
    buildUrl(repo, 'main', {
      name: 'show',
      public: '1',
      urlpath: 'lab/tree/index.ipynb',
      mount: `${volume}:/mnt/data`
    }),
    ownerToken
  );
  expect([events[events.length - 1]?.phase, body]).toEqual(['ready', body]);
  const made = await execStatus(containerOf(owner), [
    'sh',
    '-c',
    'echo owner data > /mnt/data/data.txt'
  ]);
  expect(made.exitCode).toBe(0);
});

afterAll(async () => {
  await envhubApi(ownerToken, '/servers/' + owner + '/show', {
    method: 'DELETE'
  });
  await envhubApi(ownerToken, `/volumes/${volume}`, { method: 'DELETE' });
  await hubApi(adminToken, `/users/${owner}`, { method: 'DELETE' });
  await git.stop();
});

describe('a public server', () => {
  test('its public page needs no sign-in and starts a session with a POST', async () => {
    const page = await send('GET', `${service}/public/${owner}/show`, {
      Accept: 'text/html'
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Start a temporary session');
    expect(page.text).toContain('method="post"');
    // The owner's view says it is public, where, and that nobody visits yet.
    const view = (await (
      await envhubApi(ownerToken, `/servers/${owner}/show`)
    ).json()) as { public: { url: string; visitors: number } | null };
    expect(view.public).toEqual(
      expect.objectContaining({
        url: expect.stringContaining(`/services/envhub/public/${owner}/show`),
        visitors: 0
      })
    );
  });

  test('an anonymous visitor reaches JupyterLab in a throw-away copy: no home volume, mounts read-only', async () => {
    const started = await send('POST', `${service}/public/${owner}/show`, {
      Accept: 'text/html'
    });
    expect(started.status).toBe(303);
    const location = String(started.headers.location);
    expect(location).toMatch(
      new RegExp(
        `/user/${namePrefix}-visitor-[0-9a-f]+/show/lab/tree/index\\.ipynb$`
      )
    );
    // The token never reaches the browser: not in the link, not in a cookie's name or path.
    expect(location).not.toContain('token');
    const cookie = cookiesOf(started);
    expect(cookie).toMatch(/jupyterhub-user-/);
    const visitor = visitorOf(started);
    const lab = await send('GET', new URL(location, hubUrl).toString(), {
      Cookie: cookie,
      Accept: 'text/html'
    });
    expect(lab.status).toBe(200);
    expect(lab.text).toContain('JupyterLab');
    const status = await send(
      'GET',
      `${hubUrl}/user/${visitor}/show/api/status`,
      { Cookie: cookie }
    );
    expect(status.status).toBe(200);
    // Without the cookies the same server is closed.
    expect(
      (await send('GET', `${hubUrl}/user/${visitor}/show/api/status`, {}))
        .status
    ).not.toBe(200);

    const info = await docker.getContainer(containerOf(visitor)).inspect();
    expect(info.Mounts.map(m => [m.Destination, m.RW])).toEqual([
      ['/mnt/data', false]
    ]);
    const env = info.Config.Env;
    expect(env).toContain(`ENVHUB_PUBLIC_SESSION=${owner}/show`);
    expect(env.some(e => e.startsWith('ENVHUB_CLASS'))).toBe(false);
    const run = (command: string) =>
      execStatus(containerOf(visitor), ['sh', '-c', command]);
    expect(await run('cat /mnt/data/data.txt')).toMatchObject({
      output: 'owner data\n',
      exitCode: 0
    });
    expect((await run('echo visitor > /mnt/data/data.txt')).exitCode).not.toBe(
      0
    );
    expect((await run('touch /mnt/data/new.txt')).exitCode).not.toBe(0);
    // The home is the image's, writable, and goes with the container.
    expect(await run('ls /home/jovyan')).toMatchObject({ exitCode: 0 });
    expect(
      (await run('echo scratch > /home/jovyan/visitor.txt')).exitCode
    ).toBe(0);
    const ownerSide = await execStatus(containerOf(owner), [
      'sh',
      '-c',
      'ls /home/jovyan; cat /mnt/data/data.txt'
    ]);
    expect(ownerSide.output).not.toContain('visitor.txt');
    expect(ownerSide.output).toContain('owner data');

    const view = (await (
      await envhubApi(ownerToken, `/servers/${owner}/show`)
    ).json()) as { public: { visitors: number } };
    expect(view.public.visitors).toBe(1);
    await endAllOf('show');
    expect(await containerExists(containerOf(visitor))).toBe(false);
  });

  test("a session's own tokens open no other server and no Hub API", async () => {
    const started = await visit('show', '10.77.0.1');
    expect(started.status).toBe(303);
    const visitor = visitorOf(started);
    const inside = await execStatus(containerOf(visitor), [
      'sh',
      '-c',
      'echo $JUPYTERHUB_API_TOKEN'
    ]);
    const serverToken = inside.output.trim();
    expect(serverToken).toMatch(/^\S{16,}$/);
    const lab = await send('GET', `${hubUrl}/user/${visitor}/show/lab`, {
      Cookie: cookiesOf(started),
      Accept: 'text/html'
    });
    const pageToken = /"token":\s*"([^"]+)"/.exec(lab.text)?.[1];
    for (const token of [serverToken, pageToken].filter(
      (t): t is string => !!t
    )) {
      const other = await send(
        'GET',
        `${hubUrl}/user/${owner}/show/api/status`,
        { Authorization: `token ${token}` }
      );
      expect(other.status).toBe(403);
      expect(
        (
          await hubApi(token, `/users/${visitor}/servers/more`, {
            method: 'POST',
            body: '{}'
          })
        ).status
      ).toBe(403);
      expect(
        (
          await hubApi(token, `/users/${visitor}/tokens`, {
            method: 'POST',
            body: '{}'
          })
        ).status
      ).toBe(403);
      expect((await envhubApi(token, '/servers')).status).toBe(403);
    }
    // Nobody signs in as a visitor, whatever the authenticator accepts (anyone else with the
    // demo password does).
    expect(await signInStatus(visitor)).toBe(403);
    expect(await signInStatus(`pubpeer-${stamp}`)).toBe(302);
    await hubApi(adminToken, `/users/pubpeer-${stamp}`, { method: 'DELETE' });
    await endAllOf('show');
  });

  test('without egress a session reaches the Hub only: no Internet, no envhub service', async () => {
    const started = await visit('show', '10.77.0.2');
    const visitor = visitorOf(started);
    const bridge = process.env.ENVHUB_TEST_BRIDGE_IP!;
    const port = Number(new URL(hubUrl).port);
    const connect = (host: string, to: number) =>
      execStatus(containerOf(visitor), [
        'python3',
        '-c',
        `import socket; socket.create_connection(("${host}", ${to}), timeout=5)`
      ]);
    expect((await connect(bridge, port + 2)).exitCode).toBe(0);
    expect((await connect(bridge, port + 3)).exitCode).not.toBe(0);
    expect((await connect('pypi.org', 443)).exitCode).not.toBe(0);
    // The owner's own server still reaches the package index.
    expect(
      (
        await execStatus(containerOf(owner), [
          'python3',
          '-c',
          'import socket; socket.create_connection(("pypi.org", 443), timeout=10)'
        ])
      ).exitCode
    ).toBe(0);
    await endAllOf('show');
  });

  test('the caps and the rate limit answer 429 with a page that says so', async () => {
    const first = await Promise.all(
      [1, 2, 3].map(() => visit('show', '10.77.1.1'))
    );
    expect(
      first.map(r => [
        r.status,
        r.status === 303 ? '' : /<h1>([^<]*)/.exec(r.text)?.[1]
      ])
    ).toEqual([303, 303, 303].map(s => [s, '']));
    const full = await visit('show', '10.77.1.2');
    expect(full.status).toBe(429);
    expect(full.headers['content-type']).toContain('text/html');
    expect(full.text).toContain(`3 visitors are in ${owner}/show now`);
    await endAllOf('show');
    const limited = await visit('show', '10.77.1.1');
    expect(limited.status).toBe(429);
    expect(limited.text).toMatch(
      /your address opened 3 public sessions in the last 60 seconds.*try again in \d+ seconds/
    );
    const other = await visit('show', '10.77.1.3');
    expect(other.status).toBe(303);
    await endAllOf('show');
  });

  test('after the idle timeout the container, the temporary user and its token are gone, and no volume remains', async () => {
    const ours = async () =>
      ((await docker.listVolumes()).Volumes ?? [])
        .map(v => v.Name)
        .filter(name => name.startsWith(`${namePrefix}-`));
    const volumesBefore = await ours();
    const started = await visit('show', '10.77.2.1');
    const visitor = visitorOf(started);
    const serverToken = (
      await execStatus(containerOf(visitor), [
        'sh',
        '-c',
        'echo $JUPYTERHUB_API_TOKEN'
      ])
    ).output.trim();
    expect(await containerExists(containerOf(visitor))).toBe(true);
    await until(
      'the idle session to end',
      async () =>
        !(await containerExists(containerOf(visitor))) &&
        (await hubApi(adminToken, `/users/${visitor}`)).status === 404,
      150
    );
    expect((await hubApi(serverToken, '/user')).status).toBe(403);
    expect((await sessionsOf(ownerToken)).some(s => s.user === visitor)).toBe(
      false
    );
    const after = await ours();
    expect(after.filter(name => !volumesBefore.includes(name))).toEqual([]);
    expect(after.some(name => name.includes(escapeName(visitor)))).toBe(false);
  });

  test('switched off, its public page is the same 404 as a server that never existed, and its sessions end', async () => {
    const started = await visit('show', '10.77.3.1');
    const visitor = visitorOf(started);
    const off = await envhubApi(ownerToken, `/servers/${owner}/show/public`, {
      method: 'PUT',
      body: JSON.stringify({ public: false })
    });
    expect(off.status).toBe(200);
    expect(((await off.json()) as { public: unknown }).public).toBeNull();
    const closed = await send('GET', `${service}/public/${owner}/show`, {
      Accept: 'application/json'
    });
    const missing = await send('GET', `${service}/public/${owner}/nothing`, {
      Accept: 'application/json'
    });
    expect([closed.status, missing.status]).toEqual([404, 404]);
    expect(JSON.parse(closed.text).message.replace('show', 'X')).toBe(
      JSON.parse(missing.text).message.replace('nothing', 'X')
    );
    expect((await visit('show', '10.77.3.2')).status).toBe(404);
    await until(
      "the closed server's session to end",
      async () => !(await containerExists(containerOf(visitor))),
      60
    );
    expect(
      (
        await envhubApi(ownerToken, `/servers/${owner}/show/public`, {
          method: 'PUT',
          body: JSON.stringify({ public: true })
        })
      ).status
    ).toBe(200);
  });

  test('someone else cannot switch it, list its sessions or end them; an admin can', async () => {
    const other = await tokenFor(`pubother-${stamp}`);
    const started = await visit('show', '10.77.4.1');
    const visitor = visitorOf(started);
    expect(
      (
        await envhubApi(other, `/servers/${owner}/show/public`, {
          method: 'PUT',
          body: JSON.stringify({ public: false })
        })
      ).status
    ).toBe(404);
    expect((await sessionsOf(other)).length).toBe(0);
    expect(
      (await envhubApi(other, `/sessions/${visitor}`, { method: 'DELETE' }))
        .status
    ).toBe(404);
    const listed = await sessionsOf(adminToken);
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ user: visitor, client: '10.77.4.1' })
      ])
    );
    expect(
      (
        await envhubApi(adminToken, `/sessions/${visitor}`, {
          method: 'DELETE'
        })
      ).status
    ).toBe(204);
    expect(await containerExists(containerOf(visitor))).toBe(false);
    await hubApi(adminToken, `/users/pubother-${stamp}`, { method: 'DELETE' });
  });
});

describe('the warm pool', () => {
  const pooler = 'pooler';
  let poolerToken: string;
  let poolGit: GitServer;

  beforeAll(async () => {
    poolerToken = await tokenFor(pooler);
    poolGit = await GitServer.start();
    await poolGit.commit('warm', { 'requirements.txt': '', 'a.txt': 'one' });
  });

  afterAll(async () => {
    await envhubApi(poolerToken, `/servers/${pooler}/warm`, {
      method: 'DELETE'
    });
    await until(
      'the pool to empty',
      async () => (await sessionsOf(adminToken)).every(s => s.owner !== pooler),
      60
    );
    await poolGit.stop();
  });

  const launchWarm = (query: Record<string, string> = {}) =>
    readEventStream(
      buildUrl(poolGit.url('warm'), 'main', {
        name: 'warm',
        public: '1',
        ...query
      }),
      poolerToken
    );
  const pooled = async () =>
    (await sessionsOf(poolerToken)).filter(
      s => s.server === 'warm' && s.claimedAt === null
    );

  test('holds a started session, hands it out at once and refills; follows the server to a new image', async () => {
    const { events } = await launchWarm();
    expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
    const [waiting] = await until('a pooled session', async () => {
      const list = await pooled();
      return list.length === 1 &&
        (await containerExists(containerOf(list[0].user, 'warm')))
        ? list
        : null;
    });
    const started = await visit('warm', '10.77.5.1', pooler);
    expect(started.status).toBe(303);
    expect(visitorOf(started)).toBe(waiting.user);
    const refilled = await until('the pool to refill', async () => {
      const list = await pooled();
      return list.length === 1 && list[0].user !== waiting.user ? list : null;
    });
    await endAllOf('warm', pooler, poolerToken);

    // A new commit moves the server to a new image: the pooled session of the old one is replaced.
    await poolGit.commit('warm', { 'a.txt': 'two' });
    const relaunched = await launchWarm({ relaunch: '1' });
    expect(relaunched.events[relaunched.events.length - 1]).toMatchObject({
      phase: 'ready'
    });
    const image = (
      (await (
        await envhubApi(poolerToken, `/servers/${pooler}/warm`)
      ).json()) as {
        image: string;
      }
    ).image;
    expect(image).not.toBe(refilled[0].image);
    await until('a pooled session of the new image', async () => {
      const list = await pooled();
      return list.length === 1 && list[0].image === image ? list : null;
    });
    expect(await containerExists(containerOf(refilled[0].user, 'warm'))).toBe(
      false
    );
  });
});
