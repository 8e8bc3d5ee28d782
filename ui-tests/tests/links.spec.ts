import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { hubUrl } from '../../hub-service/test/support/hubSession.js';
import { writeFile } from './contents.js';
import { signIn } from './signIn.js';

// Launch links and badges followed from another site, against the real Hub + envhub + Docker.
let git: GitServer;
let otherSite: Server;
let otherOrigin: string;
let badgePage = '';

test.beforeAll(async () => {
  git = await GitServer.start();
  // A page of another origin (another port) carrying a Binder-style badge link.
  otherSite = createServer((_req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(badgePage)
  );
  await new Promise<void>(resolve => otherSite.listen(0, '127.0.0.1', resolve));
  otherOrigin = `http://127.0.0.1:${(otherSite.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  await git.stop();
  await new Promise(resolve => otherSite.close(resolve));
});

test('a badge on another site leads, after one confirmation, to the notebook in a persistent server', async ({
  page
}) => {
  await git.commit('course', {
    'requirements.txt': '',
    'notebooks/intro.ipynb': JSON.stringify({
      cells: [
        {
          cell_type: 'markdown',
          metadata: {},
          source: ['# Welcome to the course']
        }
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  });
  const link = `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(git.url('course'))}/main?name=course&labpath=notebooks/intro.ipynb`;
  badgePage = `<!doctype html><title>Course</title><a id="badge" href="${link}"><img src="${hubUrl}/services/envhub/badge.svg" alt="Launch on envhub"></a>`;
  const user = `link-${Date.now().toString(36)}`;
  await signIn(page, user);

  await page.goto(otherOrigin);
  await page.click('#badge');
  await expect(page.locator('h1')).toHaveText('Launch this environment?');
  await expect(page.locator('#envhub-capabilities')).toContainText(
    `server of yours named course`
  );
  await expect(page.locator('#envhub-capabilities')).toContainText(
    'Opens lab/tree/notebooks/intro.ipynb'
  );
  await page.check('input[name="remember"]');
  await page.click('#envhub-proceed');
  await page.waitForURL(
    new RegExp(`/user/${user}/course/lab/tree/notebooks/intro.ipynb`),
    { timeout: 240_000 }
  );
  await expect(
    page.locator('.jp-NotebookPanel .jp-MarkdownOutput h1').first()
  ).toContainText('Welcome to the course', { timeout: 60_000 });

  // A file written in the server is there when the link is followed again: the same server, no confirmation.
  const written = await writeFile(
    page,
    new URL('.', page.url().replace(/lab\/.*$/, '')).toString(),
    'notebooks/mine.txt',
    'my notes'
  );
  expect(written).toBe(201);

  // Stopped (through envhub's API, as the page's stop button does) and launched again from the
  // badge: the same server, no second confirmation, the file still there.
  // The XSRF value is bound to the session: pages carry it, no cookie does.
  await page.goto(`${hubUrl}/services/envhub/`);
  const xsrf = await page.evaluate(() => document.body.dataset.xsrf ?? '');
  const stopped = await page.request.post(
    `${hubUrl}/services/envhub/api/servers/${user}/course/stop`,
    { headers: { 'X-XSRFToken': xsrf } }
  );
  expect(stopped.status()).toBe(202);
  await expect
    .poll(
      async () =>
        (
          (await (
            await page.request.get(
              `${hubUrl}/services/envhub/api/servers/${user}/course`
            )
          ).json()) as { state: string }
        ).state,
      { timeout: 60_000 }
    )
    .toBe('stopped');
  await page.goto(otherOrigin);
  await page.click('#badge');
  await page.waitForURL(new RegExp(`/user/${user}/course/lab`), {
    timeout: 120_000
  });
  await expect(
    page.locator('.jp-DirListing-item[title^="Name: mine.txt"]')
  ).toBeVisible({ timeout: 60_000 });

  // The same name with a changed parameter shows what differs instead of launching.
  await page.goto(`${link}&memory=1G`);
  await expect(page.locator('#envhub-differences')).toContainText(
    'resources.memory'
  );
  await expect(page.locator('#envhub-update')).toBeVisible();
  await expect(page.locator('#envhub-new-name')).toBeVisible();
});

test("only envhub's and the Hub's pages skip the confirmation: users' servers share the origin but not the trust", async ({
  page
}) => {
  await git.commit('referred', { 'requirements.txt': '' });
  const link = `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(git.url('referred'))}/main?name=referred`;
  await signIn(page, `refer-${Date.now().toString(36)}`);
  await page.goto(link, { referer: `${hubUrl}/user/someone-else/server/lab` });
  await expect(page.locator('h1')).toHaveText('Launch this environment?');
  await page.goto(link, { referer: `${hubUrl}/services/envhub/` });
  await expect(page.locator('h1')).toHaveText('Launching referred');
});
