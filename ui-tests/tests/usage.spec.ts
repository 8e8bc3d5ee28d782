import { expect, test, type Page } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import {
  buildUrl,
  envhubApi,
  hubUrl,
  readEventStream,
  tokenFor
} from '../../hub-service/test/support/hubSession.js';
import { signIn } from './signIn.js';

// A real browser against the real Hub + envhub + Docker that deploy/test.sh starts (usage sampled
// every 5 s there).
let git: GitServer;
let repo: string;
const stamp = Date.now().toString(36);
const users = [`ux-a-${stamp}`, `ux-b-${stamp}`];
const tokens: string[] = [];

test.beforeAll(async () => {
  git = await GitServer.start();
  await git.commit('catalogued', { 'README.md': '# Plots and catalog demo\n' });
  repo = git.url('catalogued');
  // Two colleagues launch the same repository: it enters the catalog, and their usage is recorded.
  for (const user of users) {
    const token = await tokenFor(user);
    tokens.push(token);
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'plots' }),
      token
    );
    expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
  }
});

test.afterAll(async () => {
  for (const [i, user] of users.entries())
    await envhubApi(tokens[i], `/servers/${user}/plots`, { method: 'DELETE' });
  await git.stop();
});

/** Bars Vega-Lite drew in the plot `id` (paths of its rect marks); 0 for an empty chart. */
const bars = (page: Page, id: string) =>
  page.locator(`#${id} svg .mark-rect path`).count();

test('a user sees plots of their usage, with bars, and exports it as CSV', async ({
  page
}) => {
  await signIn(page, users[0]);
  // The first samples arrive within seconds; reload until the day's bar is there.
  await expect(async () => {
    await page.goto(`${hubUrl}/services/envhub/usage`);
    expect(await bars(page, 'envhub-cpu-plot')).toBeGreaterThan(0);
  }).toPass({ timeout: 60_000 });
  expect(await bars(page, 'envhub-memory-plot')).toBeGreaterThan(0);
  await expect(
    page.locator('#envhub-usage-servers tr[data-name="plots"]')
  ).toBeVisible();
  const csv = page.waitForEvent('download');
  await page.click('#envhub-usage-csv');
  const download = await csv;
  expect(download.suggestedFilename()).toMatch(/^envhub-usage-.*\.csv$/);

  // The lab panel's Environment section shows the month's usage to the owner.
  await page.goto(`${hubUrl}/user/${users[0]}/plots/lab`);
  await expect(
    page.locator('.jp-envhub-usage [data-usage="server"]')
  ).toContainText('CPU-hours', { timeout: 60_000 });
});

test('an admin sees which users use the hub, plotted, and exports it', async ({
  page
}) => {
  await signIn(page, 'admin');
  await expect(async () => {
    await page.goto(`${hubUrl}/services/envhub/admin/usage`);
    await expect(
      page.locator(`#envhub-usage-users tr[data-name="${users[1]}"]`)
    ).toBeVisible();
  }).toPass({ timeout: 60_000 });
  expect(await bars(page, 'envhub-users-plot')).toBeGreaterThan(0);
  expect(await bars(page, 'envhub-peaks-plot')).toBeGreaterThan(0);
  await expect(page.locator('#envhub-usage-csv')).toHaveAttribute(
    'href',
    /api\/usage\?scope=hub&format=csv$/
  );
});

test('a newcomer finds the environment colleagues use in the catalog and launches it with a click', async ({
  page
}) => {
  await signIn(page, `ux-new-${stamp}`);
  await page.goto(`${hubUrl}/services/envhub/catalog`);
  const entry = page.locator(`.envhub-catalog-entry[data-repo="${repo}"]`);
  await expect(entry.locator('h3')).toHaveText('Plots and catalog demo');
  await expect(entry.locator('.envhub-catalog-launches')).toHaveAttribute(
    'data-week',
    '2'
  );
  await entry.locator('a.button', { hasText: 'Launch' }).click();
  await page.waitForURL(url => url.pathname === '/services/envhub/');
  await expect(page.locator('#envhub-repo')).toHaveValue(repo);
  await expect(page.locator('#envhub-ref')).toHaveValue('main');

  // Leaving one's launches out of the catalog's counts: a setting on envhub's page.
  const hide = page.locator('#envhub-settings input[name="hide_launches"]');
  await expect(hide).not.toBeChecked();
  await hide.check();
  await page.locator('#envhub-settings button[type="submit"]').click();
  await page.waitForURL(url => url.hash === '#envhub-settings');
  await expect(hide).toBeChecked();
});
