import { homeVolumeName, sharedVolumeName } from '../../../src/naming.js';
import {
  captureLogs,
  INTERNAL_SECRET,
  NAME_PREFIX,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  authHeader,
  launchPath,
  S1_IMAGE,
  seedFixtures,
  TICKETS,
  type Tokens
} from '../../support/fixtures.js';
import {
  expectReady,
  expectStatus,
  streamEvents,
  type Sent
} from '../../support/http.js';

/**
 * The Hub's apply_user_options hook redeems a launch ticket at `api/internal/spawn-config`: only the
 * Hub (holding the shared secret) may ask, and only a ticket envhub issued for that very server
 * yields a spawn configuration. Anything else is refused, telling to launch through envhub.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
let tokens: Tokens;
beforeEach(async () => {
  app = await testApp();
  tokens = seedFixtures(app);
});
afterEach(() => app.close());

const spawnConfig = (
  body: unknown,
  headers: Record<string, string> = {
    Authorization: `token ${INTERNAL_SECRET}`
  },
  extra: Sent = {}
) =>
  app.send(`${PREFIX}api/internal/spawn-config`, {
    method: 'POST',
    headers,
    json: body,
    ...extra
  });

const valid = {
  user: 'alice',
  server: 's1',
  user_options: { ticket: TICKETS.s1 }
};

describe('only the Hub may ask', () => {
  test.each([
    ['no Authorization header', {}],
    [
      'a wrong secret of the same length',
      { Authorization: `token ${'x'.repeat(INTERNAL_SECRET.length)}` }
    ],
    ['a wrong secret of another length', { Authorization: 'token nope' }],
    [
      'the secret with something appended',
      { Authorization: `token ${INTERNAL_SECRET}x` }
    ],
    ["a user's Hub token", { Authorization: 'token token-alice' }],
    [
      "the server's own Hub token",
      { Authorization: 'token server-token-alice-s1' }
    ],
    ['the secret in a cookie', { Cookie: `secret=${INTERNAL_SECRET}` }]
  ])('%s: 403', async (_name, headers) => {
    const before = app.state();
    const response = await spawnConfig(
      valid,
      headers as Record<string, string>
    );
    expectStatus(response, 403);
    expect(response.json).toMatchObject({
      status: 403,
      code: expect.any(String),
      message: expect.any(String)
    });
    expect(JSON.stringify(response.json)).not.toContain(S1_IMAGE);
    expect(app.state()).toEqual(before);
  });
});

describe('a spawn without a valid ticket is refused, telling to launch through envhub', () => {
  test.each<[string, unknown]>([
    ['no user_options', { user: 'alice', server: 's1' }],
    ['empty user_options', { user: 'alice', server: 's1', user_options: {} }],
    ['user_options null', { user: 'alice', server: 's1', user_options: null }],
    [
      'user_options a list',
      { user: 'alice', server: 's1', user_options: [TICKETS.s1] }
    ],
    [
      'an empty ticket',
      { user: 'alice', server: 's1', user_options: { ticket: '' } }
    ],
    [
      'a forged ticket',
      {
        user: 'alice',
        server: 's1',
        user_options: { ticket: 'forged-ticket-of-the-right-length-xx' }
      }
    ],
    [
      'the ticket of another server of the same user',
      { user: 'alice', server: 's1', user_options: { ticket: TICKETS.s2 } }
    ],
    [
      "the owner's ticket for the same server name of another user",
      { user: 'bob', server: 's1', user_options: { ticket: TICKETS.s1 } }
    ],
    [
      'a valid ticket for a server that does not exist',
      { user: 'alice', server: 's9', user_options: { ticket: TICKETS.s1 } }
    ],
    [
      'a valid ticket plus an image',
      {
        user: 'alice',
        server: 's1',
        user_options: { ticket: TICKETS.s1, image: 'attacker/image:latest' }
      }
    ],
    [
      'only an image',
      {
        user: 'alice',
        server: 's1',
        user_options: { image: 'attacker/image:latest' }
      }
    ],
    [
      'a valid ticket plus volumes',
      {
        user: 'alice',
        server: 's1',
        user_options: {
          ticket: TICKETS.s1,
          volumes: { '/': { bind: '/host', mode: 'rw' } }
        }
      }
    ],
    [
      'a ticket that is not a string',
      { user: 'alice', server: 's1', user_options: { ticket: 12345 } }
    ],
    [
      'a ticket that is an object',
      { user: 'alice', server: 's1', user_options: { ticket: { $ne: null } } }
    ]
  ])('%s', async (_name, body) => {
    const before = app.state();
    const response = await spawnConfig(body);
    expect([400, 403, 404, 422]).toContain(response.status);
    expect(response.json).toMatchObject({
      status: response.status,
      code: expect.any(String)
    });
    expect(response.json.message).toMatch(/launch/i);
    expect(response.json.message).toMatch(/envhub/i);
    expect(response.json).not.toHaveProperty('image');
    expect(app.state()).toEqual(before);
  });

  test('no ticket at all is refused as such', async () => {
    const response = await spawnConfig({
      user: 'alice',
      server: 's1',
      user_options: {}
    });
    expectStatus(response, 400, 403);
    expect(response.json.code).toMatch(/ticket/);
  });

  test.each<[string, unknown]>([
    ['no user', { server: 's1', user_options: { ticket: TICKETS.s1 } }],
    ['no server', { user: 'alice', user_options: { ticket: TICKETS.s1 } }],
    [
      'a user that is not a string',
      { user: ['alice'], server: 's1', user_options: { ticket: TICKETS.s1 } }
    ]
  ])('%s: 400', async (_name, body) => {
    const before = app.state();
    const response = await spawnConfig(body);
    expectStatus(response, 400);
    expect(response.json).toMatchObject({
      status: 400,
      code: expect.any(String),
      message: expect.any(String)
    });
    expect(app.state()).toEqual(before);
  });
});

test('a valid ticket yields the recorded image, the home volume, the mounts and limits with swap equal to memory', async () => {
  const response = await spawnConfig(valid);
  expectStatus(response, 200);
  expect(response.json).toMatchObject({
    image: S1_IMAGE,
    volumes: {
      [homeVolumeName(NAME_PREFIX, 'alice', 's1')]: {
        bind: '/home/jovyan',
        mode: 'rw'
      }
    },
    mounts: [
      {
        type: 'volume',
        source: sharedVolumeName(NAME_PREFIX, 'v1'),
        target: '/mnt/data',
        read_only: false
      }
    ],
    mem_limit: 2 * 1024 ** 3,
    cpu_limit: 1
  });
  expect(response.json.memswap_limit).toBe(response.json.mem_limit);
  expect(Object.keys(response.json.volumes)).toHaveLength(1);
});

test("a ticket's limits are the spec's, within the site's caps", async () => {
  const record = app.store.getServer('alice', 's2')!;
  app.store.saveServer({
    ...record,
    spec: { ...record.spec, resources: { memory: '1G', cpus: 0.5 } }
  });
  const response = await spawnConfig({
    user: 'alice',
    server: 's2',
    user_options: { ticket: TICKETS.s2 }
  });
  expectStatus(response, 200);
  expect(response.json).toMatchObject({
    mem_limit: 1024 ** 3,
    memswap_limit: 1024 ** 3,
    cpu_limit: 0.5
  });
});

test('a launch through envhub starts the server with its ticket only, which the Hub redeems', async () => {
  const stream = await app.send(`${PREFIX}build/${launchPath(app)}`, {
    headers: {
      ...authHeader(tokens, 'collaborator'),
      Accept: 'text/event-stream'
    }
  });
  expectStatus(stream, 200);
  expectReady(stream.text);
  const record = app.store.getServer('bob', 'launchme')!;
  const [user, server, userOptions] = app.hub.callsOf('startServer')[0];
  expect({ user, server, userOptions }).toEqual({
    user: 'bob',
    server: 'launchme',
    userOptions: { ticket: record.ticket }
  });
  const spawned = app.hub.servers.get('bob/launchme') as unknown as {
    ready: boolean;
    spawnConfig: Record<string, unknown>;
  };
  expect(spawned.ready).toBe(true);
  expect(spawned.spawnConfig).toMatchObject({ image: record.image });
  expect(spawned.spawnConfig.memswap_limit).toBe(spawned.spawnConfig.mem_limit);
});

test('a server started at the Hub without a ticket never runs', async () => {
  await expect(app.hub.startServer('alice', 'direct', {})).rejects.toThrow(
    /refused to start/
  );
  expect((await app.hub.getServer('alice', 'direct'))?.ready).toBe(false);
  const progress = [];
  for await (const event of app.hub.progress('alice', 'direct')) {
    progress.push(event);
  }
  expect(progress.at(-1)).toMatchObject({ failed: true });
  expect(progress.at(-1)?.message).toMatch(/launch/i);
  expect(app.store.getServer('alice', 'direct')).toBeUndefined();
});

test("a spawn Docker refuses ends the launch in `failed` naming Docker's reason, and leaves nothing behind", async () => {
  app.hub.dockerRefusal = 'Minimum memory limit allowed is 6MB';
  const before = app.state();
  const stream = await app.send(`${PREFIX}build/${launchPath(app)}`, {
    headers: { ...authHeader(tokens, 'otherUser'), Accept: 'text/event-stream' }
  });
  expectStatus(stream, 200);
  const events = streamEvents(stream.text);
  expect(events.at(-1)).toMatchObject({ phase: 'failed' });
  expect(String(events.at(-1)?.message)).toContain(
    'Minimum memory limit allowed is 6MB'
  );
  expect(String(events.at(-1)?.message)).not.toMatch(
    /Internal Server Error|http\+docker/
  );
  // No record, no Hub server, no home volume; only the built image and its build remain.
  const after = app.state();
  expect({
    ...after,
    builds: before.builds,
    buildRequests: before.buildRequests,
    docker: { ...after.docker, images: before.docker.images }
  }).toEqual(before);
  expect(after.buildRequests).toBe(1);
});
