import { courseVolumeName } from '../../../src/naming.js';
import {
  captureLogs,
  INTERNAL_SECRET,
  NAME_PREFIX,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import { expectStatus, type Received } from '../../support/http.js';

/**
 * The rules of classes and the nbgrader exchange, through the real app with a fake Hub: who may
 * release, fetch, submit, list, collect and give feedback; identity from the token only; group
 * changes applied at once; refusals that leave nothing behind.
 */

const logs = captureLogs();
afterAll(() => logs.restore());

let app: TestApp;
const tokens: Record<string, string> = {};
const SCOPE = 'access:services!service=envhub';
const file = (path: string, text: string) => ({
  path,
  content: Buffer.from(text).toString('base64')
});
const decoded = (entry: { content: string }) =>
  Buffer.from(entry.content, 'base64').toString();

beforeEach(async () => {
  app = await testApp();
  app.hub.addUser('teacher');
  app.hub.addUser('ta', { groups: ['intro-tas'] });
  app.hub.addUser('ann', { groups: ['intro-students'] });
  app.hub.addUser('ben', { groups: ['intro-students'] });
  app.hub.addUser('eve');
  app.hub.addUser('root', { admin: true });
  for (const name of ['teacher', 'ta', 'ann', 'ben', 'eve', 'root'])
    tokens[name] = app.hub.issueToken(name, [SCOPE], `token-${name}`);
});
afterEach(() => app.close());

const call = (
  who: string,
  method: string,
  path: string,
  json?: unknown
): Promise<Received> =>
  app.send(`${PREFIX}api/classes${path}`, {
    method,
    headers: { Authorization: `token ${tokens[who]}` },
    ...(json === undefined ? {} : { json })
  });

/** intro: taught by teacher and group intro-tas, taken by group intro-students; ps1 released. */
async function seedClass(dueAt: string | null = null) {
  expectStatus(
    await call('teacher', 'POST', '', {
      id: 'intro',
      title: 'Intro',
      instructors: { groups: ['intro-tas'] },
      students: { groups: ['intro-students'] }
    }),
    201
  );
  expectStatus(
    await call('teacher', 'PUT', '/intro/assignments/ps1', {
      files: [file('ps1.ipynb', 'released'), file('data/x.csv', '1,2')],
      dueAt
    }),
    200
  );
}

describe('classes', () => {
  test('the creator becomes an instructor; students see no roster; others see nothing', async () => {
    await seedClass();
    const teacher = await call('teacher', 'GET', '/intro');
    expectStatus(teacher, 200);
    expect(teacher.json).toMatchObject({
      role: 'instructor',
      instructors: { users: ['teacher'], groups: ['intro-tas'] },
      students: { users: [], groups: ['intro-students'] }
    });
    const ann = await call('ann', 'GET', '/intro');
    expect(ann.json).toMatchObject({
      role: 'student',
      students: { users: [], groups: [] }
    });
    expectStatus(await call('eve', 'GET', '/intro'), 404);
    expect((await call('eve', 'GET', '')).json).toEqual({ classes: [] });
    expect(app.docker.volumes.has(courseVolumeName(NAME_PREFIX, 'intro'))).toBe(
      true
    );
  });

  test('a group change applies at the next call, with no action in envhub', async () => {
    await seedClass();
    expectStatus(await call('eve', 'GET', '/intro/assignments'), 404);
    app.hub.groups.get('intro-students')!.push('eve');
    expectStatus(await call('eve', 'GET', '/intro/assignments'), 200);
    app.hub.groups.set(
      'intro-students',
      app.hub.groups.get('intro-students')!.filter(n => n !== 'ann')
    );
    expectStatus(await call('ann', 'GET', '/intro/assignments'), 404);
  });

  test('bad bodies and taken ids are refused, and nothing is created', async () => {
    await seedClass();
    const before = app.state();
    for (const body of [
      { id: '../x' },
      { id: 'a+b' },
      { id: 'ok', students: { users: 'ann' } },
      { id: 'ok', extra: 1 },
      {}
    ])
      expectStatus(await call('teacher', 'POST', '', body), 400);
    expectStatus(await call('ben', 'POST', '', { id: 'intro' }), 409);
    expect(app.state()).toEqual(before);
  });

  test('the per-user cap on classes', async () => {
    await app.close();
    app = await testApp({ site: { classesPerUser: 1 } });
    app.hub.addUser('teacher');
    tokens.teacher = app.hub.issueToken('teacher', [SCOPE], 'token-t2');
    expectStatus(await call('teacher', 'POST', '', { id: 'one' }), 201);
    const refused = await call('teacher', 'POST', '', { id: 'two' });
    expectStatus(refused, 409);
    expect(refused.json).toMatchObject({ code: 'too_many_classes' });
  });
});

describe('the exchange', () => {
  test('students fetch released files; only instructors release or withdraw', async () => {
    await seedClass();
    const files = await call('ann', 'GET', '/intro/assignments/ps1/files');
    expectStatus(files, 200);
    const entries = (files.json as { files: Array<{ path: string }> }).files;
    expect(entries.map(f => f.path)).toEqual(['data/x.csv', 'ps1.ipynb']);
    const release = await call('ann', 'PUT', '/intro/assignments/ps2', {
      files: [file('ps2.ipynb', 'x')]
    });
    expectStatus(release, 403);
    expect(release.json).toMatchObject({
      message: expect.stringContaining('instructors of class intro')
    });
    expectStatus(await call('ann', 'DELETE', '/intro/assignments/ps1'), 403);
    // A group instructor may.
    expectStatus(await call('ta', 'DELETE', '/intro/assignments/ps1'), 204);
    expectStatus(await call('ann', 'GET', '/intro/assignments/ps1/files'), 404);
  });

  test("a student sees and fetches only their own work; another's is not there for them", async () => {
    await seedClass();
    const submitted = await call(
      'ann',
      'POST',
      '/intro/assignments/ps1/submissions',
      {
        files: [file('ps1.ipynb', "ann's answer")]
      }
    );
    expectStatus(submitted, 201);
    const receipt = submitted.json as {
      id: string;
      student: string;
      late: boolean;
      files: string[];
    };
    expect(receipt).toMatchObject({
      student: 'ann',
      late: false,
      files: ['ps1.ipynb']
    });

    const bens = await call('ben', 'GET', '/intro/assignments/ps1/submissions');
    expect(bens.json).toEqual({ submissions: [] });
    expectStatus(
      await call(
        'ben',
        'GET',
        '/intro/assignments/ps1/submissions?student=ann'
      ),
      403
    );
    expectStatus(
      await call(
        'ben',
        'GET',
        `/intro/assignments/ps1/submissions/${receipt.id}`
      ),
      404
    );
    const own = await call(
      'ann',
      'GET',
      `/intro/assignments/ps1/submissions/${receipt.id}`
    );
    expectStatus(own, 200);
    expect(
      decoded((own.json as { files: Array<{ content: string }> }).files[0])
    ).toBe("ann's answer");
  });

  test('nobody submits as someone else: the student named in the body must be the caller', async () => {
    await seedClass();
    const before = app.state();
    const spoofed = await call(
      'ben',
      'POST',
      '/intro/assignments/ps1/submissions',
      {
        files: [file('ps1.ipynb', 'ben pretending')],
        student: 'ann'
      }
    );
    expectStatus(spoofed, 403);
    expect(spoofed.json).toMatchObject({
      message: expect.stringContaining('only as yourself')
    });
    expect(app.state()).toEqual(before);
    const listed = await call(
      'teacher',
      'GET',
      '/intro/assignments/ps1/submissions'
    );
    expect(listed.json).toEqual({ submissions: [] });
  });

  test('every submission is kept and timestamped by the service; after the due date, marked late', async () => {
    await seedClass('2000-01-01T00:00:00Z');
    for (const text of ['first', 'second'])
      expectStatus(
        await call('ann', 'POST', '/intro/assignments/ps1/submissions', {
          files: [file('ps1.ipynb', text)],
          timestamp: '1999-01-01T00:00:00Z'
        }),
        201
      );
    const listed = (
      await call('teacher', 'GET', '/intro/assignments/ps1/submissions')
    ).json as { submissions: Array<{ timestamp: string; late: boolean }> };
    expect(listed.submissions).toHaveLength(2);
    for (const s of listed.submissions) {
      expect(s.late).toBe(true);
      expect(s.timestamp > '2026').toBe(true);
    }
    const view = (await call('teacher', 'GET', '/intro/assignments')).json as {
      assignments: Array<{ submittedBy: number; submissionCount: number }>;
    };
    expect(view.assignments[0]).toMatchObject({
      submittedBy: 1,
      submissionCount: 2
    });
  });

  test('feedback goes to the submission it answers, and each student reads only their own', async () => {
    await seedClass();
    const stamps: Record<string, string> = {};
    for (const who of ['ann', 'ben']) {
      const r = await call(who, 'POST', '/intro/assignments/ps1/submissions', {
        files: [file('ps1.ipynb', `${who}'s work`)]
      });
      stamps[who] = (r.json as { timestamp: string }).timestamp;
    }
    expectStatus(
      await call('ben', 'PUT', '/intro/assignments/ps1/feedback/ann', {
        timestamp: stamps.ann,
        files: [file('ps1.html', 'forged')]
      }),
      403
    );
    expectStatus(
      await call('teacher', 'PUT', '/intro/assignments/ps1/feedback/ann', {
        timestamp: stamps.ben,
        files: [file('ps1.html', 'wrong submission')]
      }),
      404
    );
    for (const who of ['ann', 'ben'])
      expectStatus(
        await call('teacher', 'PUT', `/intro/assignments/ps1/feedback/${who}`, {
          timestamp: stamps[who],
          files: [file('ps1.html', `feedback for ${who}`)]
        }),
        200
      );
    const anns = (await call('ann', 'GET', '/intro/assignments/ps1/feedback'))
      .json as {
      feedback: Array<{ student: string; files: Array<{ content: string }> }>;
    };
    expect(anns.feedback.map(f => [f.student, decoded(f.files[0])])).toEqual([
      ['ann', 'feedback for ann']
    ]);
    const all = (
      await call('teacher', 'GET', '/intro/assignments/ps1/feedback')
    ).json as {
      feedback: unknown[];
    };
    expect(all.feedback).toHaveLength(2);
    const assignments = (await call('ann', 'GET', '/intro/assignments'))
      .json as {
      assignments: Array<{ feedback: string[] }>;
    };
    expect(assignments.assignments[0].feedback).toEqual([stamps.ann]);
  });

  test('uploads over the caps or with unsafe paths are refused whole', async () => {
    await app.close();
    app = await testApp({ site: { exchange: { maxFiles: 2, maxBytes: 10 } } });
    app.hub.addUser('teacher');
    tokens.teacher = app.hub.issueToken('teacher', [SCOPE], 'token-t3');
    expectStatus(await call('teacher', 'POST', '', { id: 'c' }), 201);
    const before = app.state();
    const tooMany = await call('teacher', 'PUT', '/c/assignments/ps1', {
      files: [file('a.ipynb', '1'), file('b.ipynb', '1'), file('c.ipynb', '1')]
    });
    expectStatus(tooMany, 413);
    const tooBig = await call('teacher', 'PUT', '/c/assignments/ps1', {
      files: [file('a.ipynb', 'x'.repeat(11))]
    });
    expectStatus(tooBig, 413);
    for (const path of ['../escape.ipynb', '/etc/passwd', 'a/./b.ipynb', '.']) {
      const bad = await call('teacher', 'PUT', '/c/assignments/ps1', {
        files: [{ path, content: 'eA==' }]
      });
      expectStatus(bad, 400);
    }
    expectStatus(
      await call('teacher', 'PUT', '/c/assignments/ps1', {
        files: [file('a.ipynb', '1'), file('a.ipynb/b', '1')]
      }),
      400
    );
    expectStatus(
      await call('teacher', 'PUT', '/c/assignments/bad+id', {
        files: [file('a.ipynb', '1')]
      }),
      400
    );
    expect(app.state()).toEqual(before);
    expect((await call('teacher', 'GET', '/c/assignments')).json).toEqual({
      assignments: []
    });
  });
});

describe('servers launched for a class', () => {
  test("a server's own token reaches the exchange as its owner, but cannot create classes", async () => {
    await seedClass();
    const serverToken = app.hub.issueServerToken('ann', 'intro');
    const send = (method: string, path: string, json?: unknown) =>
      app.send(`${PREFIX}api/classes${path}`, {
        method,
        headers: { Authorization: `token ${serverToken}` },
        ...(json === undefined ? {} : { json })
      });
    const r = await send('POST', '/intro/assignments/ps1/submissions', {
      files: [file('ps1.ipynb', 'from the server')]
    });
    expectStatus(r, 201);
    expect(r.json).toMatchObject({ student: 'ann' });
    expectStatus(await send('POST', '', { id: 'mine' }), 403);
    expectStatus(
      await app.send(`${PREFIX}api/servers`, {
        headers: { Authorization: `token ${serverToken}` }
      }),
      403
    );
  });

  test('instructors get the course directory and their role, students only their role', async () => {
    await seedClass();
    const base = {
      repo: `${app.forge.url}/intro/env.git`,
      ref: 'a'.repeat(40),
      name: 'intro',
      class: 'intro'
    };
    for (const who of ['teacher', 'ann']) {
      app.store.saveServer({
        owner: who,
        name: 'intro',
        repo: base.repo,
        ref: base.ref,
        commit: base.ref,
        image: 'img',
        ticket: `ticket-${who}`,
        spec: base,
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z'
      });
    }
    const config = async (user: string) => {
      const r = await app.send(`${PREFIX}api/internal/spawn-config`, {
        method: 'POST',
        headers: { Authorization: `token ${INTERNAL_SECRET}` },
        json: {
          user,
          server: 'intro',
          user_options: { ticket: `ticket-${user}` }
        }
      });
      expectStatus(r, 200);
      return r.json as {
        environment: Record<string, string>;
        mounts: Array<{ source: string; target: string; read_only: boolean }>;
      };
    };
    const teacher = await config('teacher');
    expect(teacher.environment).toMatchObject({
      ENVHUB_CLASS: 'intro',
      ENVHUB_CLASS_ROLE: 'instructor',
      ENVHUB_COURSE_ROOT: '/home/jovyan/course-intro'
    });
    expect(teacher.mounts).toContainEqual(
      expect.objectContaining({
        source: courseVolumeName(NAME_PREFIX, 'intro'),
        target: '/home/jovyan/course-intro',
        read_only: false
      })
    );
    const ann = await config('ann');
    expect(ann.environment).toMatchObject({
      ENVHUB_CLASS: 'intro',
      ENVHUB_CLASS_ROLE: 'student'
    });
    expect(ann.environment.ENVHUB_COURSE_ROOT).toBeUndefined();
    expect(ann.mounts).toEqual([]);
    // Someone who left the class starts without it (and keeps their home).
    app.hub.groups.set('intro-students', ['ben']);
    const left = await config('ann');
    expect(left.environment.ENVHUB_CLASS).toBeUndefined();
  });
});
