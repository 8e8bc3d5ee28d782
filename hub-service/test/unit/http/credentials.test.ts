import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialHost } from '../../../src/credentials/credentials.js';
import {
  credentialVariableHost,
  credentialVariables
} from '../../../src/credentials/credentialVariables.js';
import { SecretBox } from '../../../src/credentials/secretBox.js';
import {
  captureLogs,
  INTERNAL_SECRET,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  ALICE_FORGE_TOKEN,
  authHeader,
  seedFixtures,
  TICKETS,
  type Tokens
} from '../../support/fixtures.js';
import { expectStatus, type Sent } from '../../support/http.js';

/**
 * Users' credentials through the real app: stored sealed under a key outside the database, listed
 * without secrets, removed; hosts and bodies checked with messages that never quote a secret.
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

const SECRET = 'glpat-very-secret-0123456789';
const as = (role: 'owner' | 'otherUser', path: string, sent: Sent = {}) =>
  app.send(`${PREFIX}api/credentials${path}`, {
    ...sent,
    headers: { ...authHeader(tokens, role), ...sent.headers }
  });

test('a stored credential is listed by host without its secret, and sealed in the store', async () => {
  const put = await as('otherUser', '/Cloud.Example.org:8443', {
    method: 'PUT',
    json: { username: 'mallory', token: SECRET }
  });
  expectStatus(put, 200);
  expect(put.json).toEqual({
    host: 'cloud.example.org:8443',
    username: 'mallory',
    createdAt: expect.any(String),
    lastUsedAt: null
  });
  const list = await as('otherUser', '');
  expect(list.json.credentials).toEqual([put.json]);
  // Nobody else sees it, and no answer, record or log line holds the secret in the clear.
  expect((await as('owner', '')).json.credentials).toEqual([
    expect.objectContaining({ host: 'forge.example.org' })
  ]);
  const everything = JSON.stringify([
    put.json,
    list.json,
    app.store.allCredentials(),
    logs.lines
  ]);
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain(ALICE_FORGE_TOKEN);
  // envhub itself opens it, for its owner only, and says when.
  expect(app.credentials.use('mallory', 'cloud.example.org:8443')).toEqual({
    username: 'mallory',
    token: SECRET
  });
  expect((await as('otherUser', '')).json.credentials[0].lastUsedAt).toEqual(
    expect.any(String)
  );
  expect(app.credentials.use('alice', 'cloud.example.org:8443')).toBeNull();
});

test('storing again replaces, deleting removes, and a second delete is a 404', async () => {
  const put = (token: string) =>
    as('owner', '/forge.example.org', {
      method: 'PUT',
      json: { username: 'alice2', token }
    });
  expectStatus(await put('second-token'), 200);
  expect(app.credentials.use('alice', 'forge.example.org')).toEqual({
    username: 'alice2',
    token: 'second-token'
  });
  expectStatus(
    await as('owner', '/forge.example.org', { method: 'DELETE' }),
    204
  );
  const again = await as('owner', '/forge.example.org', { method: 'DELETE' });
  expectStatus(again, 404);
  expect(again.json.message).toBe(
    'you have no credential for forge.example.org'
  );
  expect(app.store.allCredentials()).toEqual([]);
});

test.each([
  'https://forge.example.org',
  'forge.example.org/group',
  'alice@forge.example.org',
  'forge example',
  'forge.example.org:99999',
  '-forge.example.org'
])('"%s" is not a host: 400, nothing stored', async host => {
  const before = app.state();
  const response = await as('owner', `/${encodeURIComponent(host)}`, {
    method: 'PUT',
    json: { username: 'alice', token: SECRET }
  });
  expectStatus(response, 400);
  expect(response.json.code).toBe('invalid_host');
  expect(response.json.message).toContain('e.g. forge.example.org');
  expect(app.state()).toEqual(before);
});

test.each([
  ['no token', { username: 'alice' }, 'token is required'],
  [
    'an empty token',
    { username: 'alice', token: '' },
    'token must NOT have fewer than 1 characters'
  ],
  [
    'a line break in the token',
    { username: 'alice', token: `${SECRET}\n` },
    'token does not have the expected form'
  ],
  [
    'another field',
    { username: 'alice', token: SECRET, scope: 'all' },
    'unknown field "scope"'
  ]
])(
  '%s: 400 naming the field, never quoting the secret',
  async (_, body, message) => {
    const before = app.state();
    const response = await as('owner', '/forge.example.org', {
      method: 'PUT',
      json: body
    });
    expectStatus(response, 400);
    expect(response.json.message).toContain(message);
    expect(response.text).not.toContain(SECRET);
    expect(app.state()).toEqual(before);
  }
);

describe('credentialHost', () => {
  test.each([
    ['forge.example.org', 'forge.example.org'],
    ['FORGE.example.org', 'forge.example.org'],
    ['forge.example.org:443', 'forge.example.org'],
    ['forge.example.org:80', 'forge.example.org'],
    ['forge.example.org:8443', 'forge.example.org:8443'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['[::1]:8080', '[::1]:8080']
  ])('%s → %s', (given, host) => {
    expect(credentialHost(given)).toBe(host);
  });
});

describe('SecretBox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envhub-box-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('makes its key file readable by its owner only, and reads it back', async () => {
    const path = join(dir, 'credentials.key');
    const sealed = SecretBox.fromKeyFile(path).seal(SECRET, 'alice\0forge');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(sealed).not.toContain(SECRET);
    expect(SecretBox.fromKeyFile(path).open(sealed, 'alice\0forge')).toBe(
      SECRET
    );
  });

  test('a secret opens only under its key and for what it was sealed for', () => {
    const box = SecretBox.fromKeyFile(join(dir, 'a.key'));
    const other = SecretBox.fromKeyFile(join(dir, 'b.key'));
    const sealed = box.seal(SECRET, 'alice\0forge');
    expect(() => box.open(sealed, 'mallory\0forge')).toThrow();
    expect(() => other.open(sealed, 'alice\0forge')).toThrow();
  });

  test('refuses a key file that holds no 32-byte key, saying what it needs', async () => {
    const path = join(dir, 'bad.key');
    await writeFile(path, 'short\n');
    expect(() => SecretBox.fromKeyFile(path)).toThrow(
      /must hold 64 hexadecimal digits/
    );
  });
});

test('the home page lists them by host with remove, and stores new ones through a password field', async () => {
  const page = await app.send(PREFIX, {
    headers: { ...authHeader(tokens, 'owner'), Accept: 'text/html' }
  });
  expectStatus(page, 200);
  const section = page.text.split('id="envhub-credentials-section"')[1];
  expect(section).toContain('data-remove-credential="forge.example.org"');
  expect(section).toMatch(
    /<td>alice<\/td>\s*<td>[^<]+<\/td>\s*<td>never<\/td>/
  );
  expect(section).toMatch(/name="token"\s+type="password"/);
  expect(page.text).not.toContain(ALICE_FORGE_TOKEN);
});

describe('a server launched with credentials', () => {
  const withCredentials = (on: boolean | 'env') => {
    const record = app.store.getServer('alice', 's1')!;
    app.store.saveServer({
      ...record,
      spec: { ...record.spec, credentials: on }
    });
  };
  const read = (token: string) =>
    app.send(`${PREFIX}api/servers/alice/s1/credentials`, {
      headers: { Authorization: `token ${token}` }
    });
  const spawnEnvironment = async () =>
    (
      await app.send(`${PREFIX}api/internal/spawn-config`, {
        method: 'POST',
        headers: { Authorization: `token ${INTERNAL_SECRET}` },
        json: {
          user: 'alice',
          server: 's1',
          user_options: { ticket: TICKETS.s1 }
        }
      })
    ).json.environment as Record<string, string>;

  test("reads its owner's credentials with its own token, and learns at spawn that it should", async () => {
    withCredentials(true);
    expect((await spawnEnvironment()).ENVHUB_CREDENTIALS).toBe('1');
    const response = await read(tokens.serverToken);
    expectStatus(response, 200);
    expect(response.json).toEqual({
      credentials: {
        'forge.example.org': { username: 'alice', token: ALICE_FORGE_TOKEN }
      }
    });
  });

  test("nobody else reads them: the owner's own token, another server's token, a collaborator", async () => {
    withCredentials(true);
    const otherServer = app.hub.issueServerToken('alice', 's2');
    for (const token of [
      tokens.owner,
      otherServer,
      tokens.collaborator,
      tokens.admin
    ]) {
      const response = await read(token);
      expectStatus(response, 403);
      expect(response.text).not.toContain(ALICE_FORGE_TOKEN);
    }
  });

  test('launched without them, its own token reads nothing and its spawn says nothing', async () => {
    withCredentials(false);
    expect(await spawnEnvironment()).not.toHaveProperty('ENVHUB_CREDENTIALS');
    const response = await read(tokens.serverToken);
    expectStatus(response, 403);
    expect(response.json.message).toContain('launched without credentials');
  });

  const credentialVariablesOf = (environment: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(environment).filter(([name]) =>
        name.startsWith('ENVHUB_CREDENTIAL_')
      )
    );

  test('with credentials=env, its spawn also sets each credential as variables named after its host, never logged', async () => {
    app.credentials.set('alice', 'git.example.org:8443', {
      username: 'alice-ci',
      token: SECRET
    });
    withCredentials('env');
    const environment = await spawnEnvironment();
    expect(environment.ENVHUB_CREDENTIALS).toBe('1');
    expect(credentialVariablesOf(environment)).toEqual({
      ENVHUB_CREDENTIAL_FORGE_EXAMPLE_ORG_USERNAME: 'alice',
      ENVHUB_CREDENTIAL_FORGE_EXAMPLE_ORG_TOKEN: ALICE_FORGE_TOKEN,
      ENVHUB_CREDENTIAL_GIT_EXAMPLE_ORG_8443_USERNAME: 'alice-ci',
      ENVHUB_CREDENTIAL_GIT_EXAMPLE_ORG_8443_TOKEN: SECRET
    });
    // The file is read as before, and a credential stored later is in the variables at the next start.
    expectStatus(await read(tokens.serverToken), 200);
    app.credentials.remove('alice', 'git.example.org:8443');
    expect(
      Object.keys(credentialVariablesOf(await spawnEnvironment()))
    ).toEqual([
      'ENVHUB_CREDENTIAL_FORGE_EXAMPLE_ORG_USERNAME',
      'ENVHUB_CREDENTIAL_FORGE_EXAMPLE_ORG_TOKEN'
    ]);
    const logged = logs.lines.join('\n');
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(ALICE_FORGE_TOKEN);
  });

  test.each([true, false])(
    'with credentials=%j, its spawn sets no credential variable',
    async on => {
      withCredentials(on);
      expect(credentialVariablesOf(await spawnEnvironment())).toEqual({});
    }
  );

  test('a public session of a server launched with credentials=env gets none of them', async () => {
    const record = app.store.getServer('alice', 's2')!;
    app.store.saveServer({
      ...record,
      spec: { ...record.spec, credentials: 'env' }
    });
    const visit = await app.send(`${PREFIX}public/alice/s2`, {
      method: 'POST',
      headers: { Accept: 'text/html', 'X-Forwarded-For': '198.51.100.7' }
    });
    expectStatus(visit, 303);
    const visitor = /\/user\/([^/]+)\//.exec(
      String(visit.headers.location)
    )![1];
    const { environment } = app.hub.servers.get(`${visitor}/s2`)!
      .spawnConfig as { environment: Record<string, string> };
    expect(environment.ENVHUB_PUBLIC_SESSION).toBe('alice/s2');
    expect(
      Object.keys(environment).filter(name =>
        name.startsWith('ENVHUB_CREDENTIAL')
      )
    ).toEqual([]);
    expect(JSON.stringify(environment)).not.toContain(ALICE_FORGE_TOKEN);
  });
});

describe('credential variables', () => {
  test.each([
    ['forge.example.org', 'FORGE_EXAMPLE_ORG'],
    ['git.example.org:8443', 'GIT_EXAMPLE_ORG_8443'],
    ['my-forge.example.org', 'MY_FORGE_EXAMPLE_ORG'],
    ['127.0.0.1:8080', '127_0_0_1_8080'],
    ['[::1]:8080', '___1__8080']
  ])('the host %s is named %s', (host, name) => {
    expect(credentialVariableHost(host)).toBe(name);
  });

  test('hosts whose names mangle alike are left out, the others kept', () => {
    const credential = (username: string) => ({
      username,
      token: `${username}-token`
    });
    expect(
      credentialVariables({
        'a-b.example.org': credential('one'),
        'a.b.example.org': credential('two'),
        'c.example.org': credential('three')
      })
    ).toEqual({
      variables: {
        ENVHUB_CREDENTIAL_C_EXAMPLE_ORG_USERNAME: 'three',
        ENVHUB_CREDENTIAL_C_EXAMPLE_ORG_TOKEN: 'three-token'
      },
      clashing: ['a-b.example.org', 'a.b.example.org']
    });
  });
});
