import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { execStatus } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';

// nbgrader through envhub's exchange against the real Hub + envhub + Docker engine: a teacher and
// two students, each in their own server built from a class repository whose requirements.txt
// installs nbgrader, run nbgrader's own commands. Every server runs as jovyan (uid 1000); who is
// who comes from each server's Hub token.
jest.setTimeout(900_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const teacher = `teach-${stamp}`;
const ann = `ann-${stamp}`;
const ben = `ben-${stamp}`;
const classId = `intro${stamp}`;
const tokens: Record<string, string> = {};
let envGit: GitServer;

const container = (user: string) =>
  `${namePrefix}-${escapeName(user)}--${classId}`;
const HOME = '/home/jovyan';
const courseRoot = `${HOME}/course-${classId}`;

/** Runs a shell command in `user`'s server as jovyan, with the server's own environment. */
const sh = (user: string, script: string, workdir = HOME) =>
  execStatus(container(user), ['bash', '-c', script], workdir, docker);

/** A shell command that must succeed; its output. */
async function ok(user: string, script: string, workdir = HOME) {
  const { output, exitCode } = await sh(user, script, workdir);
  if (exitCode !== 0)
    throw new Error(`${user}: ${script} exited ${exitCode}:\n${output}`);
  return output;
}

const api = (user: string, path: string, init: RequestInit = {}) =>
  fetch(`${hubUrl}/services/envhub/api/classes${path}`, {
    ...init,
    headers: {
      Authorization: `token ${tokens[user]}`,
      'Content-Type': 'application/json',
      ...init.headers
    }
  });

/** The source notebook of ps1: one solution cell and one autograded test cell. */
const SOURCE = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {
        nbgrader: {
          grade: false,
          grade_id: 'answer',
          locked: false,
          schema_version: 3,
          solution: true
        }
      },
      outputs: [],
      source: [
        'def add(a, b):\n',
        '    ### BEGIN SOLUTION\n',
        '    return a + b\n',
        '    ### END SOLUTION'
      ]
    },
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {
        nbgrader: {
          grade: true,
          grade_id: 'test_add',
          locked: true,
          points: 1,
          schema_version: 3,
          solution: false
        }
      },
      outputs: [],
      source: ['assert add(1, 2) == 3']
    }
  ],
  metadata: {
    kernelspec: {
      display_name: 'Python 3',
      language: 'python',
      name: 'python3'
    }
  },
  nbformat: 4,
  nbformat_minor: 5
});

/** Replaces the placeholder nbgrader put in the fetched notebook with `body`. */
const answer = (body: string) =>
  `python3 - <<'EOF'
import json
path = '${classId}/ps1/ps1.ipynb'
nb = json.load(open(path))
cell = nb['cells'][0]
cell['source'] = 'def add(a, b):\\n    ${body}\\n'
json.dump(nb, open(path, 'w'))
EOF`;

/** The server's own Hub token and envhub's address, as the exchange inside it sees them. */
async function serverEnvironment(
  user: string
): Promise<Record<string, string>> {
  const info = await docker.getContainer(container(user)).inspect();
  return Object.fromEntries(
    info.Config.Env.map(line => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1)
    ])
  );
}

beforeAll(async () => {
  for (const user of [teacher, ann, ben]) tokens[user] = await tokenFor(user);
  envGit = await GitServer.start();
  await envGit.commit('class-env', { 'requirements.txt': 'nbgrader==0.9.*\n' });
});

afterAll(async () => {
  const admin = await tokenFor('admin');
  for (const user of [teacher, ann, ben]) {
    await fetch(`${hubUrl}/services/envhub/api/servers/${user}/${classId}`, {
      method: 'DELETE',
      headers: { Authorization: `token ${tokens[user]}` }
    });
  }
  await api(teacher, `/${classId}`, { method: 'DELETE' });
  for (const user of [teacher, ann, ben])
    await hubApi(admin, `/users/${user}`, { method: 'DELETE' });
  await envGit.stop();
});

