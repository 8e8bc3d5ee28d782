import { endReason } from '../../../src/sessions/publicSessions.js';
import type { SessionRecord } from '../../../src/store/store.js';
import { DEFAULT_SITE_CONFIG } from '../../../src/policy/siteConfig.js';
import {
  captureLogs,
  INTERNAL_SECRET,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  authHeader,
  S1_IMAGE,
  seedFixtures,
  TICKETS,
  VISITOR,
  type Tokens
} from '../../support/fixtures.js';
import { expectStatus } from '../../support/http.js';

/**
 * Public servers' temporary sessions in the real app, with the fake Hub and a fake proxy whose
 * servers set their login cookie for a token that may access them (as jupyterhub-singleuser does):
 * the hand-off, what a session's container gets, the caps and the rate, and the end of a session.
 * The fixtures' s2 is public and a visitor (VISITOR) is in it.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
let tokens: Tokens;
const rules = DEFAULT_SITE_CONFIG.publicSessions;
async function start(publicSessions: Partial<typeof rules> = {}) {
  app = await testApp({
    site: { publicSessions: { ...rules, ...publicSessions } }
  });
  tokens = seedFixtures(app);
}
afterEach(() => app.close());

const visit = (name = 's2', address = '198.51.100.7') =>
  app.send(`${PREFIX}public/alice/${name}`, {
    method: 'POST',
    headers: { Accept: 'text/html', 'X-Forwarded-For': address }
  });
const visitorOf = (location: unknown) =>
  /\/user\/([^/]+)\//.exec(String(location))![1];
const usersOf = () =>
  (app.hub.state() as { users: string[] }).users.filter(u =>
    u.startsWith('envhub-visitor-')
  );

describe('a visit', () => {
  beforeEach(() => start());

  test('makes a temporary user, starts its server and signs the browser in with cookies, never a token in a link', async () => {
    const response = await visit();
    expectStatus(response, 303);
    const location = String(response.headers.location);
    expect(location).toMatch(
      /^https:\/\/hub\.example\.org\/user\/envhub-visitor-[0-9a-f]{10}\/s2\/lab$/
    );
    const visitor = visitorOf(location);
    expect(response.cookies).toEqual([
      expect.stringMatching(
        new RegExp(
          `^jupyterhub-user-${visitor}-s2=signed-\\w+; HttpOnly; Path=/user/${visitor}/s2/$`
        )
      ),
      `_xsrf=x; Path=/user/${visitor}/s2/`
    ]);
    expect(location + response.cookies.join()).not.toMatch(/token/);
    expect(app.hub.callsOf('createUser')).toEqual([[visitor]]);
    const [[, , ticket]] = app.hub.callsOf('startServer');
    expect(ticket).toEqual({ ticket: app.store.getSession(visitor)!.ticket });
    // The token may reach this one server, nothing else.
    expect(app.hub.callsOf('createToken')).toEqual([
      [
        visitor,
        [`access:servers!server=${visitor}/s2`],
        rules.maxAge,
        expect.any(String)
      ]
    ]);
    expect(app.store.getSession(visitor)).toMatchObject({
      owner: 'alice',
      server: 's2',
      image: S1_IMAGE,
      client: '198.51.100.7',
      claimedAt: expect.any(String)
    });
  });

  test("runs the owner's image without a home volume, every mount read-only, no class, the session's limits", async () => {
    await app.send(`${PREFIX}api/servers/alice/s2/mounts`, {
      method: 'PUT',
      headers: authHeader(tokens, 'owner'),
      json: [{ source: 'v1', target: '/mnt/data', readOnly: false }]
    });
    const visitor = visitorOf((await visit()).headers.location);
    const config = app.hub.servers.get(`${visitor}/s2`)!.spawnConfig as {
      image: string;
      volumes: object;
      mounts: Array<{ target: string; read_only: boolean }>;
      environment: Record<string, string>;
      mem_limit: number;
      cpu_limit: number;
    };
    expect(config.image).toBe(S1_IMAGE);
    expect(config.volumes).toEqual({});
    expect(config.mounts).toEqual([
      expect.objectContaining({ target: '/mnt/data', read_only: true })
    ]);
    expect(config.environment).toMatchObject({
      ENVHUB_PUBLIC_SESSION: 'alice/s2',
      JUPYTERHUB_COOKIE_OPTIONS: '{"expires_days": null}'
    });
    expect(
      Object.keys(config.environment).filter(k => k.startsWith('ENVHUB_CLASS'))
    ).toEqual([]);
    expect([config.mem_limit, config.cpu_limit]).toEqual([2 ** 30, 1]);
  });

  test("a session's spawn needs its own ticket", async () => {
    const response = await app.send(`${PREFIX}api/internal/spawn-config`, {
      method: 'POST',
      headers: { Authorization: `token ${INTERNAL_SECRET}` },
      json: {
        user: VISITOR,
        server: 's2',
        user_options: { ticket: TICKETS.s2 }
      }
    });
    expectStatus(response, 403);
    expect(response.json.code).toBe('bad_ticket');
  });

  test('a server that is not public has the same 404 as one that does not exist, and nothing is made', async () => {
    const before = app.state();
    const answers = await Promise.all(
      ['s1', 'ghost'].flatMap(name => [
        visit(name),
        app.send(`${PREFIX}public/alice/${name}`, {
          headers: { Accept: 'application/json' }
        })
      ])
    );
    expect(answers.map(a => a.status)).toEqual([404, 404, 404, 404]);
    const [closed, , missing] = answers.map(
      a => (a.json?.message ?? /<h1>([^<]*)/.exec(a.text)?.[1]) as string
    );
    expect(closed.replace('s1', 'X')).toBe(missing.replace('ghost', 'X'));
    expect(app.state()).toEqual(before);
  });

  test('a start the Hub fails leaves no user, server or record behind', async () => {
    app.hub.dockerRefusal = 'no space left on device';
    const before = app.state();
    const response = await visit();
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(usersOf()).toEqual([VISITOR]);
    expect(app.state()).toEqual(before);
  });

  test('ending it stops and removes its server, then deletes its user with its tokens', async () => {
    const response = await app.send(`${PREFIX}api/sessions/${VISITOR}`, {
      method: 'DELETE',
      headers: authHeader(tokens, 'owner')
    });
    expectStatus(response, 204);
    expect(app.hub.calls.map(c => c.method)).toEqual(
      expect.arrayContaining(['stopServer', 'removeServer', 'deleteUser'])
    );
    expect(app.hub.servers.has(`${VISITOR}/s2`)).toBe(false);
    expect(usersOf()).toEqual([]);
    expect(app.store.allSessions()).toEqual([]);
  });

  test('switched off, the server takes no visitor and the next sweep ends its sessions', async () => {
    const off = await app.send(`${PREFIX}api/servers/alice/s2/public`, {
      method: 'PUT',
      headers: authHeader(tokens, 'owner'),
      json: { public: false }
    });
    expectStatus(off, 200);
    expect(off.json.public).toBeNull();
    expect((await visit()).status).toBe(404);
    await app.sessions.sweep();
    expect(app.store.allSessions()).toEqual([]);
    expect(usersOf()).toEqual([]);
  });

  test('the owner sees the visitors; an admin also sees their address', async () => {
    const view = await app.send(`${PREFIX}api/servers/alice/s2`, {
      headers: authHeader(tokens, 'owner')
    });
    expect(view.json.public).toMatchObject({
      url: 'https://hub.example.org/services/envhub/public/alice/s2',
      visitors: 1
    });
    const asOwner = await app.send(`${PREFIX}api/sessions`, {
      headers: authHeader(tokens, 'owner')
    });
    expect(asOwner.json.sessions).toEqual([
      expect.not.objectContaining({ client: expect.anything() })
    ]);
    expect(asOwner.json.sessions[0]).not.toHaveProperty('ticket');
    const asAdmin = await app.send(`${PREFIX}api/sessions`, {
      headers: authHeader(tokens, 'admin')
    });
    expect(asAdmin.json.sessions).toEqual([
      expect.objectContaining({ user: VISITOR, client: '203.0.113.9' })
    ]);
  });
});

describe('the limits', () => {
  test("the hub's cap answers 429 and makes nothing", async () => {
    await start({ maxSessions: 1 });
    const before = app.state();
    const response = await visit();
    expectStatus(response, 429);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.text).toContain(
      'this hub runs 1 public sessions, as many as it allows at once'
    );
    expect(app.state()).toEqual(before);
  });

  test("a server's cap answers 429 naming the server", async () => {
    await start({ maxPerServer: 1 });
    const response = await visit();
    expectStatus(response, 429);
    expect(response.json?.message ?? response.text).toContain(
      '1 visitors are in alice/s2 now'
    );
  });

  test('an address opens so many sessions a window; other addresses still can', async () => {
    await start({ perAddress: { sessions: 1, window: 60 } });
    expectStatus(await visit('s2', '198.51.100.1'), 303);
    const again = await visit('s2', '198.51.100.1');
    expectStatus(again, 429);
    expect(again.text).toMatch(
      /your address opened 1 public sessions in the last 60 seconds, as many as this hub allows; try again in \d+ seconds/
    );
    expectStatus(await visit('s2', '198.51.100.2'), 303);
  });
});

describe('the warm pool', () => {
  beforeEach(() =>
    start({ pools: [{ owner: 'alice', server: 's2', size: 1 }] })
  );

  test('hands out a session started in advance, then refills', async () => {
    await app.sessions.fillPools();
    const [pooled] = app.store.allSessions().filter(s => s.claimedAt === null);
    expect(app.hub.servers.get(`${pooled.user}/s2`)?.ready).toBe(true);
    app.hub.calls.length = 0;
    const response = await visit();
    expectStatus(response, 303);
    expect(visitorOf(response.headers.location)).toBe(pooled.user);
    await app.sessions.fillPools();
    const waiting = app.store.allSessions().filter(s => s.claimedAt === null);
    expect(waiting).toHaveLength(1);
    expect(waiting[0].user).not.toBe(pooled.user);
  });

  test("follows the server's image: a pooled session of an old image is replaced", async () => {
    await app.sessions.fillPools();
    const [old] = app.store.allSessions().filter(s => s.claimedAt === null);
    const record = app.store.getServer('alice', 's2')!;
    app.store.saveServer({ ...record, image: `${S1_IMAGE}-new` });
    app.docker.images.add(`${S1_IMAGE}-new`);
    await app.sessions.sweep();
    const waiting = app.store.allSessions().filter(s => s.claimedAt === null);
    expect(waiting.map(s => s.image)).toEqual([`${S1_IMAGE}-new`]);
    expect(app.hub.users.has(old.user)).toBe(false);
  });
});

describe('endReason', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const ago = (seconds: number) =>
    new Date(now.getTime() - seconds * 1000).toISOString();
  const session = (claimedAt: string | null): SessionRecord => ({
    user: 'v',
    owner: 'alice',
    server: 's',
    image: 'img',
    ticket: 't',
    createdAt: ago(7200),
    claimedAt,
    client: claimedAt ? '198.51.100.1' : null
  });
  const running = (lastActivity: string | null) => ({
    ready: true,
    pending: null,
    last_activity: lastActivity
  });
  const copied = { image: 'img', spec: { repo: 'r', public: true } };
  const limits = { idleTimeout: 600, maxAge: 3600, pooled: true };

  test.each([
    ['active', session(ago(60)), running(ago(10)), copied, null],
    ['idle', session(ago(900)), running(ago(700)), copied, 'idle'],
    [
      'idle since it was claimed, whatever the pool saw',
      session(ago(700)),
      running(null),
      copied,
      'idle'
    ],
    [
      'activity in the pool does not count',
      session(ago(60)),
      running(ago(5000)),
      copied,
      null
    ],
    [
      'past its maximum age',
      session(ago(3700)),
      running(ago(1)),
      copied,
      'max-age'
    ],
    [
      'its server is no longer public',
      session(ago(60)),
      running(ago(1)),
      { ...copied, spec: { repo: 'r', public: false } },
      'not public'
    ],
    [
      'its server was deleted',
      session(ago(60)),
      running(ago(1)),
      undefined,
      'not public'
    ],
    ['its container died', session(ago(60)), null, copied, 'gone'],
    ['pooled, current image', session(null), running(ago(9000)), copied, null],
    [
      'pooled, old image',
      session(null),
      running(null),
      { ...copied, image: 'new' },
      'image changed'
    ]
  ])('%s', (_, s, server, record, expected) => {
    expect(endReason(s, server, record, limits, now)).toBe(expected);
  });

  test('a pooled session of a server no longer pooled ends', () => {
    expect(
      endReason(
        session(null),
        running(null),
        copied,
        { ...limits, pooled: false },
        now
      )
    ).toBe('not pooled');
  });
});
