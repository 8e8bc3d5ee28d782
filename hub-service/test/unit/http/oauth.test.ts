import { createHash } from 'node:crypto';
import { jest } from '@jest/globals';
import {
  CALLBACK_URL,
  captureLogs,
  CLIENT_ID,
  HUB_BASE_URL,
  PREFIX,
  PUBLIC_URL,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import { seedFixtures } from '../../support/fixtures.js';
import { CookieJar, expectStatus, type Received } from '../../support/http.js';

/** Signing in to envhub through the Hub's OAuth: a state bound to the browser, PKCE, and no open redirect. */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  seedFixtures(app);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await app.close();
});

/** A browser without a session opens `path`; returns its cookies and the Hub authorize URL it is sent to. */
async function startSignIn(
  path: string,
  jar = new CookieJar()
): Promise<{ jar: CookieJar; response: Received; authorize: URL }> {
  const response = await app.send(path, {
    headers: { Cookie: jar.header(), Accept: 'text/html' }
  });
  expectStatus(response, 302);
  return {
    jar: jar.take(response),
    response,
    authorize: new URL(String(response.headers.location), PUBLIC_URL)
  };
}

const callback = (query: Record<string, string>, jar: CookieJar) =>
  app.send(`${PREFIX}oauth_callback?${new URLSearchParams(query)}`, {
    headers: { Cookie: jar.header(), Accept: 'application/json' }
  });

/** The cookie a response sets whose value is `value`, as its Set-Cookie header. */
const cookieWithValue = (response: Received, value: string) =>
  response.cookies.find(
    c => c.split(';')[0].split('=').slice(1).join('=') === value
  );

