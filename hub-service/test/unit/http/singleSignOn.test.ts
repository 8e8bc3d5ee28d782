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
import { expectStatus } from '../../support/http.js';

/**
 * Single sign-on as a credential through the real app (the Hub faked: its auth_state is what
 * OAuthenticator keeps; the real OpenID Connect provider and Hub: ui-tests/tests/singleSignOn.spec.ts).
 * For the hosts the admin lists, a user's access token is their credential, with their Hub name.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

const SSO_HOST = 'cloud.example.org';
const ACCESS_TOKEN = 'sso-access-token-of-alice-0b1c';
let app: TestApp;
let tokens: Tokens;
beforeEach(async () => {
  app = await testApp({ singleSignOnHosts: [SSO_HOST] });
  tokens = seedFixtures(app);
  app.hub.accessTokens.set('alice', ACCESS_TOKEN);
  const s1 = app.store.getServer('alice', 's1')!;
  app.store.saveServer({ ...s1, spec: { ...s1.spec, credentials: 'env' } });
});
afterEach(() => app.close());

const serverCredentials = (token: string) =>
  app.send(`${PREFIX}api/servers/alice/s1/credentials`, {
    headers: { Authorization: `token ${token}` }
  });

test('the listed hosts are named beside the stored credentials, never with a token', async () => {
  const response = await app.send(`${PREFIX}api/credentials`, {
    headers: authHeader(tokens, 'owner')
  });
  expectStatus(response, 200);
  expect(response.json.singleSignOnHosts).toEqual([SSO_HOST]);
  expect(response.text).not.toContain(ACCESS_TOKEN);
});

test("a server launched with credentials gets the access token for the listed hosts, after the Hub was asked with the server's token", async () => {
  app.hub.calls.length = 0;
  const response = await serverCredentials(tokens.serverToken);
  expectStatus(response, 200);
  expect(response.json.credentials).toEqual({
    'forge.example.org': { username: 'alice', token: ALICE_FORGE_TOKEN },
    [SSO_HOST]: { username: 'alice', token: ACCESS_TOKEN }
  });
  // The Hub refreshes a sign-in when asked with its user's token: the server's token is asked.
  expect(app.hub.calls).toContainEqual({
    method: 'userForToken',
    args: [tokens.serverToken]
  });
  // A new token (the authenticator refreshed it) is what the next read gives.
  app.hub.accessTokens.set('alice', 'sso-access-token-refreshed');
  expect(
    (await serverCredentials(tokens.serverToken)).json.credentials
  ).toEqual(
    expect.objectContaining({
      [SSO_HOST]: { username: 'alice', token: 'sso-access-token-refreshed' }
    })
  );
  expect(JSON.stringify(logs.lines)).not.toContain(ACCESS_TOKEN);
});

test('its environment variables carry the access token too', async () => {
  const spawn = await app.send(`${PREFIX}api/internal/spawn-config`, {
    method: 'POST',
    headers: { Authorization: `token ${INTERNAL_SECRET}` },
    json: { user: 'alice', server: 's1', user_options: { ticket: TICKETS.s1 } }
  });
  expectStatus(spawn, 200);
  expect(spawn.json.environment).toMatchObject({
    ENVHUB_CREDENTIAL_CLOUD_EXAMPLE_ORG_USERNAME: 'alice',
    ENVHUB_CREDENTIAL_CLOUD_EXAMPLE_ORG_TOKEN: ACCESS_TOKEN
  });
});

test('a stored credential for a listed host comes first; without a token or a listing there is none', async () => {
  expectStatus(
    await app.send(`${PREFIX}api/credentials/${SSO_HOST}`, {
      method: 'PUT',
      headers: authHeader(tokens, 'owner'),
      json: { username: 'alice-app', token: 'an-app-password' }
    }),
    200
  );
  expect(await app.credentials.find('alice', SSO_HOST)).toEqual({
    username: 'alice-app',
    token: 'an-app-password'
  });
  app.hub.accessTokens.clear();
  expect(await app.credentials.find('bob', SSO_HOST)).toBeNull();
  app.hub.accessTokens.set('bob', 'bobs-token');
  expect(await app.credentials.find('bob', 'elsewhere.example.org')).toBeNull();
  expect(await app.credentials.find('bob', SSO_HOST)).toEqual({
    username: 'bob',
    token: 'bobs-token'
  });
});
