import {
  captureLogs,
  PREFIX,
  PUBLIC_URL,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import { launchPath, seedFixtures, signIn } from '../../support/fixtures.js';
import { expectReady, expectStatus } from '../../support/http.js';

/**
 * Links envhub hands out (launch links, badges, the `ready` URL) come from the configured public
 * URL: headers anyone can send (Host, X-Forwarded-*, Forwarded) never change them.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

const HOSTILE = {
  Host: 'evil.example',
  'X-Forwarded-Host': 'evil.example',
  'X-Forwarded-Proto': 'javascript',
  'X-Forwarded-Port': '666',
  Forwarded: 'for=1.2.3.4;host=evil.example;proto=javascript'
};
const asOwner = { ...HOSTILE, Authorization: 'token token-alice' };

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  seedFixtures(app);
});
afterEach(() => app.close());

/** Every URL-looking string in a JSON value. */
const urls = (value: unknown): string[] =>
  JSON.stringify(value).match(/[a-z][a-z0-9+.-]*:\/\/[^"\s)\]<>]*/gi) ?? [];

function expectOnlyPublicLinks(text: string): void {
  expect(text).not.toMatch(/evil\.example/);
  expect(text).not.toMatch(/javascript:\/\//i);
  expect(text).not.toMatch(/(href|src|value|action)="javascript:/i);
}

test("a server's launch link, badge and snippets use the configured public URL", async () => {
  const response = await app.send(`${PREFIX}api/servers/alice/s1`, {
    headers: asOwner
  });
  expectStatus(response, 200);
  const view = response.json;
  expect(view.launchUrl.startsWith(`${PUBLIC_URL}${PREFIX}v2/`)).toBe(true);
  expect(view.badgeUrl).toBe(`${PUBLIC_URL}${PREFIX}badge.svg`);
  for (const url of urls(view.snippets)) {
    expect(url.startsWith(`${PUBLIC_URL}${PREFIX}`)).toBe(true);
  }
  expectOnlyPublicLinks(response.text);
});

test('the server list does the same', async () => {
  const response = await app.send(`${PREFIX}api/servers`, { headers: asOwner });
  expectStatus(response, 200);
  expect(response.json.servers).toHaveLength(2);
  expectOnlyPublicLinks(response.text);
});

test("the home page's share links do the same", async () => {
  const jar = await signIn(app, 'alice');
  const page = await app.send(PREFIX, {
    headers: { ...HOSTILE, Cookie: jar.header(), Accept: 'text/html' }
  });
  expectStatus(page, 200);
  expectOnlyPublicLinks(page.text);
  expect(page.text).toContain(`value="${PUBLIC_URL}${PREFIX}v2/`);
});

test('the launch stream sends its `ready` URL and launch host from the public URL', async () => {
  const stream = await app.send(`${PREFIX}build/${launchPath(app)}`, {
    headers: { ...asOwner, Accept: 'text/event-stream' }
  });
  expectStatus(stream, 200);
  const ready = expectReady(stream.text);
  expect(ready).toMatchObject({ phase: 'ready' });
  expect(
    String(ready.url).startsWith(`${PUBLIC_URL}/user/alice/launchme/`)
  ).toBe(true);
  expect(ready.binder_launch_host).toBe(`${PUBLIC_URL}${PREFIX}`);
  expectOnlyPublicLinks(stream.text);
});

test('a link from outside the hub is confirmed, whatever Host the request claims', async () => {
  const page = await app.send(`${PREFIX}v2/${launchPath(app)}`, {
    headers: {
      ...asOwner,
      Accept: 'text/html',
      Referer: `javascript://evil.example${PREFIX}`
    }
  });
  expectStatus(page, 200);
  expect(page.text).toContain('envhub-capabilities');
  const claimed = await app.send(`${PREFIX}v2/${launchPath(app)}`, {
    headers: {
      ...asOwner,
      Accept: 'text/html',
      Referer: `https://evil.example${PREFIX}`
    }
  });
  expect(claimed.text).toContain('envhub-capabilities');
});

test('a link from envhub itself is not confirmed again (the referer check still works)', async () => {
  const page = await app.send(`${PREFIX}v2/${launchPath(app)}`, {
    headers: {
      Authorization: 'token token-alice',
      Accept: 'text/html',
      Referer: `${PUBLIC_URL}${PREFIX}`
    }
  });
  expectStatus(page, 200);
  expect(page.text).not.toContain('envhub-capabilities');
});
