import {
  captureLogs,
  CLIENT_ID,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  homePage,
  launchPath,
  seedFixtures,
  signIn,
  type Tokens
} from '../../support/fixtures.js';
import {
  CookieJar,
  expectReady,
  expectStatus,
  pageXsrf,
  type Received
} from '../../support/http.js';

/**
 * Cookie-authenticated writes need the XSRF value of the page, bound to the signed-in session:
 * users' servers share the Hub's origin and can plant any cookie for it, so a value that merely
 * matches a cookie proves nothing.
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

const COLLABORATORS = { users: ['bob', 'frank'], groups: ['team'] };

/** A cookie-authenticated change of s1's collaborators, as the home page's script sends it. */
const putCollaborators = (
  jar: CookieJar,
  headers: Record<string, string> = {}
) =>
  app.send(`${PREFIX}api/servers/alice/s1/collaborators`, {
    method: 'PUT',
    headers: { Cookie: jar.header(), ...headers },
    json: COLLABORATORS
  });

/** The non-session cookies of `from` planted into a copy of `into` (what code in a user's server can do). */
function plant(into: CookieJar, from: CookieJar): CookieJar {
  const jar = into.copy();
  for (const name of from.names()) {
    if (name !== CLIENT_ID) {
      jar.set(name, from.get(name)!);
    }
  }
  return jar;
}

function expectXsrfRefusal(response: Received, before: object): void {
  expectStatus(response, 403);
  expect(response.json).toMatchObject({ status: 403, code: 'xsrf' });
  expect(response.json.message).toMatch(/xsrf/i);
  expect(app.state()).toEqual(before);
}

test('the value the page rendered for this session is accepted', async () => {
  const jar = await signIn(app, 'alice');
  const xsrf = pageXsrf((await homePage(app, jar)).text);
  const response = await putCollaborators(jar, { 'X-XSRFToken': xsrf });
  expectStatus(response, 200);
  expect(app.store.getServer('alice', 's1')?.spec.collaborators).toEqual(
    COLLABORATORS
  );
});

test('a cookie-authenticated write without the value is refused', async () => {
  const jar = await signIn(app, 'alice');
  await homePage(app, jar);
  const before = app.state();
  expectXsrfRefusal(await putCollaborators(jar), before);
});

test('a planted _xsrf cookie with a matching header is refused', async () => {
  const jar = (await signIn(app, 'alice')).set('_xsrf', 'planted-by-a-server');
  const before = app.state();
  expectXsrfRefusal(
    await putCollaborators(jar, { 'X-XSRFToken': 'planted-by-a-server' }),
    before
  );
});

test("another user's page value is refused, even with that user's other cookies planted", async () => {
  const alice = await signIn(app, 'alice');
  const bob = await signIn(app, 'bob');
  const bobsXsrf = pageXsrf((await homePage(app, bob)).text);
  const before = app.state();
  expectXsrfRefusal(
    await putCollaborators(plant(alice, bob), { 'X-XSRFToken': bobsXsrf }),
    before
  );
});

test('the value of an earlier session is refused after signing in again', async () => {
  const first = await signIn(app, 'alice');
  const oldXsrf = pageXsrf((await homePage(app, first)).text);
  const second = await signIn(app, 'alice', new CookieJar());
  const before = app.state();
  expectXsrfRefusal(
    await putCollaborators(plant(second, first), { 'X-XSRFToken': oldXsrf }),
    before
  );
});

test('pages of one session carry the same value, which another session cannot compute', async () => {
  const alice = await signIn(app, 'alice');
  const once = pageXsrf((await homePage(app, alice)).text);
  const again = pageXsrf((await homePage(app, alice)).text);
  const bob = pageXsrf((await homePage(app, await signIn(app, 'bob'))).text);
  expect(again).toBe(once);
  expect(bob).not.toBe(once);
  expect(once.length).toBeGreaterThanOrEqual(16);
});

describe('forms carry the value as an _xsrf field', () => {
  const confirm = (jar: CookieJar, xsrf: string) =>
    app.send(`${PREFIX}v2/${launchPath(app)}`, {
      method: 'POST',
      headers: { Cookie: jar.header(), Accept: 'text/html' },
      form: { _xsrf: xsrf, remember: '1' }
    });

  test("the confirmation form's value is accepted", async () => {
    const jar = await signIn(app, 'alice');
    const page = await app.send(`${PREFIX}v2/${launchPath(app)}`, {
      headers: { Cookie: jar.header(), Accept: 'text/html' }
    });
    expectStatus(page, 200);
    const field = page.text.match(/name="_xsrf" value="([^"]+)"/);
    expect(field).not.toBeNull();
    expectStatus(await confirm(jar.take(page), field![1]), 200);
  });

  test('a planted cookie and a matching field are refused', async () => {
    const jar = (await signIn(app, 'alice')).set('_xsrf', 'planted');
    const before = app.state();
    const response = await confirm(jar, 'planted');
    expectStatus(response, 403);
    expect(app.state()).toEqual(before);
  });
});

