import { expect, test, type Browser, type Page } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import {
  buildUrl,
  hubUrl,
  readEventStream,
  tokenFor
} from '../../hub-service/test/support/hubSession.js';
import { readFile, writeFile } from './contents.js';
import { signIn } from './signIn.js';

// The envhub lab extension inside servers spawned by the real Hub through envhub (deploy/test.sh).
const NOTEBOOK = JSON.stringify({
  cells: [
    { cell_type: 'markdown', metadata: {}, source: ['# Shared notebook'] }
  ],
  // A kernel named, so JupyterLab opens it without asking which kernel to start.
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
const owner = `lab-${stamp}`;
let git: GitServer;
let repo: string;
let commit: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  git = await GitServer.start();
  commit = await git.commit('lab-demo', {
    'requirements.txt': '',
    'hello.ipynb': NOTEBOOK
  });
  repo = git.url('lab-demo');
  // The owner's server, launched as a script would; the tests then use it in the browser.
  const launch = await readEventStream(
    buildUrl(repo, 'main', { name: 'env', memory: '1G' }),
    await tokenFor(owner)
  );
  expect(launch.status).toBe(200);
  expect(launch.events.at(-1)?.phase, launch.body).toBe('ready');
});
test.afterAll(async () => {
  await git.stop();
});

/** A signed-in browser session of `user`, apart from the test's own page. */
async function sessionOf(browser: Browser, user: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  return page;
}

/** Opens a server's JupyterLab and its envhub panel; returns the panel. */
async function openPanel(page: Page, user: string, server: string) {
  await page.goto(`${hubUrl}/user/${user}/${server}/lab`);
  await page.waitForURL(new RegExp(`/user/${user}/${server}/lab`), {
    timeout: 120_000
  });
  return showPanel(page);
}

/** Shows the envhub panel of the JupyterLab page; returns it. */
async function showPanel(page: Page) {
  // The restored layout may show the panel already, or open it a moment later.
  const tab = page.locator(
    '.jp-SideBar .lm-TabBar-tab[data-id="envhub-environment-panel"]'
  );
  const panel = page.locator('#envhub-environment-panel');
  await expect(async () => {
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await expect(panel.locator('.jp-envhub-commit')).toBeVisible({
      timeout: 2_000
    });
  }).toPass({ timeout: 90_000 });
  return panel;
}

test('the panel shows where the environment comes from, its resources and its launch link', async ({
  page
}) => {
  await signIn(page, owner);
  const panel = await openPanel(page, owner, 'env');

  await expect(panel.locator('.jp-envhub-repo')).toHaveText(repo);
  await expect(panel.locator('.jp-envhub-ref')).toHaveText('main');
  await expect(panel.locator('.jp-envhub-commit')).toHaveText(commit);
  await expect(panel.locator('.jp-envhub-image')).toContainText(commit);
  await expect(panel.locator('.jp-envhub-built')).toBeVisible();
  await expect(panel.locator('.jp-envhub-resources')).toContainText('1G');
  await expect(panel.locator('.jp-envhub-stops[data-stop="idle"]')).toHaveText(
    /^in \d|any moment/
  );
  await expect(panel.locator('[data-section="mounts"]')).toContainText(
    'No volumes are mounted.'
  );
  await expect(
    panel.locator('.jp-envhub-share-links [data-kind="link"] input')
  ).toHaveValue(
    `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(repo)}/main?name=env&memory=1G`
  );

  // The kept build log, from the panel.
  await panel.locator('button[data-command="envhub:build-log"]').click();
  await expect(page.locator('.jp-Dialog .jp-envhub-build-log')).toContainText(
    `fetching ${repo} at ${commit}`
  );
  await page.locator('.jp-Dialog .jp-mod-accept').click();

  // The envhub actions are in the launcher under "envhub".
  const section = page.locator('.jp-Launcher-section', {
    has: page.locator('.jp-Launcher-sectionTitle', { hasText: /^envhub$/ })
  });
  await expect(section.locator('.jp-LauncherCard')).toHaveText([
    'Share Environment',
    'Fork Environment…',
    'Relaunch Server…',
    'Restart Server…',
    'Edit Mounts…',
    'Show Build Log'
  ]);
});

