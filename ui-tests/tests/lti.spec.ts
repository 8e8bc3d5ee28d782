import { expect, test, type Browser, type Page } from '@playwright/test';
import config from '../playwright.config.js';
import { LtiPlatform, type Launch } from '../support/ltiPlatform.js';
import { OwnHub } from '../support/ownHub.js';

// Launches from a learning platform with LTI 1.3: a course's instructor and student land on the
// course's class page with their roles, a forged launch and a launch from no nameable course are
// refused. The test runs a hub of its own (ports 8700-8703, prefix envhublti) signing in with LTI
// only, and a fake platform on localhost:8705, another site than the hub's 127.0.0.1, so the
// platform's answer is a cross-site POST as from a real LMS.
const PORT = 8700;
const PLATFORM_PORT = 8705;
const PREFIX = 'envhublti';
const HUB = `http://127.0.0.1:${PORT}`;
const ADMIN = 'hubadmin';
const CLASS_PAGE = `${HUB}/services/envhub/classes/intro101`;

// Chromium sends cookies without a SameSite attribute with a cross-site POST while they are under
// two minutes old (its "Lax+POST" exception), which hides whether the LTI state cookies survive the
// platform's POST at all. The tests turn the exception off, so that they fail unless they do.
const launchOptions = config.use?.launchOptions ?? {};
test.use({
  launchOptions: {
    ...launchOptions,
    args: [
      ...(launchOptions.args ?? []),
      '--enable-features=SameSiteDefaultChecksMethodRigorously'
    ]
  }
});

let platform: LtiPlatform;
let hub: OwnHub | null = null;
let adminToken = '';

/** Follows a course page's link in a fresh browser (no cookies of anyone else's). */
async function launch(browser: Browser, how: Launch): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(platform.launchUrl(how));
  return page;
}

/** The Hub API, as the test's admin. */
async function hubApi(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${HUB}/hub/api${path}`, {
    headers: { Authorization: `token ${adminToken}` }
  });
  return {
    status: response.status,
    body: await response.json().catch(() => null)
  };
}

async function groupsOf(user: string): Promise<string[]> {
  const { status, body } = await hubApi(`/users/${encodeURIComponent(user)}`);
  expect(status, `the Hub's user ${user}`).toBe(200);
  return [...body.groups].sort();
}

/** The LTI state cookies a browser still holds for the hub. */
async function stateCookies(page: Page): Promise<string[]> {
  return (await page.context().cookies(HUB))
    .map(cookie => cookie.name)
    .filter(name => name.startsWith('lti13authenticator-'));
}

test.beforeAll(async ({ browser }) => {
  platform = await LtiPlatform.start(HUB, PLATFORM_PORT);
  hub = await OwnHub.start({
    port: PORT,
    prefix: PREFIX,
    env: {
      ENVHUB_PUBLIC_URL: HUB,
      ...platform.hubEnvironment,
      ENVHUB_LTI13_ADMIN_USERS: `${ADMIN}@example.org`
    }
  });
  // The admin (ENVHUB_LTI13_ADMIN_USERS) signs in through the platform too, as an institution
  // administrator with no course role, and takes a token for the Hub API.
  const page = await launch(browser, {
    user: ADMIN,
    roles: ['Administrator'],
    label: 'Staff room'
  });
  await page.waitForURL(`${HUB}/services/envhub/classes/staff-room`);
  await page.goto(`${HUB}/hub/token`);
  const xsrf = await page.evaluate(() => (window as any).jhdata.xsrf_token);
  const response = await page.request.post(
    `${HUB}/hub/api/users/${ADMIN}@example.org/tokens`,
    {
      headers: { 'X-XSRFToken': xsrf, Referer: `${HUB}/hub/token` },
      data: { note: 'lti.spec.ts', expires_in: 3600 }
    }
  );
  expect(response.status(), await response.text()).toBe(201);
  adminToken = (await response.json()).token;
  await page.context().close();
});

test.afterAll(async () => {
  await hub?.stop();
  await platform?.stop();
});

