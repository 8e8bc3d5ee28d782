import { createDecipheriv } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  seedFixtures,
  TICKETS,
  VISITOR,
  type Tokens
} from '../../support/fixtures.js';
import { expectStatus, type Sent } from '../../support/http.js';

/**
 * WebDAV folders as volumes through the real app, against a WebDAV stand-in on 127.0.0.1 that
 * answers as a Nextcloud would (the real rclone plugin and WebDAV server: the integration test):
 * each user's servers mount the folder with that user's own credential, checked before the start.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

// WebDAV accounts: alice may write, bob may only read. Only /files/ exists; /old/ moved to it.
const ACCOUNTS: Record<string, { password: string; write: boolean }> = {
  alice: { password: 'alice-app-password-1', write: true },
  bob: { password: 'bob-app-password-2', write: false }
};
let dav: Server;
let davUrl: string;
const requests: string[] = [];
beforeAll(async () => {
  dav = createServer((req, res) => {
    const [user, password] = Buffer.from(
      (req.headers.authorization ?? '').replace(/^Basic /, ''),
      'base64'
    )
      .toString()
      .split(':');
    const account = ACCOUNTS[user];
    requests.push(`${req.method} ${req.url} ${user}`);
    if (!account || account.password !== password)
      return res.writeHead(401).end();
    if (req.url!.startsWith('/old/'))
      return res.writeHead(301, { Location: '/files/' }).end();
    if (!req.url!.startsWith('/files/')) return res.writeHead(404).end();
    if (req.method === 'PROPFIND') return res.writeHead(207).end('<xml/>');
    if (req.method === 'PUT' || req.method === 'DELETE')
      return res.writeHead(account.write ? 201 : 403).end();
    return res.writeHead(405).end();
  });
  await new Promise<void>(resolve => dav.listen(0, '127.0.0.1', resolve));
  davUrl = `http://127.0.0.1:${(dav.address() as AddressInfo).port}`;
});
afterAll(() => new Promise(resolve => dav.close(resolve)));

let app: TestApp;
let tokens: Tokens;
let pluginDir: string;
beforeEach(async () => {
  // What dockerd would find when rclone's volume plugin runs: its socket.
  pluginDir = await mkdtemp(join(tmpdir(), 'envhub-plugins-'));
  await writeFile(join(pluginDir, 'envhub-webdav.sock'), '');
  app = await testApp({ dockerPluginDir: pluginDir });
  tokens = seedFixtures(app);
  requests.length = 0;
});
afterEach(async () => {
  await app.close();
  await rm(pluginDir, { recursive: true, force: true });
});

const as = (
  role: 'owner' | 'collaborator' | 'otherUser',
  path: string,
  sent: Sent = {}
) =>
  app.send(`${PREFIX}api/${path}`, {
    ...sent,
    headers: { ...authHeader(tokens, role), ...sent.headers }
  });
const createCloud = (url = `${davUrl}/files/Teaching`) =>
  as('owner', 'volumes', {
    method: 'POST',
    json: { name: 'cloud', webdav: url }
  });
const storeCredential = (
  role: 'owner' | 'collaborator',
  username: string,
  token: string
) =>
  as(role, `credentials/${new URL(davUrl).host}`, {
    method: 'PUT',
    json: { username, token }
  });

/** Gives `owner`'s server `name` (alice's s1 copied, with `ticket`) the mounts `mounts`. */
function mountInto(
  owner: string,
  name: string,
  ticket: string,
  mounts: object[]
): void {
  const s1 = app.store.getServer('alice', 's1')!;
  app.store.saveServer({
    ...s1,
    owner,
    name,
    ticket,
    spec: { ...s1.spec, name, mounts } as typeof s1.spec
  });
}
const spawn = (user: string, server: string, ticket: string) =>
  app.send(`${PREFIX}api/internal/spawn-config`, {
    method: 'POST',
    headers: { Authorization: `token ${INTERNAL_SECRET}` },
    json: { user, server, user_options: { ticket } }
  });

/** rclone's `reveal`: the plugin's option back to the password. */
function reveal(obscured: string): string {
  const bytes = Buffer.from(obscured, 'base64url');
  const key = Buffer.from(
    '9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638',
    'hex'
  );
  const decipher = createDecipheriv('aes-256-ctr', key, bytes.subarray(0, 16));
  return Buffer.concat([
    decipher.update(bytes.subarray(16)),
    decipher.final()
  ]).toString();
}