test("the notebook toolbar's Share environment link opens the notebook in the same environment for another user", async ({
  page,
  browser
}) => {
  await signIn(page, owner);
  await page.goto(`${hubUrl}/user/${owner}/env/lab/tree/hello.ipynb`);
  const share = page.locator(
    '.jp-NotebookPanel-toolbar [data-command="envhub:share-notebook"]'
  );
  await expect(share).toBeVisible({ timeout: 120_000 });
  await expect(share).toBeEnabled({ timeout: 30_000 });
  await share.click();

  const dialog = page.locator('.jp-Dialog');
  const link = await dialog.locator('[data-kind="link"] input').inputValue();
  expect(link).toBe(
    `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(repo)}/main?name=env&memory=1G&urlpath=lab/tree/hello.ipynb`
  );
  await expect(dialog.locator('[data-kind="markdown"] input')).toHaveValue(
    `[![Launch on envhub](${hubUrl}/services/envhub/badge.svg)](${link})`
  );
  await dialog.locator('.jp-mod-accept').click();

  // Another signed-in user follows it: typed in, so no Referer, so envhub asks first.
  const follower = `${owner}-f`;
  const theirs = await sessionOf(browser, follower);
  await theirs.goto(link);
  await expect(theirs.locator('h1')).toHaveText('Launch this environment?');
  await theirs.click('#envhub-proceed');
  await theirs.waitForURL(
    new RegExp(`/user/${follower}/env/lab/tree/hello.ipynb`),
    { timeout: 240_000 }
  );
  await expect(
    theirs.locator('.jp-NotebookPanel .jp-MarkdownOutput h1').first()
  ).toContainText('Shared notebook', { timeout: 60_000 });
  // The same environment: the same commit.
  const panel = await openPanel(theirs, follower, 'env');
  await expect(panel.locator('.jp-envhub-commit')).toHaveText(commit);
  await theirs.context().close();
});

test('a fork with one changed field lands in a new server', async ({
  page
}) => {
  await signIn(page, owner);
  const panel = await openPanel(page, owner, 'env');
  await panel.locator('button[data-command="envhub:fork"]').click();

  const form = page.locator('.jp-Dialog .jp-envhub-form');
  await expect(form.locator('input[name="name"]')).toHaveValue('');
  await expect(form.locator('input[name="memory"]')).toHaveValue('1G');
  await expect(form.locator('[data-param="memory"] label')).toHaveText(
    'Memory'
  );
  // A name the schema refuses keeps the dialog open with the reason under the field.
  await form.locator('input[name="name"]').fill('Env Fork');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(
    page.locator('.jp-Dialog [data-param="name"] .jp-envhub-field-error')
  ).toContainText('name');
  await page.locator('.jp-Dialog input[name="name"]').fill('env-fork');
  await page.locator('.jp-Dialog input[name="displayName"]').fill('Forked env');
  await page.locator('.jp-Dialog .jp-mod-accept').click();

  await expect(page.locator('.jp-Dialog .jp-envhub-launch')).toBeVisible();
  await page.waitForURL(new RegExp(`/user/${owner}/env-fork/`), {
    timeout: 240_000
  });
  const forked = await openPanel(page, owner, 'env-fork');
  await expect(forked.locator('.jp-envhub-server')).toHaveText(
    'Forked env (env-fork)'
  );
  await expect(forked.locator('.jp-envhub-commit')).toHaveText(commit);
  await expect(forked.locator('.jp-envhub-resources')).toContainText('1G');
});

test('a collaborator added from the panel can open the owner’s server', async ({
  page,
  browser
}) => {
  // The Hub knows a user once they have signed in.
  const colleague = `${owner}-c`;
  const theirs = await sessionOf(browser, colleague);
  const server = `${hubUrl}/user/${owner}/env/`;
  expect(
    (
      await theirs.request.get(`${server}api/status`, { maxRedirects: 0 })
    ).status()
  ).not.toBe(200);

  await signIn(page, owner);
  const panel = await openPanel(page, owner, 'env');
  // An unknown name is refused with the service's reason.
  await panel
    .locator('.jp-envhub-add-collaborator input[name="name"]')
    .fill('nobody-here-4711');
  await panel
    .locator('.jp-envhub-add-collaborator button[type="submit"]')
    .click();
  await expect(
    page.locator('.Toastify__toast', { hasText: 'nobody-here-4711' })
  ).toBeVisible();
  await panel
    .locator('.jp-envhub-add-collaborator input[name="name"]')
    .fill(colleague);
  await panel
    .locator('.jp-envhub-add-collaborator button[type="submit"]')
    .click();
  await expect(
    panel.locator(`.jp-envhub-collaborator[data-name="${colleague}"]`)
  ).toBeVisible();

  // The colleague opens the owner's server in their own browser.
  await theirs.goto(`${server}lab`);
  // The Hub asks them once to let the owner's server identify them.
  await theirs
    .getByRole('button', { name: 'Authorize' })
    .click({ timeout: 60_000 });
  await theirs.waitForURL(new RegExp(`/user/${owner}/env/lab`), {
    timeout: 60_000
  });
  expect((await theirs.request.get(`${server}api/status`)).status()).toBe(200);
  // They see the environment too, but may not change who shares it.
  const theirPanel = await openPanel(theirs, owner, 'env');
  await expect(theirPanel.locator('.jp-envhub-commit')).toHaveText(commit);
  await expect(theirPanel.locator('.jp-envhub-add-collaborator')).toHaveCount(
    0
  );
  await expect(theirPanel).toContainText(
    'Only the owner can change who shares this server.'
  );
  await theirs.context().close();
});