test('a page sends a browser without a session to the Hub with a state and an S256 challenge', async () => {
  const { response, authorize } = await startSignIn(`${PREFIX}builds/b1`);
  expect(authorize.pathname).toBe(`${HUB_BASE_URL}hub/api/oauth2/authorize`);
  const query = Object.fromEntries(authorize.searchParams);
  expect(query).toMatchObject({
    client_id: CLIENT_ID,
    redirect_uri: CALLBACK_URL,
    response_type: 'code',
    code_challenge_method: 'S256'
  });
  expect(query.state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  // A SHA-256 digest in base64url: 43 characters.
  expect(query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const stateCookie = cookieWithValue(response, query.state);
  expect(stateCookie).toBeDefined();
  expect(stateCookie).toMatch(/;\s*HttpOnly/i);
  expect(stateCookie).toMatch(
    new RegExp(`;\\s*Path=${PREFIX.replace(/\//g, '\\/')}`, 'i')
  );
});

test('every sign-in gets its own state and challenge', async () => {
  const first = (await startSignIn(PREFIX)).authorize.searchParams;
  const second = (await startSignIn(PREFIX)).authorize.searchParams;
  expect(second.get('state')).not.toBe(first.get('state'));
  expect(second.get('code_challenge')).not.toBe(first.get('code_challenge'));
});

test('the callback trades the code with the verifier of the challenge, sets the session and returns to the page', async () => {
  const { jar, authorize } = await startSignIn(`${PREFIX}builds/b1`);
  const code = app.hub.authorize(authorize.searchParams, 'alice');
  const back = await callback(
    { code, state: authorize.searchParams.get('state')! },
    jar
  );
  expectStatus(back, 302);
  expect(back.headers.location).toBe(`${PREFIX}builds/b1`);

  const [form] = app.hub.callsOf('oauthToken')[0] as [Record<string, string>];
  expect(form).toMatchObject({
    grant_type: 'authorization_code',
    client_id: CLIENT_ID,
    code,
    redirect_uri: CALLBACK_URL
  });
  expect(
    createHash('sha256').update(form.code_verifier).digest('base64url')
  ).toBe(authorize.searchParams.get('code_challenge'));

  const session = back.cookies.find(
    c =>
      c.startsWith(`${CLIENT_ID}=`) &&
      !/max-age=0|expires=thu, 01 jan 1970/i.test(c)
  );
  expect(session).toMatch(/;\s*HttpOnly/i);
  jar.take(back);
  // The state is spent: its cookie is cleared.
  expect(jar.names().map(name => jar.get(name))).not.toContain(
    authorize.searchParams.get('state')
  );
  expectStatus(
    await app.send(`${PREFIX}builds/b1`, {
      headers: { Cookie: jar.header(), Accept: 'text/html' }
    }),
    200
  );
});

describe('the callback refuses a state that did not start in this browser, and signs nobody in', () => {
  async function expectStateRefusal(
    query: Record<string, string>,
    jar: CookieJar
  ): Promise<void> {
    const response = await callback(query, jar);
    expectStatus(response, 400);
    expect(response.json).toMatchObject({ status: 400, code: 'oauth_state' });
    expect(response.json.message).toMatch(/sign/i);
    expect(
      response.cookies.some(
        c =>
          c.startsWith(`${CLIENT_ID}=`) &&
          !/max-age=0|expires=thu, 01 jan 1970/i.test(c)
      )
    ).toBe(false);
    expect(app.hub.callsOf('oauthToken')).toEqual([]);
  }

  test('no state', async () => {
    const { jar, authorize } = await startSignIn(PREFIX);
    await expectStateRefusal(
      { code: app.hub.authorize(authorize.searchParams, 'alice') },
      jar
    );
  });

  test('a state that is not the one in the cookie', async () => {
    const { jar, authorize } = await startSignIn(PREFIX);
    await expectStateRefusal(
      {
        code: app.hub.authorize(authorize.searchParams, 'alice'),
        state: 'made-up-state-of-an-attacker'
      },
      jar
    );
  });

  test('no state cookie', async () => {
    const { authorize } = await startSignIn(PREFIX);
    await expectStateRefusal(
      {
        code: app.hub.authorize(authorize.searchParams, 'alice'),
        state: authorize.searchParams.get('state')!
      },
      new CookieJar()
    );
  });

  test("another browser's state (login CSRF: the attacker's code in the victim's browser)", async () => {
    const victim = await startSignIn(PREFIX);
    const attacker = await startSignIn(PREFIX);
    const code = app.hub.authorize(attacker.authorize.searchParams, 'mallory');
    await expectStateRefusal(
      { code, state: attacker.authorize.searchParams.get('state')! },
      victim.jar
    );
  });

  test('an expired state', async () => {
    const { jar, authorize } = await startSignIn(PREFIX);
    const code = app.hub.authorize(authorize.searchParams, 'alice');
    const later = Date.now() + 11 * 60_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    await expectStateRefusal(
      { code, state: authorize.searchParams.get('state')! },
      jar
    );
  });

  test('a state used once already', async () => {
    const { jar, authorize } = await startSignIn(PREFIX);
    const state = authorize.searchParams.get('state')!;
    expectStatus(
      await callback(
        { code: app.hub.authorize(authorize.searchParams, 'alice'), state },
        jar
      ),
      302
    );
    app.hub.calls.length = 0;
    await expectStateRefusal(
      { code: app.hub.authorize(authorize.searchParams, 'alice'), state },
      jar
    );
  });
});

test('a sign-in the Hub refused is a 400 that says so', async () => {
  const { jar, authorize } = await startSignIn(PREFIX);
  const response = await callback(
    {
      error: 'access_denied',
      error_description: 'the user said no',
      state: authorize.searchParams.get('state')!
    },
    jar
  );
  expectStatus(response, 400);
  expect(response.json).toMatchObject({ status: 400, code: 'oauth_error' });
});

test('a code the Hub does not accept signs nobody in', async () => {
  const { jar, authorize } = await startSignIn(PREFIX);
  const response = await callback(
    {
      code: 'code-the-hub-never-issued',
      state: authorize.searchParams.get('state')!
    },
    jar
  );
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(
    response.cookies.some(
      c =>
        c.startsWith(`${CLIENT_ID}=`) &&
        !/max-age=0|expires=thu, 01 jan 1970/i.test(c)
    )
  ).toBe(false);
});

describe('after signing in, a browser lands only under the prefix', () => {
  test.each([
    `${PREFIX}builds/%2F%2Fevil.example`,
    `${PREFIX}builds/%5C%5Cevil.example`,
    `${PREFIX}v2/git/https%3A%2F%2Fevil.example%2Fr.git/HEAD?urlpath=%2F%2Fevil.example`,
    `${PREFIX}?next=https://evil.example/`,
    `${PREFIX}builds/x?next=//evil.example`
  ])('started at %s', async start => {
    const { jar, authorize } = await startSignIn(start);
    const code = app.hub.authorize(authorize.searchParams, 'alice');
    const back = await callback(
      {
        code,
        state: authorize.searchParams.get('state')!,
        next: 'https://evil.example/'
      },
      jar
    );
    expectStatus(back, 302);
    const location = String(back.headers.location);
    expect(location.startsWith(PREFIX)).toBe(true);
    expect(location).not.toMatch(/^\/[/\\]/);
    const landed = new URL(location, PUBLIC_URL);
    expect(landed.origin).toBe(PUBLIC_URL);
    expect(landed.pathname.startsWith(PREFIX)).toBe(true);
  });
});
