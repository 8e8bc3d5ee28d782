import { expect, test } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import { hubUrl } from '../../hub-service/test/support/hubSession.js';
import { signIn } from './signIn.js';

// A teacher builds one class link from the form; a student follows it and lands, after one
// confirmation that lists the materials, in a server of their own with the week's notebook open.
let envGit: GitServer;
let courseGit: GitServer;

test.beforeAll(async () => {
  const bridge = process.env.ENVHUB_TEST_BRIDGE_IP;
  if (!bridge) {
    throw new Error(
      'ENVHUB_TEST_BRIDGE_IP is not set: run this through deploy/test.sh'
    );
  }
  envGit = await GitServer.start();
  courseGit = await GitServer.start(bridge, { smart: true });
  await envGit.commit('class-env', { 'requirements.txt': '' });
  await courseGit.commit('week-notes', {
    'week1.ipynb': JSON.stringify({
      cells: [
        {
          cell_type: 'markdown',
          metadata: {},
          source: ['# Week one of the course']
        }
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5
    })
  });
});

test.afterAll(async () => {
  await envGit.stop();
  await courseGit.stop();
});

test('a class link built from the form opens the week’s notebook, with its materials, in the student’s own server', async ({
  page,
  browser
}) => {
  const stamp = Date.now().toString(36);
  await signIn(page, `teacher-${stamp}`);
  await page.waitForURL(`${hubUrl}/services/envhub/`);
  await page.fill('#envhub-repo', envGit.url('class-env'));
  await page.fill('#envhub-ref', 'main');
  await page.fill('#envhub-name', 'course');
  await page.fill(
    '#envhub-materials',
    `${courseGit.url('week-notes')}#path=week-notes`
  );
  await page.fill('#envhub-urlpath', 'lab/tree/week-notes/week1.ipynb');
  const classLink = page.locator('#envhub-class-link');
  await expect(classLink).toHaveValue(/materials=/);
  const link = await classLink.inputValue();
  expect(link.startsWith(`${hubUrl}/services/envhub/v2/git/`)).toBe(true);

  const student = `student-${stamp}`;
  const theirs = await (await browser.newContext()).newPage();
  await signIn(theirs, student);
  await theirs.goto(link);
  await expect(theirs.locator('h1')).toHaveText('Launch this environment?');
  await expect(theirs.locator('#envhub-capabilities')).toContainText(
    courseGit.url('week-notes')
  );
  await expect(theirs.locator('#envhub-capabilities')).toContainText(
    'week-notes'
  );
  await theirs.click('#envhub-proceed');
  await theirs.waitForURL(
    new RegExp(`/user/${student}/course/lab/tree/week-notes/week1.ipynb`),
    {
      timeout: 240_000
    }
  );
  await expect(
    theirs.locator('.jp-NotebookPanel .jp-MarkdownOutput h1').first()
  ).toContainText('Week one of the course', { timeout: 60_000 });
});
