import { expect, test, type Page } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import {
  buildUrl,
  hubUrl,
  readEventStream,
  tokenFor
} from '../../hub-service/test/support/hubSession.js';
import { readFile, writeFile } from './contents.js';
import { signIn } from './signIn.js';

// The Course materials section of the envhub panel, against the real Hub: updates shown, Pull,
// the conflicting notebook listed, its upstream version restored beside the student's copy.
const notebook = (line: string) =>
  JSON.stringify(
    {
      cells: [{ cell_type: 'markdown', metadata: {}, source: [line] }],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    },
    null,
    1
  ) + '\n';

const user = `matlab-${Date.now().toString(36)}`;
const base = `${hubUrl}/user/${user}/class/`;
let envGit: GitServer;
let courseGit: GitServer;

/** A notebook of the server as text (the contents API answers notebooks as JSON). */
const notebookText = async (page: Page, path: string) =>
  JSON.stringify((await readFile(page, base, path)).content);

test.beforeAll(async () => {
  test.setTimeout(300_000);
  const bridge = process.env.ENVHUB_TEST_BRIDGE_IP;
  if (!bridge)
    throw new Error(
      'ENVHUB_TEST_BRIDGE_IP is not set: run this through deploy/test.sh'
    );
  envGit = await GitServer.start();
  courseGit = await GitServer.start(bridge, { smart: true });
  await envGit.commit('env', { 'requirements.txt': '' });
  await courseGit.commit('course', {
    'week1.ipynb': notebook('Week 1 as the teacher wrote it')
  });
  const launch = await readEventStream(
    buildUrl(envGit.url('env'), 'main', {
      name: 'class',
      materials: `${courseGit.url('course')}#path=course`
    }),
    await tokenFor(user)
  );
  expect(launch.events.at(-1)?.phase, launch.body).toBe('ready');
});

test.afterAll(async () => {
  await envGit.stop();
  await courseGit.stop();
});

test('the Course materials section shows updates, pulls them, lists the conflict and restores the upstream version', async ({
  page
}) => {
  await signIn(page, user);
  await page.goto(`${base}lab`);
  await page.waitForURL(/\/lab/, { timeout: 120_000 });
  // The student writes in the notebook; the teacher corrects the same line and adds week 2.
  expect(
    await writeFile(
      page,
      base,
      'course/week1.ipynb',
      notebook('Week 1 with my own notes')
    )
  ).toBe(200);
  await courseGit.commit('course', {
    'week1.ipynb': notebook('Week 1 as the teacher corrected it'),
    'week2.ipynb': notebook('Week 2')
  });

  const tab = page.locator(
    '.jp-SideBar .lm-TabBar-tab[data-id="envhub-environment-panel"]'
  );
  const material = page.locator(
    '#envhub-environment-panel .jp-envhub-material'
  );
  await expect(async () => {
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await expect(material).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  await expect(material.locator('.jp-envhub-material-state')).toContainText(
    '1 update',
    { timeout: 30_000 }
  );
  await expect(material.locator('.jp-envhub-material-state')).toContainText(
    '1 changed file'
  );

  await material.locator('[data-action="pull"]').click();
  await expect(material.locator('.jp-envhub-pull-log')).toContainText('git');
  const conflict = material.locator(
    'li[data-kind="conflict"][data-file="week1.ipynb"]'
  );
  await expect(conflict).toBeVisible({ timeout: 60_000 });
  // Nothing left to pull; the student's change is still theirs.
  await expect(material.locator('.jp-envhub-material-state')).toHaveText(
    '1 changed file, 1 conflict'
  );
  expect(await notebookText(page, 'course/week2.ipynb')).toContain('Week 2');
  expect(await notebookText(page, 'course/week1.ipynb')).toContain(
    'my own notes'
  );

  await conflict.locator('[data-action="restore"]').click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(conflict).toHaveCount(0, { timeout: 30_000 });
  expect(await notebookText(page, 'course/week1.ipynb')).toContain(
    'as the teacher corrected it'
  );
  const listing = await page.evaluate(async url => {
    const token = JSON.parse(
      document.getElementById('jupyter-config-data')!.textContent!
    ).token as string;
    const response = await fetch(`${url}api/contents/course`, {
      headers: { Authorization: `token ${token}` }
    });
    return (
      (await response.json()) as { content: Array<{ name: string }> }
    ).content.map(f => f.name);
  }, base);
  // The student's version is kept beside it.
  expect(listing.some(name => /^week1__\d+\.ipynb$/.test(name))).toBe(true);
});