describe('an nbgrader class through envhub', () => {
  test('the teacher creates the class with both students, and servers are launched for it', async () => {
    const created = await api(teacher, '', {
      method: 'POST',
      body: JSON.stringify({
        id: classId,
        students: { users: [ann, ben] },
        repo: envGit.url('class-env'),
        ref: 'main'
      })
    });
    expect(created.status).toBe(201);
    for (const user of [teacher, ann, ben]) {
      const { events } = await readEventStream(
        buildUrl(envGit.url('class-env'), 'main', {
          name: classId,
          class: classId
        }),
        tokens[user]
      );
      expect(events.at(-1)).toMatchObject({ phase: 'ready' });
    }
    const env = await serverEnvironment(teacher);
    expect(env).toMatchObject({
      ENVHUB_CLASS: classId,
      ENVHUB_CLASS_ROLE: 'instructor',
      ENVHUB_COURSE_ROOT: courseRoot
    });
    expect((await serverEnvironment(ann)).ENVHUB_CLASS_ROLE).toBe('student');
  });

  test('the teacher generates and releases ps1 in the course directory', async () => {
    await ok(
      teacher,
      `mkdir -p source/ps1 && cat > source/ps1/ps1.ipynb <<'EOF'\n${SOURCE}\nEOF`,
      courseRoot
    );
    await ok(teacher, 'nbgrader generate_assignment ps1', courseRoot);
    await ok(teacher, 'nbgrader release_assignment ps1', courseRoot);
    const listed = await api(ann, `/${classId}/assignments`);
    expect(
      ((await listed.json()) as { assignments: Array<{ id: string }> })
        .assignments
    ).toEqual([expect.objectContaining({ id: 'ps1' })]);
  });

  test('each student fetches, answers and submits; the work is theirs alone', async () => {
    for (const [user, body] of [
      [ann, 'return a + b'],
      [ben, 'return a - b']
    ]) {
      await ok(user, 'nbgrader fetch_assignment ps1');
      expect(await ok(user, `cat ${classId}/ps1/ps1.ipynb`)).toContain(
        'NotImplementedError'
      );
      await ok(user, answer(body));
      await ok(user, 'nbgrader submit ps1');
    }
    // Ben's own server token sees his submission only, and cannot ask for Ann's.
    const benEnv = await serverEnvironment(ben);
    const asBen = (path: string) =>
      fetch(`${benEnv.ENVHUB_SERVICE_URL}api/classes/${classId}${path}`, {
        headers: { Authorization: `token ${benEnv.JUPYTERHUB_API_TOKEN}` }
      });
    const own = await asBen('/assignments/ps1/submissions');
    expect(own.status).toBe(200);
    const mine = (
      (await own.json()) as { submissions: Array<{ student: string }> }
    ).submissions;
    expect(mine.map(s => s.student)).toEqual([ben]);
    expect(
      (await asBen(`/assignments/ps1/submissions?student=${ann}`)).status
    ).toBe(403);
    const annsId = (
      (await (
        await api(
          teacher,
          `/${classId}/assignments/ps1/submissions?student=${ann}`
        )
      ).json()) as {
        submissions: Array<{ id: string }>;
      }
    ).submissions[0].id;
    expect((await asBen(`/assignments/ps1/submissions/${annsId}`)).status).toBe(
      404
    );
  });

  test("a student cannot submit as another, list everyone's work or release", async () => {
    const spoof = await sh(ben, `nbgrader submit ps1 --student=${ann}`);
    expect(spoof.exitCode).not.toBe(0);
    expect(spoof.output).toContain('only as yourself');
    const inbound = await sh(ben, 'nbgrader list --inbound');
    expect(inbound.output).not.toContain(ann);
    const release = await sh(
      ben,
      `mkdir -p release/ps9 && cp ${classId}/ps1/ps1.ipynb release/ps9/ && nbgrader release_assignment ps9 --course ${classId}`
    );
    expect(release.exitCode).not.toBe(0);
    const submissions = (await (
      await api(teacher, `/${classId}/assignments/ps1/submissions`)
    ).json()) as { submissions: Array<{ student: string }> };
    expect(submissions.submissions.map(s => s.student).sort()).toEqual(
      [ann, ben].sort()
    );
  });

  test('the teacher collects, autogrades and releases feedback; each student fetches only their own', async () => {
    await ok(teacher, 'nbgrader collect ps1', courseRoot);
    expect(await ok(teacher, `ls submitted`, courseRoot)).toEqual(
      expect.stringContaining(ann)
    );
    await ok(teacher, 'nbgrader autograde ps1', courseRoot);
    await ok(teacher, 'nbgrader generate_feedback ps1', courseRoot);
    await ok(teacher, 'nbgrader release_feedback ps1', courseRoot);

    // nbgrader's feedback heads each notebook with its score, e.g. `ps1 (Score: 1.0 / 1.0)`.
    for (const [user, score] of [
      [ann, 'ps1 (Score: 1.0 / 1.0)'],
      [ben, 'ps1 (Score: 0.0 / 1.0)']
    ]) {
      await ok(user, 'nbgrader fetch_feedback ps1');
      const html = await ok(user, `cat ${classId}/ps1/feedback/*/ps1.html`);
      expect(html).toContain(score);
    }
    const annEnv = await serverEnvironment(ann);
    const feedback = await fetch(
      `${annEnv.ENVHUB_SERVICE_URL}api/classes/${classId}/assignments/ps1/feedback`,
      { headers: { Authorization: `token ${annEnv.JUPYTERHUB_API_TOKEN}` } }
    );
    const listed = (await feedback.json()) as {
      feedback: Array<{ student: string }>;
    };
    expect(listed.feedback.map(f => f.student)).toEqual([ann]);
  });
});
