import { expect, test, type Page } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { hubUrl } from '../../hub-service/test/support/hubSession.js';
import { readFile, writeFile } from './contents.js';
import { signIn } from './signIn.js';

// Shared volumes from the envhub page, in a real browser against the real Hub + envhub + Docker.
let git: GitServer;
let repo: string;
const stamp = Date.now().toString(36);
const owner = `vol-${stamp}`;
const colleague = `${owner}-c`;
const volume = `results-${stamp}`;
const home = `${hubUrl}/services/envhub/`;

test.beforeAll(async () => {
  git = await GitServer.start();
  await git.commit('vol-demo', { 'README.md': '# volumes\n' });
  repo = git.url('vol-demo');
});
test.afterAll(async () => {
  await git.stop();
});

/** Accepts every browser dialog (confirm, alert) of `page`, keeping their texts. */
function acceptDialogs(page: Page): string[] {
  const texts: string[] = [];
  page.on('dialog', dialog => {
    texts.push(dialog.message());
    void dialog.accept();
  });
  return texts;
}

test('a volume is created, shared read-only, mounted by a launch, and kept while in use', async ({
  page,
  browser
}) => {
  // The Hub knows a user once they have signed in.
  const theirs = await (await browser.newContext()).newPage();
  await signIn(theirs, colleague);

  const dialogs = acceptDialogs(page);
  await signIn(page, owner);
  await page.goto(home);
  await expect(page.locator('#envhub-no-volumes')).toHaveText(
    'No volumes yet.'
  );

  // A name the schema refuses is explained; a good one is created and listed.
  const form = page.locator('#envhub-volume-form');
  await form.locator('input[name="name"]').fill('Bad Name');
  await form.locator('button[type="submit"]').click();
  await expect.poll(() => dialogs.join('\n')).toContain('lower-case letters');
  await form.locator('input[name="name"]').fill(volume);
  await form.locator('button[type="submit"]').click();
  const row = page.locator(`#envhub-volumes tr[data-volume="${volume}"]`);
  await expect(row.locator('.access')).toHaveText('owner');
  await expect(row.locator('.members')).toHaveText('only the owner');

  // Shared read-only with a colleague, who then sees it among their volumes, without its editor.
  await row.locator('details.members-editor summary').click();
  await row.locator('input[name="readOnlyUsers"]').fill(colleague);
  await row.getByRole('button', { name: 'Save members' }).click();
  await expect(
    page.locator(`#envhub-volumes tr[data-volume="${volume}"] .members`)
  ).toHaveText(`${colleague} (read-only)`);
  await theirs.goto(home);
  const theirRow = theirs.locator(
    `#envhub-volumes tr[data-volume="${volume}"]`
  );
  await expect(theirRow.locator('.access')).toHaveText('read-only');
  await expect(theirRow.locator('details.members-editor')).toHaveCount(0);

  // Mounted by a launch from the form (with a resource that is not the default).
  await page.fill('#envhub-repo', repo);
  await page.fill('#envhub-ref', 'main');
  await page.fill('#envhub-name', 'with-data');
  await page.locator('#envhub-launch-form details summary').click();
  await page.fill('#envhub-mount', `${volume}:/home/jovyan/data`);
  await expect(
    page.locator('#envhub-security-notes li[data-when="mount"]')
  ).toBeVisible();
  await page.fill('#envhub-memory', '1G');
  await page.click('#envhub-launch');
  await page.waitForURL(new RegExp(`/user/${owner}/with-data/lab`), {
    timeout: 240_000
  });
  await expect(
    page.locator('.jp-DirListing-item[title^="Name: data"]')
  ).toBeVisible({ timeout: 60_000 });

  // In use: it cannot be deleted; the page says which servers mount it.
  await page.goto(home);
  const used = page.locator(`#envhub-volumes tr[data-volume="${volume}"]`);
  await expect(used).toContainText('with-data');
  await used.locator('button[data-volume-action="delete"]').click();
  await expect
    .poll(() => dialogs.join('\n'))
    .toContain(`volume "${volume}" is mounted by a running server`);
  expect(
    dialogs.some(text => text.startsWith(`Delete volume "${volume}"`))
  ).toBe(true);
  await page.reload();
  await expect(
    page.locator(`#envhub-volumes tr[data-volume="${volume}"]`)
  ).toHaveCount(1);

  // Stopped and started again from the page, with its whole spec (the memory too): the same server.
  const server = page.locator('#envhub-servers tr[data-server="with-data"]');
  await server.locator('button[data-action="stop"]').click();
  await expect(async () => {
    await page.reload();
    await expect(
      page.locator('#envhub-servers tr[data-server="with-data"] .state')
    ).toHaveText('stopped', { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await page
    .locator(
      '#envhub-servers tr[data-server="with-data"] button[data-action="start"]'
    )
    .click();
  await page.waitForURL(new RegExp(`/user/${owner}/with-data/lab`), {
    timeout: 240_000
  });
  await expect(
    page.locator('.jp-DirListing-item[title^="Name: data"]')
  ).toBeVisible({ timeout: 60_000 });

  // The class link: the colleague follows a link that mounts the volume read-only, is told so
  // first, and finds the owner's file in their own server.
  await writeFile(
    page,
    `${hubUrl}/user/${owner}/with-data/`,
    'data/hello.txt',
    'from the owner'
  );
  const classLink = `${home}v2/git/${encodeURIComponent(repo)}/main?name=course&mount=${volume}:/home/jovyan/course:ro`;
  await theirs.goto(classLink);
  await expect(theirs.locator('h1')).toHaveText('Launch this environment?');
  await expect(theirs.locator('#envhub-capabilities')).toContainText(
    `Mounts volume ${volume} at /home/jovyan/course, read-only`
  );
  await theirs.click('#envhub-proceed');
  await theirs.waitForURL(new RegExp(`/user/${colleague}/course/lab`), {
    timeout: 240_000
  });
  const read = (
    await readFile(
      theirs,
      `${hubUrl}/user/${colleague}/course/`,
      'course/hello.txt'
    )
  ).content;
  expect(read).toBe('from the owner');
  await theirs.context().close();

  // The owner makes the mount read-only from the page: saved at once, applied by a restart.
  await page.goto(home);
  const mounts = page.locator(
    '#envhub-servers tr[data-server="with-data"] details.mounts'
  );
  await mounts.locator('summary').click();
  await expect(mounts.locator('textarea')).toHaveValue(
    `${volume}:/home/jovyan/data`
  );
  await mounts.locator('textarea').fill('not a mount');
  await mounts.getByRole('button', { name: 'Save mounts' }).click();
  await expect
    .poll(() => dialogs.join('\n'))
    .toContain('mounts.0 must be object');
  await mounts.locator('textarea').fill(`${volume}:/home/jovyan/data:ro`);
  await mounts.getByRole('button', { name: 'Save mounts' }).click();
  const restart = page.locator(
    '#envhub-servers tr[data-server="with-data"] button[data-action="restart"]'
  );
  await expect(restart).toBeVisible();
  await restart.click();
  await page.waitForURL(new RegExp(`/user/${owner}/with-data/lab`), {
    timeout: 240_000
  });
  const base = `${hubUrl}/user/${owner}/with-data/`;
  const status = [
    await writeFile(page, base, 'data/more.txt', 'refused'),
    (await readFile(page, base, 'data/hello.txt')).status
  ];
  expect(status[0]).toBeGreaterThanOrEqual(400);
  expect(status[1]).toBe(200);
  await page.goto(home);
  await expect(
    page.locator(
      '#envhub-servers tr[data-server="with-data"] button[data-action="restart"]'
    )
  ).toHaveCount(0);
});
