import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  captureLogs,
  INTERNAL_SECRET,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import { launchPath, seedFixtures, TICKETS } from '../../support/fixtures.js';
import { expectStatus, type Received, type Sent } from '../../support/http.js';

/**
 * One place parses bodies: whatever a client sends to a writing route, the answer is the right 4xx
 * with `{status, code, message}` naming the problem, and nothing changes. An empty body in
 * particular must never read as "no collaborators" or "no members".
 */

const logs = captureLogs();
afterAll(() => logs.restore());

interface Route {
  method: string;
  path: string;
  /** The JSON the route takes. */
  shape: 'object' | 'array';
  /** A body the route accepts, and the status it answers with. */
  valid: unknown;
  ok: number;
  headers: Record<string, string>;
}

const asOwner = { Authorization: 'token token-alice' };
const ROUTES: Record<string, Route> = {
  collaborators: {
    method: 'PUT',
    path: 'api/servers/alice/s1/collaborators',
    shape: 'object',
    valid: { users: ['bob', 'frank'], groups: ['team'] },
    ok: 200,
    headers: asOwner
  },
  mounts: {
    method: 'PUT',
    path: 'api/servers/alice/s1/mounts',
    shape: 'array',
    valid: [{ source: 'v1', target: '/mnt/elsewhere' }],
    ok: 200,
    headers: asOwner
  },
  'new volume': {
    method: 'POST',
    path: 'api/volumes',
    shape: 'object',
    valid: { name: 'fresh' },
    ok: 201,
    headers: asOwner
  },
  members: {
    method: 'PUT',
    path: 'api/volumes/v1/members',
    shape: 'object',
    valid: { users: [{ name: 'frank', readOnly: true }], groups: [] },
    ok: 200,
    headers: asOwner
  },
  'spawn config': {
    method: 'POST',
    path: 'api/internal/spawn-config',
    shape: 'object',
    valid: {
      user: 'alice',
      server: 's1',
      user_options: { ticket: TICKETS.s1 }
    },
    ok: 200,
    headers: { Authorization: `token ${INTERNAL_SECRET}` }
  }
};

const json = (
  body: string | Buffer,
  contentType = 'application/json'
): Sent => ({ body, headers: { 'Content-Type': contentType } });
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const manyFields = (count: number) =>
  Array.from({ length: count }, (_, i) => `f${i}=${i}`).join('&');
const MB = 1024 * 1024;

/** What is sent, the statuses that are right, and what the message must name. */
type Case = [
  name: string,
  send: (route: Route) => Sent,
  statuses: number[],
  message: RegExp
];

const CASES: Case[] = [
  ['no body at all', () => ({}), [400], /body|json/i],
  [
    'an empty body with Content-Type: application/json',
    () => json(''),
    [400],
    /body|json/i
  ],
  ['a body of only spaces', () => json('   \n '), [400], /body|json/i],
  ['null', () => json('null'), [400], /null|json/i],
  [
    'the other JSON shape',
    route => json(route.shape === 'object' ? '[]' : '{}'),
    [400],
    /object|array|list/i
  ],
  ['a string', () => json('"x"'), [400], /string|json/i],
  ['a number', () => json('1'), [400], /number|json/i],
  ['true', () => json('true'), [400], /boolean|json/i],
  ['malformed JSON', () => json('{"users": ['), [400], /json/i],
  ['JSON with a trailing comma', () => json('{"users": [],}'), [400], /json/i],
  ['JSON nested 1000 deep', () => json(deep(1000)), [400], /deep|depth|nest/i],
  [
    'JSON nested 100 000 deep',
    () => json(deep(100_000)),
    [400, 413],
    /deep|depth|nest|large|limit/i
  ],
  [
    'a body over 1 MB',
    route =>
      json(
        JSON.stringify(
          route.shape === 'object'
            ? { users: ['a'.repeat(MB + 10)] }
            : ['a'.repeat(MB + 10)]
        )
      ),
    [413],
    /large|limit|over|mb/i
  ],
  [
    'Content-Encoding: bogus',
    route => ({
      body: JSON.stringify(route.valid),
      headers: {
        'Content-Type': 'application/json',
        'Content-Encoding': 'bogus'
      }
    }),
    [415],
    /encoding/i
  ],
  [
    'Content-Encoding: gzip that is not gzip',
    route => ({
      body: JSON.stringify(route.valid),
      headers: {
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip'
      }
    }),
    [400, 415],
    /encod|gzip|body/i
  ],
  [
    'charset=latin-2000',
    route =>
      json(JSON.stringify(route.valid), 'application/json; charset=latin-2000'),
    [415],
    /charset/i
  ],
  [
    'bytes that are not UTF-8',
    () => json(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
    [400],
    /utf-?8|json/i
  ],
  [
    'Content-Type: text/plain',
    route => json(JSON.stringify(route.valid), 'text/plain'),
    [400, 415],
    /content.type|json|text\/plain/i
  ],
  [
    'a Content-Type that is not a media type',
    route => json(JSON.stringify(route.valid), '; ;'),
    [400, 415],
    /content.type|json/i
  ],
  [
    'a form',
    () => json('users=bob&groups=team', 'application/x-www-form-urlencoded'),
    [400, 415],
    /json|form/i
  ],
  [
    'a form with 5 000 fields',
    () => json(manyFields(5000), 'application/x-www-form-urlencoded'),
    [400, 413, 415],
    /json|form|field/i
  ],
  [
    'multipart',
    () =>
      json(
        '--x\r\nContent-Disposition: form-data; name="users"\r\n\r\nbob\r\n--x--\r\n',
        'multipart/form-data; boundary=x'
      ),
    [400, 415],
    /json|content.type|multipart/i
  ]
];

describe.each(Object.entries(ROUTES))('%s', (_name, route) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp();
    seedFixtures(app);
  });
  afterEach(() => app.close());

  const call = (sent: Sent): Promise<Received> =>
    app.send(PREFIX + route.path, {
      ...sent,
      method: route.method,
      headers: { ...route.headers, ...sent.headers }
    });

  test('a valid body is accepted (so that the refusals below are about the body)', async () => {
    expectStatus(await call({ json: route.valid }), route.ok);
  });

  test.each(CASES)('%s', async (_case, make, statuses, message) => {
    const before = app.state();
    const response = await call(make(route));
    expectStatus(response, ...statuses);
    expect(response.json).toEqual({
      status: response.status,
      code: expect.any(String),
      message: expect.any(String)
    });
    expect(response.json.message).toMatch(message);
    expect(app.state()).toEqual(before);
  });
});