test('the launch stream opened with a session needs the value too', async () => {
  const jar = await signIn(app, 'alice');
  const xsrf = pageXsrf((await homePage(app, jar)).text);
  const path = `${PREFIX}build/${launchPath(app)}`;
  const before = app.state();
  expectXsrfRefusal(
    await app.send(path, {
      headers: { Cookie: jar.header(), Accept: 'text/event-stream' }
    }),
    before
  );
  const stream = await app.send(path, {
    headers: {
      Cookie: jar.header(),
      Accept: 'text/event-stream',
      'X-XSRFToken': xsrf
    }
  });
  expectStatus(stream, 200);
  expectReady(stream.text);
});

describe('token-authenticated requests need no XSRF value', () => {
  test('a write with an Authorization header alone', async () => {
    expectStatus(
      await app.send(`${PREFIX}api/servers/alice/s1/collaborators`, {
        method: 'PUT',
        headers: { Authorization: `token ${tokens.owner}` },
        json: COLLABORATORS
      }),
      200
    );
  });

  test('a write with an Authorization header next to a session and planted cookies', async () => {
    const jar = (await signIn(app, 'bob')).set('_xsrf', 'planted');
    const response = await app.send(
      `${PREFIX}api/servers/alice/s1/collaborators`,
      {
        method: 'PUT',
        headers: {
          Authorization: `token ${tokens.owner}`,
          Cookie: jar.header(),
          'X-XSRFToken': 'planted'
        },
        json: COLLABORATORS
      }
    );
    expectStatus(response, 200);
    expect(app.store.getServer('alice', 's1')?.spec.collaborators).toEqual(
      COLLABORATORS
    );
  });
});

describe('malformed cookies count as absent, never as a 500', () => {
  const session = (value: string) => `${CLIENT_ID}=${value}`;
  const cases: Array<[string, string]> = [
    ['a session cookie with a broken escape', session('%E0%A4%A')],
    ['a session cookie of invalid UTF-8 escapes', session('%FF%FE%FD')],
    [
      'a session cookie of raw bytes that are not UTF-8',
      session('\xff\xfe\xc3\x28')
    ],
    ['a cookie header of 10 000 separators', ';'.repeat(10_000)],
    ['cookies without names', '=x; =; ;=%E0%A4%A'],
    ['an empty session cookie', session('')],
    ['a session cookie of spaces and quotes', session('" "')]
  ];

  test.each(cases)('%s: the API answers 401', async (_name, cookie) => {
    const response = await app.send(`${PREFIX}api/servers`, {
      headers: { Cookie: cookie }
    });
    expectStatus(response, 401);
    expect(response.json).toMatchObject({
      status: 401,
      code: expect.any(String),
      message: expect.any(String)
    });
  });

  test.each(cases)(
    '%s: a page sends the browser to sign in',
    async (_name, cookie) => {
      const response = await app.send(PREFIX, {
        headers: { Cookie: cookie, Accept: 'text/html' }
      });
      expectStatus(response, 302);
      expect(String(response.headers.location)).toMatch(
        /hub\/api\/oauth2\/authorize\?/
      );
    }
  );

  test.each(cases)(
    '%s: a write is refused with 401 and changes nothing',
    async (_name, cookie) => {
      const before = app.state();
      const response = await app.send(
        `${PREFIX}api/servers/alice/s1/collaborators`,
        {
          method: 'PUT',
          headers: { Cookie: cookie, 'X-XSRFToken': 'x' },
          json: COLLABORATORS
        }
      );
      expectStatus(response, 401);
      expect(app.state()).toEqual(before);
    }
  );

  test.each([
    ['a broken escape', '%E0%A4%A'],
    ['invalid UTF-8 escapes', '%FF%FE'],
    ['raw bytes', '\xff\xfe']
  ])(
    'a valid session with an _xsrf cookie of %s: the write is an XSRF refusal',
    async (_name, value) => {
      const jar = (await signIn(app, 'alice')).set('_xsrf', value);
      const before = app.state();
      expectXsrfRefusal(
        await putCollaborators(jar, { 'X-XSRFToken': value }),
        before
      );
    }
  );

  test('a malformed cookie next to a valid session leaves the session working', async () => {
    const jar = await signIn(app, 'alice');
    const response = await app.send(`${PREFIX}api/servers`, {
      headers: { Cookie: `junk=%E0%A4%A; ${jar.header()}; more=\xff` }
    });
    expectStatus(response, 200);
  });
});