test('an instructor launches into a new class and creates it; a student launches into it as a student', async ({
  browser
}) => {
  const instructor = await launch(browser, {
    user: 'ada',
    roles: ['Instructor'],
    label: 'INTRO101'
  });
  await instructor.waitForURL(CLASS_PAGE);
  expect(await groupsOf('ada@example.org')).toEqual(['intro101-instructors']);
  // The state cookies were read by the cross-site launch, and cleared.
  expect(await stateCookies(instructor)).toEqual([]);

  const create = instructor.getByRole('button', { name: 'Create class' });
  await expect(create, 'the class page offers to create the class').toBeVisible(
    {
      timeout: 15_000
    }
  );
  await create.click();
  await expect(instructor.locator('.envhub-class-role')).toHaveText(
    'instructor'
  );

  const student = await launch(browser, {
    user: 'grace',
    roles: ['Learner'],
    label: 'INTRO101'
  });
  await student.waitForURL(CLASS_PAGE);
  expect(await groupsOf('grace@example.org')).toEqual(['intro101-students']);
  await expect(student.locator('.envhub-class-role')).toHaveText('student');
});

test("course roles set the launched class's groups and keep the user's others", async ({
  browser
}) => {
  const algo = `${HUB}/services/envhub/classes/algo-1`;
  // A teaching assistant is course staff; a course designer gets no class role.
  await (
    await launch(browser, {
      user: 'alan',
      roles: ['Instructor', 'TeachingAssistant'],
      label: 'ALGO 1'
    })
  ).waitForURL(algo);
  expect(await groupsOf('alan@example.org')).toEqual(['algo-1-instructors']);
  await (
    await launch(browser, {
      user: 'edsger',
      roles: ['ContentDeveloper'],
      label: 'ALGO 1'
    })
  ).waitForURL(algo);
  expect(await groupsOf('edsger@example.org')).toEqual([]);
  expect(await groupsOf(`${ADMIN}@example.org`)).toEqual([]);

  // The same person learning in another course, named by the tool's custom parameter.
  await (
    await launch(browser, {
      user: 'alan',
      roles: ['Learner'],
      label: 'MATH 2',
      custom: { envhub_class: 'math-2025' }
    })
  ).waitForURL(`${HUB}/services/envhub/classes/math-2025`);
  expect(await groupsOf('alan@example.org')).toEqual([
    'algo-1-instructors',
    'math-2025-students'
  ]);
  // The platform now says the assistant is a learner in ALGO 1: that class's groups follow.
  await (
    await launch(browser, {
      user: 'alan',
      roles: ['Learner'],
      label: 'ALGO 1'
    })
  ).waitForURL(algo);
  expect(await groupsOf('alan@example.org')).toEqual([
    'algo-1-students',
    'math-2025-students'
  ]);
  expect((await hubApi('/groups/algo-1-instructors')).body.users).toEqual([]);
  expect((await hubApi('/groups/algo-1-students')).body.users).toEqual([
    'alan@example.org'
  ]);
});

test('a launch aimed at a page of the hub lands there', async ({ browser }) => {
  const page = await launch(browser, {
    user: 'barbara',
    roles: ['Learner'],
    label: 'INTRO101',
    target: `${HUB}/services/envhub/`
  });
  await page.waitForURL(`${HUB}/services/envhub/`);
  expect(await groupsOf('barbara@example.org')).toEqual(['intro101-students']);
});

test('a launch signed with a key that is not the platform’s is refused, and signs no one in', async ({
  browser
}) => {
  const page = await launch(browser, {
    user: 'mallory',
    roles: ['Instructor'],
    label: 'INTRO101',
    forged: true
  });
  await page.waitForURL(`${HUB}/hub/lti13/oauth_callback`);
  await expect(page.locator('body')).toContainText('400');
  await expect(page.locator('body')).toContainText(
    'Signature verification failed'
  );
  const cookies = (await page.context().cookies(HUB)).map(c => c.name);
  expect(cookies).not.toContain('jupyterhub-hub-login');
  expect((await page.request.get(`${HUB}/hub/api/user`)).status()).toBe(403);
  expect((await hubApi('/users/mallory@example.org')).status).toBe(404);
});

test('a launch from a course whose short name makes no class id is refused with what to set', async ({
  browser
}) => {
  const page = await launch(browser, {
    user: 'kurt',
    roles: ['Instructor'],
    label: '数学'
  });
  await page.waitForURL(`${HUB}/hub/lti13/oauth_callback`);
  await expect(page.locator('body')).toContainText('makes no class id');
  await expect(page.locator('body')).toContainText('envhub_class=<class id>');
  expect((await hubApi('/users/kurt@example.org')).status).toBe(404);
});