test('an empty body never wipes collaborators or members', async () => {
  const app = await testApp();
  try {
    seedFixtures(app);
    for (const path of [
      'api/servers/alice/s1/collaborators',
      'api/volumes/v1/members',
      'api/servers/alice/s1/mounts'
    ]) {
      for (const sent of [{}, json(''), json('{}', 'text/plain'), json('')]) {
        await app.send(PREFIX + path, {
          ...sent,
          method: 'PUT',
          headers: { ...asOwner, ...sent.headers }
        });
      }
    }
    const s1 = app.store.getServer('alice', 's1')!;
    expect(s1.spec.collaborators).toEqual({ users: ['bob'], groups: ['team'] });
    expect(s1.spec.mounts).toEqual([
      { source: 'v1', target: '/mnt/data', readOnly: false }
    ]);
    expect(app.store.getVolume('v1')!.members).toEqual({
      users: [{ name: 'dave', readOnly: true }],
      groups: [{ name: 'writers', readOnly: false }]
    });
    expect(app.hub.state()).toMatchObject({
      shares: { 'alice/s1': ['group:team', 'user:bob', 'user:carol'] }
    });
  } finally {
    await app.close();
  }
});

describe('forms (the launch confirmation posts one)', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp();
    seedFixtures(app);
  });
  afterEach(() => app.close());

  const confirm = (sent: Sent) =>
    app.send(`${PREFIX}v2/${launchPath(app)}`, {
      ...sent,
      method: 'POST',
      headers: { ...asOwner, Accept: 'application/json', ...sent.headers }
    });

  /** Whether following the link asks for confirmation again (it does not once remembered). */
  const asksToConfirm = async () => {
    const page = await app.send(`${PREFIX}v2/${launchPath(app)}`, {
      headers: { ...asOwner, Accept: 'text/html' }
    });
    expectStatus(page, 200);
    return page.text.includes('envhub-capabilities');
  };

  test('a form is read', async () => {
    expect(await asksToConfirm()).toBe(true);
    expectStatus(
      await confirm(json('remember=1', 'application/x-www-form-urlencoded')),
      200
    );
    expect(await asksToConfirm()).toBe(false);
  });

  test.each<Case>([
    [
      'a form with 5 000 fields',
      () => json(manyFields(5000), 'application/x-www-form-urlencoded'),
      [400, 413],
      /field|form/i
    ],
    [
      'a form over 1 MB',
      () =>
        json(
          `remember=1&x=${'a'.repeat(MB + 10)}`,
          'application/x-www-form-urlencoded'
        ),
      [413],
      /large|limit|over|kb|mb/i
    ],
    [
      'a form in charset latin-2000',
      () =>
        json(
          'remember=1',
          'application/x-www-form-urlencoded; charset=latin-2000'
        ),
      [415],
      /charset/i
    ],
    [
      'a form with Content-Encoding: bogus',
      () => ({
        body: 'remember=1',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Encoding': 'bogus'
        }
      }),
      [415],
      /encoding/i
    ]
  ])('%s', async (_case, make, statuses, message) => {
    const before = app.state();
    const response = await confirm(make(ROUTES.collaborators));
    expectStatus(response, ...statuses);
    expect(response.json).toEqual({
      status: response.status,
      code: expect.any(String),
      message: expect.any(String)
    });
    expect(response.json.message).toMatch(message);
    expect(app.state()).toEqual(before);
    expect(await asksToConfirm()).toBe(true);
  });
});

