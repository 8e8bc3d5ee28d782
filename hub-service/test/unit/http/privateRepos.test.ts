import {
  captureLogs,
  FORGE_TOKEN,
  FORGE_USER,
  forgeAuthorization,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  authHeader,
  LAUNCH_COMMIT,
  seedFixtures,
  type Tokens
} from '../../support/fixtures.js';
import { expectReady, expectStatus } from '../../support/http.js';

/**
 * Private repositories through the real app and a forge that asks to sign in for /private/: read
 * with the launching user's credential for the forge's host, only when the forge asks for it, and
 * never public. (git itself does not run here: launches name full commits; the integration tests
 * clone with the credential.)
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
let tokens: Tokens;
let forgeHost: string;
beforeEach(async () => {
  app = await testApp();
  tokens = seedFixtures(app);
  forgeHost = new URL(app.forge.url).host;
});
afterEach(() => app.close());

const privateRepo = () => `${app.forge.url}/private/thesis.git`;
const store = (token: string) =>
  app.send(`${PREFIX}api/credentials/${forgeHost}`, {
    method: 'PUT',
    headers: authHeader(tokens, 'owner'),
    json: { username: FORGE_USER, token }
  });
const launch = (query = '') =>
  app.send(
    `${PREFIX}build/git/${encodeURIComponent(privateRepo())}/${LAUNCH_COMMIT}?name=thesis${query}`,
    {
      headers: {
        ...authHeader(tokens, 'owner'),
        Accept: 'text/event-stream'
      }
    }
  );

test('without a credential the launch is refused, saying for which host to store one, and nothing is made', async () => {
  const before = app.state();
  const response = await launch();
  expectStatus(response, 403);
  expect(response.json).toMatchObject({
    code: 'no_credential',
    message: `the repository ${privateRepo()} is private (${forgeHost} asks to sign in); store your token for ${forgeHost} under "Your credentials" on envhub's page and launch again`
  });
  expect(app.state()).toEqual(before);
});

test("with the user's credential it launches; the credential went to the forge only once it asked", async () => {
  expectStatus(await store(FORGE_TOKEN), 200);
  const response = await launch();
  expectStatus(response, 200);
  expectReady(response.text);
  const auth = forgeAuthorization(FORGE_USER, FORGE_TOKEN);
  expect(app.forge.requests).toEqual([
    '/private/thesis.git/info/refs?service=git-upload-pack',
    `/private/thesis.git/info/refs?service=git-upload-pack (${auth})`
  ]);
  expect(app.store.getServer('alice', 'thesis')?.private).toBe(true);
  const [credential] = app.store
    .listCredentials('alice')
    .filter(c => c.host === forgeHost);
  expect(credential.lastUsedAt).toEqual(expect.any(String));
  // The builder got the way in; the events and the logs never saw the token.
  expect(
    await app.builder.builds.at(-1)?.access?.credential?.(forgeHost)
  ).toEqual({
    username: FORGE_USER,
    token: FORGE_TOKEN
  });
  expect(response.text + logs.lines.join('')).not.toContain(FORGE_TOKEN);
  expect(response.text).not.toContain(auth);
});

test('a credential the forge refuses is named as refused', async () => {
  expectStatus(await store('an-old-revoked-token'), 200);
  const response = await launch();
  expectStatus(response, 403);
  expect(response.json.message).toBe(
    `${forgeHost} refused your credential for the repository ${privateRepo()} (it answered 401); store a new token for ${forgeHost} under "Your credentials" and launch again`
  );
  expect(response.text).not.toContain('an-old-revoked-token');
});

test('a public repository is read without the credential, which stays unused', async () => {
  expectStatus(await store(FORGE_TOKEN), 200);
  const response = await app.send(
    `${PREFIX}build/git/${encodeURIComponent(`${app.forge.url}/lab/open.git`)}/${LAUNCH_COMMIT}?name=open`,
    { headers: { ...authHeader(tokens, 'owner'), Accept: 'text/event-stream' } }
  );
  expectReady(response.text);
  expect(app.forge.requests.join()).not.toContain('Basic');
  expect(app.store.getServer('alice', 'open')?.private).toBe(false);
  expect(
    app.store.listCredentials('alice').find(c => c.host === forgeHost)
      ?.lastUsedAt
  ).toBeNull();
});

test("a private repository's server is never public: not at launch, not later", async () => {
  expectStatus(await store(FORGE_TOKEN), 200);
  const publicLaunch = await launch('&public=1');
  expectStatus(publicLaunch, 422);
  expect(publicLaunch.json.code).toBe('private_repository');
  expectReady((await launch()).text);
  const makePublic = await app.send(
    `${PREFIX}api/servers/alice/thesis/public`,
    {
      method: 'PUT',
      headers: authHeader(tokens, 'owner'),
      json: { public: true }
    }
  );
  expectStatus(makePublic, 422);
  expect(makePublic.json.message).toContain('cannot be public');
  expect(app.store.getServer('alice', 'thesis')?.spec.public).toBe(false);
});

test("another user, without a credential, cannot launch the same repository's image", async () => {
  expectStatus(await store(FORGE_TOKEN), 200);
  expectReady((await launch()).text);
  const response = await app.send(
    `${PREFIX}build/git/${encodeURIComponent(privateRepo())}/${LAUNCH_COMMIT}?name=thesis`,
    {
      headers: {
        ...authHeader(tokens, 'otherUser'),
        Accept: 'text/event-stream'
      }
    }
  );
  expectStatus(response, 403);
  expect(response.json.code).toBe('no_credential');
  expect(app.store.getServer('mallory', 'thesis')).toBeUndefined();
});

test('a credential never follows a redirect to another host: the host the repository ends on needs its own', async () => {
  expectStatus(await store(FORGE_TOKEN), 200);
  const moved = `${app.forge.url}/moved/thesis.git`;
  const newHost = `localhost:${new URL(app.forge.url).port}`;
  const response = await app.send(
    `${PREFIX}build/git/${encodeURIComponent(moved)}/${LAUNCH_COMMIT}?name=moved`,
    { headers: { ...authHeader(tokens, 'owner'), Accept: 'text/event-stream' } }
  );
  expectStatus(response, 403);
  expect(response.json.message).toContain(`store your token for ${newHost}`);
  expect(app.forge.requests.join()).not.toContain('Basic');
  // With a credential for the new host, that one is used there.
  await app.send(`${PREFIX}api/credentials/${newHost}`, {
    method: 'PUT',
    headers: authHeader(tokens, 'owner'),
    json: { username: FORGE_USER, token: FORGE_TOKEN }
  });
  expectReady(
    (
      await app.send(
        `${PREFIX}build/git/${encodeURIComponent(moved)}/${LAUNCH_COMMIT}?name=moved`,
        {
          headers: {
            ...authHeader(tokens, 'owner'),
            Accept: 'text/event-stream'
          }
        }
      )
    ).text
  );
});
