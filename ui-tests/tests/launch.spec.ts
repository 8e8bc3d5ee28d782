import { expect, test } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { hubUrl } from '../../hub-service/test/support/hubSession.js';
import { signIn } from './signIn.js';

// A real browser against the real Hub + envhub + Docker that deploy/test.sh starts.
let git: GitServer;
test.beforeAll(async () => {
  git = await GitServer.start();
});
test.afterAll(async () => {
  await git.stop();
});

test('a signed-in user launches a repository from the envhub page and sees it in JupyterLab', async ({
  page
}) => {
  const commit = await git.commit('ui-demo', {
    'README.md': '# launched from the envhub page\n',
    'hello.ipynb':
      '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
  });
  const repo = git.url('ui-demo');
  const user = `ui-${Date.now().toString(36)}`;

  await signIn(page, user);
  // After sign-in the Hub lands on envhub, which signs the browser in through the Hub's OAuth.
  await page.waitForURL(`${hubUrl}/services/envhub/`);
  await expect(page.locator('h1')).toHaveText(`Hello, ${user}`);
  // What the admin configured: a featured environment and the institution's credits.
  await expect(page.locator('#envhub-featured')).toContainText('Featured demo');
  await expect(page.locator('#envhub-credits')).toHaveText(
    'Provided by the envhub test institute'
  );

  // Cookie-authenticated launches must carry the page's XSRF value.
  const noXsrf = await page.request.get(
    `${hubUrl}/services/envhub/build/git/${encodeURIComponent(repo)}/main`,
    {
      headers: { Accept: 'text/event-stream' }
    }
  );
  expect(noXsrf.status()).toBe(403);
  expect((await noXsrf.json()).message).toContain('XSRF');

  await page.fill('#envhub-repo', repo);
  await page.fill('#envhub-ref', 'main');
  await page.fill('#envhub-name', 'ui-demo');

  // Security notes follow the options chosen.
  const collaboratorNote = page.locator(
    '#envhub-security-notes li[data-when="user group"]'
  );
  await expect(collaboratorNote).toBeHidden();
  await page.locator('details summary').first().click();
  await page.fill('#envhub-user', 'someone');
  await expect(collaboratorNote).toBeVisible();
  await page.fill('#envhub-user', '');
  await expect(collaboratorNote).toBeHidden();

  // "Launch on another hub" turns the form into that hub's launch link (the partner is simulated).
  await page.route('https://hub.partner.example/**', route =>
    route.fulfill({ contentType: 'text/html', body: 'partner hub' })
  );
  await page.click('button[data-other-hub^="https://hub.partner.example"]');
  await page.waitForURL(
    `https://hub.partner.example/services/envhub/v2/git/${encodeURIComponent(repo)}/main?name=ui-demo`
  );
  await page.goBack();
  await page.fill('#envhub-repo', repo);
  await page.fill('#envhub-ref', 'main');
  await page.fill('#envhub-name', 'ui-demo');
  await page.click('#envhub-launch');
  await expect(page.locator('#envhub-log')).toContainText('Launching');
  await page.waitForURL(new RegExp(`/user/${user}/ui-demo/lab`), {
    timeout: 240_000
  });

  // The home holds the repository's files.
  await expect(
    page.locator('.jp-DirListing-item[title^="Name: hello.ipynb"]')
  ).toBeVisible({ timeout: 60_000 });

  // The extension is among the page's federated extensions.
  const pageConfig = JSON.parse(
    (await page.locator('#jupyter-config-data').textContent()) ?? '{}'
  );
  expect(
    pageConfig.federated_extensions.map((e: { name: string }) => e.name)
  ).toContain('@envhub/lab-extension');

  // The envhub panel in the left sidebar shows where this environment comes from.
  await page
    .locator('.jp-SideBar .lm-TabBar-tab[data-id="envhub-environment-panel"]')
    .click();
  const panel = page.locator('#envhub-environment-panel');
  await expect(panel.locator('.jp-envhub-repo')).toHaveText(repo);
  await expect(panel.locator('.jp-envhub-commit')).toHaveText(commit);

  // Back on the envhub page, the server is listed as running.
  await page.goto(`${hubUrl}/services/envhub/`);
  await expect(
    page.locator('#envhub-servers tr[data-server="ui-demo"] .state')
  ).toHaveText('running');

  // Its share menu offers the canonical link, badge snippets and other hubs.
  const row = page.locator('#envhub-servers tr[data-server="ui-demo"]');
  await row.locator('details.share summary').click();
  const link = `${hubUrl}/services/envhub/v2/git/${encodeURIComponent(repo)}/main?name=ui-demo`;
  await expect(row.locator('input.launch-link')).toHaveValue(link);
  await expect(row.locator('details.share')).toContainText(
    'launch on Partner hub'
  );

  // Its build log is kept and readable from there.
  await page
    .locator('#envhub-servers tr[data-server="ui-demo"] a.build-log')
    .click();
  await expect(page.locator('h1')).toContainText('built');
  await expect(page.locator('#envhub-log')).toContainText('build pack: python');
});
