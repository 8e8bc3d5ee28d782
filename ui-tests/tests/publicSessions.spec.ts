import { expect, test, type Page } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import {
  hubUrl,
  namePrefix,
  tokenFor
} from '../../hub-service/test/support/hubSession.js';
import { readFile, writeFile } from './contents.js';
import { signIn } from './signIn.js';

// A visitor without an account in a public server's temporary session, in chromium against the real
// Hub + envhub + Docker: the public page, JupyterLab with the notebook open and no token in any
// address, the owner's data read-only, a kernel; then the owner sees the visitor in the panel and
// stops public access, which ends the session. The test hub lets an address open 3 sessions a
// minute (ui-tests/fixtures/site-config.json): this test opens one.
const NOTEBOOK = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source: ['print(1 + 1)']
    }
  ],
  // A kernel named, so JupyterLab starts it without asking which.
  metadata: {
    kernelspec: {
      name: 'python3',
      display_name: 'Python 3 (ipykernel)',
      language: 'python'
    }
  },
  nbformat: 4,
  nbformat_minor: 5
});

const stamp = Date.now().toString(36);
const owner = `pubui-${stamp}`;
const server = 'demo';
const volume = `pubui-${stamp}`;
const service = `${hubUrl}/services/envhub`;
const publicPage = `${service}/public/${owner}/${server}`;
const ownerBase = `${hubUrl}/user/${owner}/${server}/`;
let token: string;
let git: GitServer;
let repo: string;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${service}/api${path}`, {
    ...init,
    headers: {
      Authorization: `token ${token}`,
      'Content-Type': 'application/json'
    }
  });

test.beforeAll(async () => {
  git = await GitServer.start();
  await git.commit('public-demo', {
    'requirements.txt': '',
    'hello.ipynb': NOTEBOOK
  });
  repo = git.url('public-demo');
  token = await tokenFor(owner);
  expect(
    (await api('/volumes', { method: 'POST', body: `{"name":"${volume}"}` }))
      .status
  ).toBe(201);
});

test.afterAll(async () => {
  await api(`/servers/${owner}/${server}`, { method: 'DELETE' });
  // Docker may still be removing the server's container when that DELETE answers.
  await expect
    .poll(
      async () =>
        (await api(`/volumes/${volume}`, { method: 'DELETE' })).status,
      { timeout: 30_000 }
    )
    .toBe(204);
  await git.stop();
});

/** Shows the envhub panel of a JupyterLab page once `ready` is in it; returns the panel. */
async function showPanel(page: Page, ready: string) {
  // The restored layout may show the panel already, or open it a moment later.
  const tab = page.locator(
    '.jp-SideBar .lm-TabBar-tab[data-id="envhub-environment-panel"]'
  );
  const panel = page.locator('#envhub-environment-panel');
  await expect(async () => {
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await expect(panel.locator(ready)).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  return panel;
}

test('a visitor without an account gets a throw-away JupyterLab of a public server, until its owner stops public access', async ({
  page,
  browser
}) => {
  // The owner launches the server public, with their volume mounted read-write, from a link.
  await signIn(page, owner);
  await page.goto(
    `${service}/v2/git/${encodeURIComponent(repo)}/main?name=${server}&public=1&urlpath=lab/tree/hello.ipynb&mount=${volume}:/home/jovyan/data`
  );
  await expect(page.locator('h1')).toHaveText('Launch this environment?');
  await expect(page.locator('#envhub-capabilities')).toContainText(
    'Makes the server public'
  );
  await page.click('#envhub-proceed');
  await page.waitForURL(
    new RegExp(`/user/${owner}/${server}/lab/tree/hello\\.ipynb`),
    { timeout: 240_000 }
  );
  expect(
    await writeFile(page, ownerBase, 'data/notes.txt', 'from the owner')
  ).toBe(201);

  // A visitor: a browser with no cookies. Every address it goes to, redirects and history
  // changes included, is kept.
  const context = await browser.newContext();
  const visitor = await context.newPage();
  const addresses: string[] = [];
  context.on('request', request => {
    if (request.isNavigationRequest()) addresses.push(request.url());
  });
  visitor.on('framenavigated', frame => {
    if (frame === visitor.mainFrame()) addresses.push(frame.url());
  });
  await visitor.goto(publicPage);
  const start = visitor.locator('#envhub-start-session');
  await expect(start).toHaveText('Start a temporary session');
  await start.click();
  await visitor.waitForURL(
    new RegExp(
      `/user/${namePrefix}-visitor-[0-9a-f]+/${server}/lab/tree/hello\\.ipynb$`
    ),
    { timeout: 120_000 }
  );
  const visitorBase = /^.*\/user\/[^/]+\/[^/]+\//.exec(visitor.url())![0];
  await expect(
    visitor.locator('.jp-NotebookPanel .jp-Cell .cm-content').first()
  ).toHaveText('print(1 + 1)', { timeout: 60_000 });
  expect(addresses).toEqual(
    expect.arrayContaining([publicPage, visitor.url()])
  );
  expect(addresses.filter(url => /token=/i.test(url))).toEqual([]);

  // The panel says what the session is, and nothing of the owner's server.
  const panel = await showPanel(visitor, '.jp-envhub-public-session');
  await expect(panel.locator('.jp-envhub-public-session')).toHaveText(
    `Temporary public session of ${owner}/${server}: nothing you change is kept; it ends after a while without activity.`
  );
  await expect(panel.locator('[data-section]')).toHaveCount(0);

  // The owner's data reads, but does not change; the scratch home does.
  expect(await readFile(visitor, visitorBase, 'data/notes.txt')).toEqual({
    status: 200,
    content: 'from the owner'
  });
  expect(
    await writeFile(visitor, visitorBase, 'data/notes.txt', 'changed')
  ).toBeGreaterThanOrEqual(400);
  expect(
    await writeFile(visitor, visitorBase, 'data/new.txt', 'added')
  ).toBeGreaterThanOrEqual(400);
  expect(await writeFile(visitor, visitorBase, 'mine.txt', 'scratch')).toBe(
    201
  );
  expect((await readFile(visitor, visitorBase, 'data/notes.txt')).content).toBe(
    'from the owner'
  );
  expect((await readFile(page, ownerBase, 'mine.txt')).status).toBe(404);

  // A kernel runs the notebook's cell.
  await visitor
    .locator('.jp-NotebookPanel .jp-Cell .cm-content')
    .first()
    .click();
  await visitor.keyboard.press('Shift+Enter');
  await expect(
    visitor.locator('.jp-NotebookPanel .jp-OutputArea-output').first()
  ).toHaveText('2', { timeout: 90_000 });

  // The owner sees the visitor, and stops public access.
  await page.goto(`${ownerBase}lab`);
  const ownPanel = await showPanel(page, '.jp-envhub-commit');
  const access = ownPanel.locator('.jp-envhub-public-access');
  await expect(access).toHaveAttribute('data-public', 'true');
  await expect(access.locator('.jp-envhub-visitors')).toHaveText(
    '1 visitor in it now'
  );
  const status = () =>
    context.request
      .get(`${visitorBase}api/status`, { maxRedirects: 0 })
      .then(response => response.status());
  expect(await status()).toBe(200);
  await access.locator('[data-public-action="stop"]').click();
  await expect(access).toHaveAttribute('data-public', 'false');
  await expect(access.locator('[data-public-action="make"]')).toBeVisible();

  // The public page is gone at once, and the visitor's session within a sweep or two.
  expect((await fetch(publicPage)).status).toBe(404);
  await expect.poll(status, { timeout: 45_000 }).not.toBe(200);
  await context.close();
});
