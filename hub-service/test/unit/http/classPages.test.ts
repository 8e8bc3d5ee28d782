import {
  captureLogs,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import { seedFixtures, signIn } from '../../support/fixtures.js';
import { expectStatus, pageXsrf } from '../../support/http.js';

/**
 * The class pages as a browser gets them (fixtures: alice teaches c1, bob and group team (carol)
 * take it, a1 is released, bob submitted it): what each role sees, and the forms that create a
 * class and change its members.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  seedFixtures(app);
});
afterEach(() => app.close());

const page = async (user: string, path: string) => {
  const jar = await signIn(app, user);
  const response = await app.send(`${PREFIX}${path}`, {
    headers: { Cookie: jar.header(), Accept: 'text/html' }
  });
  return { jar, response };
};

test('an instructor sees the roster, the counts, the class link and the members form', async () => {
  const { response } = await page('alice', 'classes/c1');
  expectStatus(response, 200);
  expect(response.text).toContain(
    '<span class="envhub-class-role">instructor</span>'
  );
  expect(response.text).toContain('Students: bob, group team');
  expect(response.text).toContain('1 student submitted (1 submission)');
  expect(response.text).toMatch(
    /id="envhub-class-launch-link" href="[^"]*v2\/git\/[^"]*class=c1/
  );
  expect(response.text).toContain('id="envhub-class-members"');
});

test('a student sees their own work only, and neither the roster nor the members form', async () => {
  const { response } = await page('bob', 'classes/c1');
  expectStatus(response, 200);
  expect(response.text).toContain(
    '<span class="envhub-class-role">student</span>'
  );
  expect(response.text).not.toContain('Students:');
  expect(response.text).not.toContain('envhub-class-members');
  expect(response.text).toContain('submitted 2026-01-02 10:00 UTC');
  const carol = await page('carol', 'classes/c1');
  expect(carol.response.text).toContain('not submitted');
});

test('someone outside the class gets the page that creates one, not the class', async () => {
  const { response } = await page('mallory', 'classes/c1');
  expectStatus(response, 404);
  expect(response.text).not.toContain('Class one');
  expect(response.text).toContain('Create class');
});

test('the home page lists the classes and creates one from its form', async () => {
  const { jar, response } = await page('carol', '');
  expect(response.text).toMatch(
    /<a href="[^"]*classes\/c1">Class one<\/a> \(<code>c1<\/code>,\s*student\)/
  );
  const created = await app.send(`${PREFIX}classes`, {
    method: 'POST',
    headers: { Cookie: jar.header() },
    form: {
      _xsrf: pageXsrf(response.text),
      id: 'chem1',
      title: 'Chemistry',
      student_groups: 'chem1-students, team',
      instructor_groups: '',
      student_users: ''
    }
  });
  expectStatus(created, 303);
  expect(created.headers.location).toBe(`${PREFIX}classes/chem1`);
  expect(app.store.getClass('chem1')).toMatchObject({
    title: 'Chemistry',
    instructors: { users: ['carol'], groups: [] },
    students: { users: [], groups: ['chem1-students', 'team'] }
  });
});

test('the form without its XSRF value creates nothing', async () => {
  const { jar } = await page('carol', '');
  const refused = await app.send(`${PREFIX}classes`, {
    method: 'POST',
    headers: { Cookie: jar.header() },
    form: { id: 'chem1' }
  });
  expectStatus(refused, 403);
  expect(app.store.getClass('chem1')).toBeUndefined();
});