test('a WebDAV volume is a URL kept with the volume; nothing is made until a server starts', async () => {
  const created = await createCloud();
  expectStatus(created, 201);
  expect(created.json).toMatchObject({
    name: 'cloud',
    owner: 'alice',
    webdav: `${davUrl}/files/Teaching/`,
    access: 'owner'
  });
  expect(app.store.getVolume('cloud')?.webdav).toBe(
    `${davUrl}/files/Teaching/`
  );
  expect(
    app.docker.calls.filter(call => call.method === 'createVolume')
  ).toEqual([]);
  expect(requests).toEqual([]);
});

test.each([
  ['ftp://127.0.0.1/files/', 400, 'http or https'],
  [
    'http://alice:secret@127.0.0.1/files/',
    400,
    'store them as your credential'
  ],
  ['http://127.0.0.1/files/?x=1', 400, 'query'],
  ['not a url', 400, 'not a URL'],
  [42, 400, 'not a URL'],
  ['http://10.1.2.3/files/', 403, 'ENVHUB_ALLOWED_REPO_HOSTS']
])(
  'a WebDAV URL %p is refused (%p) with a message, and nothing is kept',
  async (url, status, message) => {
    const response = await as('owner', 'volumes', {
      method: 'POST',
      json: { name: 'cloud', webdav: url }
    });
    expectStatus(response, status);
    expect(response.json.message).toContain(message);
    expect(response.json.message).not.toContain('secret');
    expect(app.store.getVolume('cloud')).toBeUndefined();
  }
);

test('without the volume plugin, a WebDAV volume is refused saying what is missing', async () => {
  await rm(join(pluginDir, 'envhub-webdav.sock'));
  const response = await createCloud();
  expectStatus(response, 503);
  expect(response.json).toMatchObject({ code: 'webdav_unavailable' });
  expect(response.json.message).toContain('rclone');
  expect(app.store.getVolume('cloud')).toBeUndefined();
});

test("each user's server mounts the folder with their own credential and their own rights", async () => {
  expectStatus(await createCloud(), 201);
  expectStatus(
    await as('owner', 'volumes/cloud/members', {
      method: 'PUT',
      json: { users: [{ name: 'bob', readOnly: false }], groups: [] }
    }),
    200
  );
  mountInto('alice', 's1', TICKETS.s1, [
    { source: 'cloud', target: '/mnt/cloud' }
  ]);
  mountInto('bob', 'b1', 'ticket-of-bob-b1', [
    { source: 'cloud', target: '/mnt/cloud' }
  ]);
  expectStatus(
    await storeCredential('owner', 'alice', ACCOUNTS.alice.password),
    200
  );
  expectStatus(
    await storeCredential('collaborator', 'bob', ACCOUNTS.bob.password),
    200
  );

  const alice = await spawn('alice', 's1', TICKETS.s1);
  expectStatus(alice, 200);
  expect(alice.json.mounts).toContainEqual({
    type: 'volume',
    source: `${NAME_PREFIX}-webdav-cloud--alice`,
    target: '/mnt/cloud',
    read_only: false,
    no_copy: true
  });
  const bob = await spawn('bob', 'b1', 'ticket-of-bob-b1');
  expectStatus(bob, 200);
  // bob's WebDAV account may only read: his server mounts it read-only although membership allows writing.
  expect(bob.json.mounts).toContainEqual(
    expect.objectContaining({
      source: `${NAME_PREFIX}-webdav-cloud--bob`,
      read_only: true
    })
  );

  const volumes = app.docker.volumes;
  const aliceVolume = volumes.get(`${NAME_PREFIX}-webdav-cloud--alice`)!;
  expect(aliceVolume.Driver).toBe('envhub-webdav');
  expect(aliceVolume.Options).toMatchObject({
    type: 'webdav',
    'webdav-url': `${davUrl}/files/Teaching/`,
    'webdav-user': 'alice',
    uid: '1000',
    'vfs-write-back': '0s'
  });
  expect(aliceVolume.Options).not.toHaveProperty('read-only');
  expect(reveal(aliceVolume.Options!['webdav-pass'])).toBe(
    ACCOUNTS.alice.password
  );
  expect(
    volumes.get(`${NAME_PREFIX}-webdav-cloud--bob`)!.Options
  ).toMatchObject({ 'webdav-user': 'bob', 'read-only': 'true' });
  // The folder was checked with each one's credential, the write check cleaned up after itself.
  expect(requests).toEqual(
    expect.arrayContaining([
      'PROPFIND /files/Teaching/ alice',
      expect.stringMatching(
        /^PUT \/files\/Teaching\/\.envhub-write-check-\w+ alice$/
      ),
      expect.stringMatching(
        /^DELETE \/files\/Teaching\/\.envhub-write-check-\w+ alice$/
      ),
      expect.stringMatching(
        /^PUT \/files\/Teaching\/\.envhub-write-check-\w+ bob$/
      )
    ])
  );
  const everything = JSON.stringify([alice.json, bob.json, logs.lines]);
  expect(everything).not.toContain(ACCOUNTS.alice.password);
  expect(everything).not.toContain(ACCOUNTS.bob.password);

  // Deleting the volume removes every user's Docker volume of it.
  mountInto('alice', 's1', TICKETS.s1, []);
  mountInto('bob', 'b1', 'ticket-of-bob-b1', []);
  expectStatus(await as('owner', 'volumes/cloud', { method: 'DELETE' }), 204);
  expect([...volumes.keys()].filter(name => name.includes('-webdav-'))).toEqual(
    []
  );
});

