import { expect, test } from '@playwright/test';
import { GitServer } from '../../hub-service/test/support/gitServer.js';
import {
  buildUrl,
  hubUrl,
  readEventStream,
  tokenFor
} from '../../hub-service/test/support/hubSession.js';
import { signIn } from './signIn.js';

// A student's path through a class, against the real Hub: the class page, the Class section of the
// envhub panel (fetch, submit and its receipt, feedback opened in JupyterLab) and nbgrader's own
// Assignments panel, which lists the same submission through envhub's exchange.
const stamp = Date.now().toString(36);
const teacher = `teach-ui-${stamp}`;
const student = `stud-ui-${stamp}`;
const classId = `ui${stamp}`;
const base = `${hubUrl}/user/${student}/${classId}/`;
const tokens: Record<string, string> = {};
let envGit: GitServer;

const NOTEBOOK = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source: ['# YOUR CODE HERE']
    }
  ],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5
});

const classApi = (who: string, path: string, init: RequestInit = {}) =>
  fetch(`${hubUrl}/services/envhub/api/classes${path}`, {
    ...init,
    headers: {
      Authorization: `token ${tokens[who]}`,
      'Content-Type': 'application/json'
    }
  });

test.beforeAll(async () => {
  test.setTimeout(900_000);
  tokens[teacher] = await tokenFor(teacher);
  tokens[student] = await tokenFor(student);
  envGit = await GitServer.start();
  await envGit.commit('class-env', { 'requirements.txt': 'nbgrader==0.9.*\n' });
  const created = await classApi(teacher, '', {
    method: 'POST',
    body: JSON.stringify({
      id: classId,
      title: 'UI class',
      students: { users: [student] },
      repo: envGit.url('class-env'),
      ref: 'main'
    })
  });
  expect(created.status).toBe(201);
  // Released as nbgrader's release_assignment sends it.
  const released = await classApi(teacher, `/${classId}/assignments/ps1`, {
    method: 'PUT',
    body: JSON.stringify({
      files: [
        { path: 'ps1.ipynb', content: Buffer.from(NOTEBOOK).toString('base64') }
      ],
      dueAt: '2099-01-01T00:00:00Z'
    })
  });
  expect(released.status).toBe(200);
  const launch = await readEventStream(
    buildUrl(envGit.url('class-env'), 'main', {
      name: classId,
      class: classId
    }),
    tokens[student]
  );
  expect(launch.events.at(-1)?.phase, launch.body).toBe('ready');
});

test.afterAll(async () => {
  // The course directory is kept while a server mounts it: servers first, then the class.
  for (const user of [student, teacher])
    await fetch(`${hubUrl}/services/envhub/api/servers/${user}/${classId}`, {
      method: 'DELETE',
      headers: { Authorization: `token ${tokens[user]}` }
    });
  expect(
    (await classApi(teacher, `/${classId}`, { method: 'DELETE' })).status
  ).toBe(204);
  await envGit.stop();
});

test('a student fetches, submits with a receipt, sees it in nbgrader, and opens the feedback', async ({
  page
}) => {
  await signIn(page, student);
  await page.goto(`${hubUrl}/services/envhub/classes/${classId}`);
  await expect(page.locator('.envhub-class-role')).toHaveText('student');
  await expect(page.locator('#envhub-class-launch-link')).toBeVisible();

  await page.goto(`${base}lab`);
  await page.waitForURL(/\/lab/, { timeout: 120_000 });
  const tab = page.locator(
    '.jp-SideBar .lm-TabBar-tab[data-id="envhub-environment-panel"]'
  );
  const assignment = page.locator(
    '#envhub-environment-panel .jp-envhub-assignment[data-assignment="ps1"]'
  );
  await expect(async () => {
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
    await expect(assignment).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  await expect(
    page.locator('#envhub-environment-panel .jp-envhub-class-role')
  ).toHaveAttribute('data-role', 'student');
  await expect(assignment).toHaveAttribute('data-progress', 'not-fetched');

  await assignment.locator('[data-action="fetch"]').click();
  await expect(assignment).toHaveAttribute('data-progress', 'fetched', {
    timeout: 60_000
  });
  await assignment.locator('[data-action="submit"]').click();
  const receipt = page.locator('#envhub-environment-panel .jp-envhub-receipt');
  await expect(receipt).toBeVisible({ timeout: 60_000 });
  await expect(receipt).toHaveAttribute('data-late', 'false');
  await expect(receipt).toContainText('ps1.ipynb');
  await expect(assignment).toHaveAttribute('data-progress', 'submitted');

  // nbgrader's Assignments panel reads the same exchange.
  await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Nbgrader' }).click();
  // A student's server has no instructor panels.
  await expect(
    page.locator('.lm-Menu-itemLabel', { hasText: 'Formgrader' })
  ).toHaveCount(0);
  await page
    .locator('.lm-Menu-itemLabel', { hasText: 'Assignment List' })
    .click();
  const submitted = page.locator('#submitted_assignments_list');
  await expect(submitted).toContainText('ps1', { timeout: 60_000 });

  // The teacher releases feedback for that submission; the student opens it.
  const listed = (await (
    await classApi(teacher, `/${classId}/assignments/ps1/submissions`)
  ).json()) as { submissions: Array<{ student: string; timestamp: string }> };
  expect(listed.submissions.map(s => s.student)).toEqual([student]);
  const feedback = await classApi(
    teacher,
    `/${classId}/assignments/ps1/feedback/${student}`,
    {
      method: 'PUT',
      body: JSON.stringify({
        timestamp: listed.submissions[0].timestamp,
        files: [
          {
            path: 'ps1.html',
            content: Buffer.from(
              '<html><body><p id="score">Score: 1 / 1 — well done</p></body></html>'
            ).toString('base64')
          }
        ]
      })
    }
  );
  expect(feedback.status).toBe(200);
  await expect(assignment).toHaveAttribute('data-progress', 'feedback', {
    timeout: 90_000
  });
  await assignment.locator('[data-action="feedback"]').click();
  const viewer = page.locator('.jp-HTMLViewer iframe');
  await expect(viewer).toBeVisible({ timeout: 60_000 });
  await expect(
    page.frameLocator('.jp-HTMLViewer iframe').locator('#score')
  ).toContainText('well done');
});

test("an instructor's server mounts the course directory and shows nbgrader's Formgrader inside JupyterLab", async ({
  page
}) => {
  test.setTimeout(600_000);
  const launch = await readEventStream(
    buildUrl(envGit.url('class-env'), 'main', {
      name: classId,
      class: classId
    }),
    tokens[teacher]
  );
  expect(launch.events.at(-1)?.phase, launch.body).toBe('ready');
  await signIn(page, teacher);
  await page.goto(`${hubUrl}/user/${teacher}/${classId}/lab`);
  await page.waitForURL(/\/lab/, { timeout: 120_000 });
  await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Nbgrader' }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Formgrader$/ }).click();
  // nbgrader frames the Formgrader: blank if the server forbade framing.
  const formgrader = page.frameLocator('.jp-MainAreaWidget iframe');
  await expect(formgrader.locator('body')).toContainText('Manage Assignments', {
    timeout: 60_000
  });
});