describe('malformed % escapes in paths are a 400, never a 500', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp();
    seedFixtures(app);
  });
  afterAll(() => app.close());

  test.each([
    ['GET', 'api/servers/%E0%A4%A/x'],
    ['GET', 'api/servers/alice/%E0%A4%A'],
    ['GET', 'api/servers/%/%'],
    ['PUT', 'api/servers/%E0%A4%A/x/collaborators'],
    ['PUT', 'api/servers/alice/%ZZ/mounts'],
    ['POST', 'api/servers/alice/%C0%AF/stop'],
    ['DELETE', 'api/servers/alice/%E0%A4%A'],
    ['GET', 'api/volumes/%E0%A4%A'],
    ['PUT', 'api/volumes/%FF/members'],
    ['DELETE', 'api/volumes/%'],
    ['GET', 'api/builds/%E0%A4%A'],
    ['GET', 'build/git/%E0%A4%A/HEAD'],
    ['GET', 'build/git/https%3A%2F%2Fforge.example.org%2Fr.git/%E0%A4%A'],
    ['GET', 'v2/git/%E0%A4%A/HEAD'],
    ['GET', 'builds/%E0%A4%A']
  ])('%s %s', async (method, path) => {
    const before = app.state();
    const response = await app.send(PREFIX + path, {
      method,
      headers: {
        ...asOwner,
        Accept: path.startsWith('build/')
          ? 'text/event-stream'
          : 'application/json'
      },
      ...(method === 'PUT' ? { json: {} } : {})
    });
    expectStatus(response, 400);
    expect(response.json).toEqual({
      status: 400,
      code: expect.any(String),
      message: expect.any(String)
    });
    expect(response.json.message).toMatch(/escape|%|url|encod/i);
    expect(app.state()).toEqual(before);
  });

  test.each(['static/%E0%A4%A.css', 'static/schema/%E0%A4%A.js', '%E0%A4%A'])(
    'GET %s is a 4xx',
    async path => {
      const response = await app.send(PREFIX + path, {
        headers: { Accept: 'application/json' }
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
  );
});

describe('a launch of a repository that cannot be launched is a 4xx naming it, never a 500', () => {
  let app: TestApp;
  let closedPort: number;
  beforeAll(async () => {
    app = await testApp();
    seedFixtures(app);
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise(resolve => probe.close(resolve));
  });
  afterAll(() => app.close());

  const commit = 'a'.repeat(40);
  const cases: Array<[string, () => string, RegExp]> = [
    [
      'a repository whose server does not answer',
      () =>
        `git/${encodeURIComponent(`http://127.0.0.1:${closedPort}/r.git`)}/${commit}`,
      /127\.0\.0\.1|reach|answer|refused/i
    ],
    [
      'a repository on a private address',
      () => `git/${encodeURIComponent('http://10.1.2.3/r.git')}/${commit}`,
      /private|address|10\.1\.2\.3/i
    ],
    [
      'a ref that git would take as an option',
      () =>
        `git/${encodeURIComponent(`${app.forge.url}/r.git`)}/--upload-pack=touch%20x`,
      /ref|branch|option/i
    ],
    ['an unknown provider', () => 'svn/whatever/HEAD', /provider/i],
    [
      'a repository URL with credentials',
      () =>
        `git/${encodeURIComponent(`http://user:secret@${app.forge.url.slice('http://'.length)}/r.git`)}/HEAD`,
      /password|user|credential/i
    ]
  ];

  describe.each(['build', 'v2'])('through /%s', route => {
    test.each(cases)('%s', async (_name, path, message) => {
      const before = app.state();
      const response = await app.send(`${PREFIX}${route}/${path()}`, {
        headers: {
          ...asOwner,
          Accept: route === 'build' ? 'text/event-stream' : 'application/json'
        }
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.json).toEqual({
        status: response.status,
        code: expect.any(String),
        message: expect.stringMatching(message)
      });
      expect(app.state()).toEqual(before);
    });
  });
});
