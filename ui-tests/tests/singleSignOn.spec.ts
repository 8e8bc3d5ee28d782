import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { escapeName } from '../../hub-service/src/naming.js';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { WebdavServer } from '../../hub-service/test/support/webdavServer.js';
import { OidcProvider } from '../support/oidcProvider.js';
import { OwnHub } from '../support/ownHub.js';

// An institution in a box: single sign-on through a real OpenID Connect provider, whose access
// token is also what its WebDAV server (a Nextcloud with the OIDC app, in effect) accepts. A user
// signs in to a hub of the test's own (ports 8750-8753, prefix envhubsso) in chromium with
// GenericOAuthenticator, mounts a WebDAV folder they never stored a credential for, and launches
// a server with credentials: the service mounts the folder with their access token, and code in
// the server reads the token from /run/envhub/credentials.json and uses it against the WebDAV
// server itself.
const PORT = 8750;
const OIDC_PORT = 8755;
const PREFIX = 'envhubsso';
const HUB = `http://127.0.0.1:${PORT}`;
const CLIENT = { id: 'envhub-hub', secret: `hub-secret-${Date.now()}` };
// Servers reach the WebDAV server on the Docker bridge's gateway.
const BRIDGE = process.env.ENVHUB_TEST_BRIDGE_IP ?? '172.17.0.1';
const user = `ada${Date.now().toString(36)}`;
// Access tokens expire soon, and the Hub checks them again after 5 s, so that a renewal happens.
const TOKEN_SECONDS = 45;

let oidc: OidcProvider;
let dav: WebdavServer;
let git: GitServer;
let hub: OwnHub | null = null;

/**
 * Runs `script` in the user's server as jovyan; its output. Never synchronously: the provider and
 * the WebDAV server answer from this process while the server calls them.
 */
const inServer = async (script: string) =>
  (
    await promisify(execFile)('docker', [
      'exec',
      `${PREFIX}-${escapeName(user)}--notes`,
      'sh',
      '-c',
      script
    ])
  ).stdout;

test.beforeAll(async () => {
  oidc = await OidcProvider.start(OIDC_PORT, HUB, CLIENT, TOKEN_SECONDS);
  dav = await WebdavServer.start(
    {},
    { host: BRIDGE, userinfo: `${oidc.issuer}/me` }
  );
  writeFileSync(join(dav.root, 'handout.md'), '# Week 1\n');
  git = await GitServer.start();
  await git.commit('notes', {
    'requirements.txt': '',
    'README.md': '# notes\n'
  });
  hub = await OwnHub.start({
    port: PORT,
    prefix: PREFIX,
    env: {
      ENVHUB_ALLOWED_REPO_HOSTS: `127.0.0.1,localhost,${BRIDGE}`,
      ENVHUB_OIDC_ISSUER: oidc.issuer,
      ENVHUB_OIDC_CLIENT_ID: CLIENT.id,
      ENVHUB_OIDC_CLIENT_SECRET: CLIENT.secret,
      ENVHUB_SSO_HOSTS: new URL(dav.origin).host,
      ENVHUB_OIDC_REFRESH_AGE: '5'
    }
  });
});

test.afterAll(async () => {
  await hub?.stop();
  await git?.stop();
  await dav?.stop();
  await oidc?.stop();
});

test('signed in through the OpenID provider, a server gets the access token and uses it against the WebDAV server', async ({
  page
}) => {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
  // The Hub's sign-in sends the browser to the provider, whose login form signs the user in.
  await page.goto(`${HUB}/hub/oauth_login`);
  await expect(page).toHaveURL(new RegExp(`^${oidc.issuer}/interaction/`));
  await page.fill('input[name="login"]', user);
  await page.fill('input[name="password"]', 'whatever the institution checks');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${HUB}/services/envhub/`);
  await expect(page.locator('#envhub-single-sign-on')).toContainText(
    new URL(dav.origin).host
  );

  // A WebDAV folder as a volume, with no credential stored: the sign-in is the credential.
  const form = page.locator('#envhub-volume-form');
  await form.locator('input[name="name"]').fill('cloud');
  await form.locator('input[name="webdav"]').fill(`${dav.origin}/`);
  await form.locator('button[type="submit"]').click();
  await expect(
    page.locator('#envhub-volumes tr[data-volume="cloud"] .webdav')
  ).toContainText(dav.origin);
  await expect(page.locator('#envhub-no-credentials')).toBeVisible();

  // Launched from the form with the volume mounted and credentials passed into the server.
  await page.fill('#envhub-repo', git.url('notes'));
  await page.fill('#envhub-ref', 'main');
  await page.fill('#envhub-name', 'notes');
  await page.locator('#envhub-launch-form details summary').click();
  await page.fill('#envhub-mount', 'cloud:/mnt/cloud');
  await page.selectOption('#envhub-credentials', { label: 'As a file' });
  await page.click('#envhub-launch');
  await page.waitForURL(new RegExp(`/user/${user}/notes/lab`), {
    timeout: 240_000
  });
  expect(dialogs).toEqual([]);

  // The service mounted the folder with the user's access token…
  expect(await inServer('cat /mnt/cloud/handout.md')).toBe('# Week 1\n');
  // …and the server itself holds it, for git and code, which reach the WebDAV server with it.
  const host = new URL(dav.origin).host;
  await expect
    .poll(() =>
      inServer('cat /run/envhub/credentials.json 2>/dev/null || true')
    )
    .toContain(host);
  const read = await inServer(
    [
      'python3 - <<EOF',
      'import base64, json, urllib.request',
      `c = json.load(open("/run/envhub/credentials.json"))["${host}"]`,
      "basic = base64.b64encode(f\"{c['username']}:{c['token']}\".encode()).decode()",
      `request = urllib.request.Request("${dav.origin}/handout.md", headers={"Authorization": "Basic " + basic})`,
      'print(c["username"], urllib.request.urlopen(request).read().decode(), end="")',
      'EOF'
    ].join('\n')
  );
  expect(read).toBe(`${user} # Week 1\n`);

  // Once the access token expires, the Hub renews it with the refresh token when the server next
  // asks for its credentials, and the server gets the new one, which the WebDAV server takes.
  const given = JSON.parse(await inServer('cat /run/envhub/credentials.json'))[
    host
  ].token as string;
  const userinfo = (token: string) =>
    fetch(`${oidc.issuer}/me`, {
      headers: { Authorization: `Bearer ${token}` }
    }).then(r => r.status);
  await expect
    .poll(() => userinfo(given), { timeout: 2 * TOKEN_SECONDS * 1000 })
    .toBe(401);
  const renewed = (
    await inServer(
      [
        'python3 - <<EOF',
        'import json, os, urllib.request',
        `url = os.environ["ENVHUB_SERVICE_URL"] + "api/servers/${user}/notes/credentials"`,
        'request = urllib.request.Request(url, headers={"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]})',
        `print(json.load(urllib.request.urlopen(request))["credentials"]["${host}"]["token"], end="")`,
        'EOF'
      ].join('\n')
    )
  ).trim();
  expect(renewed).not.toBe(given);
  expect(await userinfo(renewed)).toBe(200);
  const basic = Buffer.from(`${user}:${renewed}`).toString('base64');
  const file = await fetch(`${dav.origin}/handout.md`, {
    headers: { Authorization: `Basic ${basic}` }
  });
  expect(await file.text()).toBe('# Week 1\n');
});