test('relaunch fetches the ref again and restarts the server, keeping the home', async ({
  page
}) => {
  await signIn(page, owner);
  const panel = await openPanel(page, owner, 'env');
  const written = await writeFile(
    page,
    `${hubUrl}/user/${owner}/env/`,
    'notes.txt',
    'kept across relaunches'
  );
  expect(written).toBe(201);
  const next = await git.commit('lab-demo', {
    'README.md': '# second version\n'
  });

  await panel.locator('button[data-command="envhub:relaunch"]').click();
  await expect(page.locator('.jp-Dialog')).toContainText(
    'Running kernels stop'
  );
  const reloaded = page.waitForEvent('load', { timeout: 240_000 });
  await page.locator('.jp-Dialog .jp-mod-warn').click();
  await expect(page.locator('.jp-Dialog .jp-envhub-launch')).toBeVisible();
  await reloaded;

  const after = await showPanel(page);
  await expect(after.locator('.jp-envhub-commit')).toHaveText(next);
  const kept = (
    await readFile(page, `${hubUrl}/user/${owner}/env/`, 'notes.txt')
  ).content;
  expect(kept).toBe('kept across relaunches');
});

test('mounts edited from the panel are applied by the restart it offers', async ({
  page
}) => {
  await signIn(page, owner);
  const panel = await openPanel(page, owner, 'env');
  const mounts = panel.locator('[data-section="mounts"]');
  await mounts.locator('button[data-command="envhub:mounts"]').click();
  const editor = page.locator('.jp-Dialog .jp-envhub-mounts-editor');
  await expect(editor).toContainText('You may not mount any volume yet');

  // A new volume, created from the editor and mounted in the home.
  const volume = `ui-${stamp}`;
  await editor.locator('input[name="volume"]').fill(volume);
  await editor.getByRole('button', { name: 'Create and mount' }).click();
  const row = editor.locator('.jp-envhub-mount-row').first();
  await expect(row.locator('input[name="source"]')).toHaveValue(volume);
  await row.locator('input[name="target"]').fill('/home/jovyan/data');
  // A volume that does not exist is refused by the service; the editor comes back with the reason.
  await editor.getByRole('button', { name: 'Add mount' }).click();
  const missing = editor.locator('.jp-envhub-mount-row').nth(1);
  await missing.locator('input[name="source"]').fill(`nope-${stamp}`);
  await missing.locator('input[name="target"]').fill('/mnt/nope');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(page.locator('.jp-Dialog [role="alert"]')).toContainText(
    `there is no volume "nope-${stamp}"`
  );
  await page
    .locator('.jp-Dialog .jp-envhub-mount-row')
    .nth(1)
    .getByRole('button', { name: 'Remove this mount' })
    .click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();

  // Saved, and not applied until a restart: "Later" leaves the server running as it is.
  await expect(page.locator('.jp-Dialog')).toContainText(
    'applied when this server restarts'
  );
  await page.locator('.jp-Dialog .jp-mod-reject').click();
  await expect(mounts).toContainText(`/home/jovyan/data ← ${volume}`);
  await expect(mounts.locator('[data-pending="true"]')).toBeVisible();

  const reloaded = page.waitForEvent('load', { timeout: 240_000 });
  await mounts.locator('button[data-command="envhub:restart"]').click();
  await expect(page.locator('.jp-Dialog')).toContainText(
    'Running kernels stop'
  );
  await page.locator('.jp-Dialog .jp-mod-warn').click();
  await reloaded;

  const after = await showPanel(page);
  await expect(after.locator('[data-section="mounts"]')).toContainText(
    `/home/jovyan/data ← ${volume}`
  );
  await expect(
    after.locator('[data-section="mounts"] [data-pending="true"]')
  ).toHaveCount(0);
  // The volume is there, writable by the server's user, next to the kept home.
  const base = `${hubUrl}/user/${owner}/env/`;
  const status = [
    await writeFile(page, base, 'data/results.txt', 'on the volume'),
    (await readFile(page, base, 'notes.txt')).status
  ];
  expect(status).toEqual([201, 200]);
});
