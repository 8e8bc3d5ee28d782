import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { exec } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';

// Course materials against the real Hub + envhub + Docker engine: pulled inside the server with
// nbgitpuller's merge rules at every launch, reported by envhub's server extension.
jest.setTimeout(300_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const user = `mat-${stamp}`;
let token: string;
let envGit: GitServer;
let courseGit: GitServer;

const container = () => `${namePrefix}-${escapeName(user)}--class`;
const home = (path: string) => `/home/jovyan/${path}`;
const read = (path: string) => exec(container(), ['cat', home(path)]);
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

const launch = (query: Record<string, string> = {}) =>
  readEventStream(
    buildUrl(envGit.url('env'), 'main', {
      name: 'class',
      materials: `${courseGit.url('course')}#path=course`,
      urlpath: 'lab/tree/course/week1.ipynb',
      ...query
    }),
    token
  );

/** The server extension's report, as the lab panel reads it. */
async function materials(): Promise<
  Array<{ state: string; conflicts: string[]; changed: string[]; path: string }>
> {
  const response = await fetch(
    `${hubUrl}/user/${user}/class/envhub/api/materials`,
    {
      headers: { Authorization: `token ${token}` }
    }
  );
  expect(response.status).toBe(200);
  return ((await response.json()) as { materials: never[] }).materials;
}

beforeAll(async () => {
  const bridge = process.env.ENVHUB_TEST_BRIDGE_IP;
  if (!bridge)
    throw new Error(
      'ENVHUB_TEST_BRIDGE_IP is not set: run this through deploy/test.sh'
    );
  token = await tokenFor(user);
  envGit = await GitServer.start();
  // Servers clone shallowly, as nbgitpuller does, which needs git's smart HTTP protocol.
  courseGit = await GitServer.start(bridge, { smart: true });
  await envGit.commit('env', { 'requirements.txt': '' });
  await courseGit.commit('course', {
    'week1.ipynb': notebook('Week 1: the teacher wrote this'),
    'data.txt': 'one\ntwo\n'
  });
});

afterAll(async () => {
  await fetch(`${hubUrl}/services/envhub/api/servers/${user}/class`, {
    method: 'DELETE',
    headers: { Authorization: `token ${token}` }
  });
  await hubApi(await tokenFor('admin'), `/users/${user}`, { method: 'DELETE' });
  await envGit.stop();
  await courseGit.stop();
});

describe('course materials', () => {
  test('the first launch clones them before ready, and the link opens the notebook', async () => {
    const { events } = await launch();
    const ready = events[events.length - 1];
    expect(ready.phase).toBe('ready');
    expect(ready.url).toContain('/lab/tree/course/week1.ipynb');
    expect(events.map(e => e.message ?? '').join('')).toContain(
      'Pulling course materials'
    );
    expect(await read('course/week1.ipynb')).toContain(
      'the teacher wrote this'
    );
    expect(await materials()).toEqual([
      expect.objectContaining({ path: 'course', state: 'up to date' })
    ]);
  });

  test("a relaunch keeps the student's edit, brings new files, restores deleted ones and names the conflict", async () => {
    await exec(container(), [
      'sh',
      '-c',
      `sed -i 's/the teacher wrote this/my own notes/' ${home('course/week1.ipynb')} && rm ${home('course/data.txt')}`
    ]);
    await courseGit.commit('course', {
      'week1.ipynb': notebook('Week 1: the teacher corrected this'),
      'week2.ipynb': notebook('Week 2')
    });
    const { events } = await launch();
    expect(events[events.length - 1].phase).toBe('ready');
    expect(await read('course/week1.ipynb')).toContain('my own notes');
    expect(await read('course/week2.ipynb')).toContain('Week 2');
    expect(await read('course/data.txt')).toBe('one\ntwo\n');
    const [entry] = await materials();
    expect(entry.conflicts).toEqual(['week1.ipynb']);
  });

  test('diverged histories are reported, and the server opens anyway', async () => {
    await courseGit.rewrite('course', {
      'week1.ipynb': notebook('Week 1, rewritten')
    });
    const { events } = await launch();
    expect(events[events.length - 1].phase).toBe('ready');
    expect(events.map(e => e.message ?? '').join('')).toMatch(
      /could not be pulled/
    );
    expect((await materials())[0].state).toBe('diverged');
    // The student's work is still there.
    expect(await read('course/week1.ipynb')).toContain('my own notes');
  });

  test('materials added to a running server are pulled at the next launch, without a rebuild or restart', async () => {
    await courseGit.commit('extra', { 'notes.md': '# extra reading\n' });
    const before = (await docker.getContainer(container()).inspect()).Id;
    // The same link with a second materials entry: only what is not environment changed.
    const query = new URLSearchParams({
      name: 'class',
      urlpath: 'lab/tree/course/week1.ipynb'
    });
    query.append('materials', `${courseGit.url('course')}#path=course`);
    query.append('materials', `${courseGit.url('extra')}#path=extra`);
    const { events } = await readEventStream(
      `${buildUrl(envGit.url('env'), 'main')}?${query}`,
      token
    );
    expect(events[events.length - 1].phase).toBe('ready');
    expect(events.map(e => e.phase)).not.toContain('building');
    expect(events.map(e => e.message ?? '').join('')).not.toContain(
      'Stopping server'
    );
    expect((await docker.getContainer(container()).inspect()).Id).toBe(before);
    expect(await read('extra/notes.md')).toBe('# extra reading\n');
  });

  test('a Binder + nbgitpuller link means the same: the materials pulled, the notebook opened', async () => {
    const inner = new URLSearchParams({
      repo: courseGit.url('course'),
      branch: 'main',
      targetPath: 'binder-course',
      urlpath: 'lab/tree/binder-course/week1.ipynb'
    });
    const { events } = await readEventStream(
      buildUrl(envGit.url('env'), 'main', {
        name: 'binderlink',
        urlpath: `git-pull?${inner}`
      }),
      token
    );
    const ready = events[events.length - 1];
    expect(ready.phase).toBe('ready');
    expect(ready.url).toContain(
      '/binderlink/lab/tree/binder-course/week1.ipynb'
    );
    const other = `${namePrefix}-${escapeName(user)}--binderlink`;
    expect(
      await exec(other, ['cat', home('binder-course/week1.ipynb')])
    ).toContain('Week 1');
    await fetch(`${hubUrl}/services/envhub/api/servers/${user}/binderlink`, {
      method: 'DELETE',
      headers: { Authorization: `token ${token}` }
    });
  });

  test('a materials folder outside the home is refused before anything starts', async () => {
    const { status, body } = await readEventStream(
      buildUrl(envGit.url('env'), 'main', {
        name: 'hostile',
        materials: `${courseGit.url('course')}#path=../../etc`
      }),
      token
    );
    expect(status).toBe(400);
    expect(body).toContain('materials.0.path');
    expect((await hubApi(token, `/users/${user}/servers/hostile`)).status).toBe(
      404
    );
  });
});