test('a start without a credential, or with one the server refuses, fails naming the host and what to do', async () => {
  expectStatus(await createCloud(), 201);
  const host = new URL(davUrl).host;
  mountInto('alice', 's1', TICKETS.s1, [
    { source: 'cloud', target: '/mnt/cloud' }
  ]);
  const missing = await spawn('alice', 's1', TICKETS.s1);
  expectStatus(missing, 422);
  expect(missing.json).toMatchObject({ code: 'no_credential' });
  expect(missing.json.message).toContain(`no credential for ${host}`);
  expect(missing.json.message).toContain(`PUT api/credentials/${host}`);
  // The server view says so before any start.
  const view = await as('owner', 'servers/alice/s1');
  expect(JSON.stringify(view.json)).toContain(`no credential for ${host}`);

  expectStatus(await storeCredential('owner', 'alice', 'an-old-password'), 200);
  const refused = await spawn('alice', 's1', TICKETS.s1);
  expectStatus(refused, 403);
  expect(refused.json).toMatchObject({ code: 'webdav_credential_refused' });
  expect(refused.json.message).toContain(`${host} refused your credential`);
  expect(refused.json.message).not.toContain('an-old-password');
  expect(
    [...app.docker.volumes.keys()].filter(name => name.includes('-webdav-'))
  ).toEqual([]);
});

test("a folder that does not exist or that moved is named in the start's refusal", async () => {
  expectStatus(
    await storeCredential('owner', 'alice', 'alice-app-password-1'),
    200
  );
  for (const [path, code] of [
    ['/nothing/here/', 'webdav_not_found'],
    ['/old/', 'webdav_redirect']
  ]) {
    await as('owner', 'volumes/cloud', { method: 'DELETE' });
    expectStatus(await createCloud(`${davUrl}${path}`), 201);
    mountInto('alice', 's1', TICKETS.s1, [
      { source: 'cloud', target: '/mnt/cloud' }
    ]);
    const response = await spawn('alice', 's1', TICKETS.s1);
    expectStatus(response, 422);
    expect(response.json).toMatchObject({ code });
    expect(response.json.message).toContain(`volume "cloud"`);
  }
});

test("a visitor's session of a public server leaves its WebDAV volumes out", async () => {
  expectStatus(await createCloud(), 201);
  expectStatus(
    await storeCredential('owner', 'alice', 'alice-app-password-1'),
    200
  );
  const s2 = app.store.getServer('alice', 's2')!;
  app.store.saveServer({
    ...s2,
    spec: {
      ...s2.spec,
      mounts: [
        { source: 'cloud', target: '/mnt/cloud' },
        { source: 'v1', target: '/mnt/v1' }
      ]
    } as typeof s2.spec
  });
  const visit = await spawn(VISITOR, 's2', TICKETS.visitor);
  expectStatus(visit, 200);
  expect(visit.json.mounts).toEqual([
    expect.objectContaining({ target: '/mnt/v1', read_only: true })
  ]);
  expect(requests).toEqual([]);
});
