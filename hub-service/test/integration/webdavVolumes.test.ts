import { jest } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { execStatus } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  envhubApi,
  hubApi,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';
import { WebdavServer } from '../support/webdavServer.js';

// A WebDAV folder (a real WebDAV server on 127.0.0.1 checking app passwords, as a Nextcloud would)
// mounted through rclone's volume plugin, which deploy/serve.sh runs next to dockerd, into two
// users' servers against the real Hub + envhub + Docker engine: each reaches it with their own
// credential and their own rights, and what a server writes lands on the WebDAV server.
jest.setTimeout(600_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const owner = `dav-${stamp}`;
const colleague = `davro-${stamp}`;
const volume = `cloud-${stamp}`;
const PASSWORDS = {
  [owner]: `app-password-${stamp}-owner`,
  [colleague]: `app-password-${stamp}-colleague`
};
const tokens: Record<string, string> = {};
let dav: WebdavServer;
let git: GitServer;
let repo: string;
let host: string;

/** What `read` gives once it stops throwing, within 20 s. */
async function eventually<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }
}

const container = (user: string) => `${namePrefix}-${escapeName(user)}--notes`;
const inServer = (user: string, command: string) =>
  execStatus(container(user), ['sh', '-c', command]);
const launch = (user: string) =>
  readEventStream(
    buildUrl(repo, 'main', { name: 'notes', mount: `${volume}:/mnt/cloud` }),
    tokens[user]
  );
const storeCredential = (user: string, password: string) =>
  envhubApi(tokens[user], `/credentials/${host}`, {
    method: 'PUT',
    body: JSON.stringify({ username: user, token: password })
  });

beforeAll(async () => {
  for (const user of [owner, colleague, 'admin'])
    tokens[user] = await tokenFor(user);
  dav = await WebdavServer.start({
    [owner]: { password: PASSWORDS[owner], readOnly: false },
    [colleague]: { password: PASSWORDS[colleague], readOnly: true }
  });
  host = new URL(dav.origin).host;
  await writeFile(join(dav.root, 'syllabus.md'), '# Syllabus\n');
  git = await GitServer.start();
  await git.commit('notes', {
    'requirements.txt': '',
    'README.md': '# notes\n'
  });
  repo = git.url('notes');
});

afterAll(async () => {
  for (const user of [owner, colleague])
    await envhubApi(tokens[user], `/servers/${user}/notes`, {
      method: 'DELETE'
    });
  await envhubApi(tokens[owner], `/volumes/${volume}`, { method: 'DELETE' });
  for (const user of [owner, colleague])
    await hubApi(tokens.admin, `/users/${user}`, { method: 'DELETE' });
  await git.stop();
  await dav.stop();
});

test('a WebDAV volume is created from its URL and shared like any volume', async () => {
  const created = await envhubApi(tokens[owner], '/volumes', {
    method: 'POST',
    body: JSON.stringify({ name: volume, webdav: `${dav.origin}/` })
  });
  expect(created.status).toBe(201);
  expect(await created.json()).toMatchObject({ webdav: `${dav.origin}/` });
  const members = await envhubApi(tokens[owner], `/volumes/${volume}/members`, {
    method: 'PUT',
    body: JSON.stringify({
      users: [{ name: colleague, readOnly: false }],
      groups: []
    })
  });
  expect(members.status).toBe(200);
});

test('without a credential for its host the launch is refused, naming the host and what to do', async () => {
  const { status, body } = await launch(owner);
  expect(status).toBe(422);
  expect(JSON.parse(body)).toMatchObject({
    code: 'no_credential',
    message: expect.stringContaining(`PUT api/credentials/${host}`)
  });
});

test('a credential the WebDAV server refuses fails the start with the documented message', async () => {
  expect((await storeCredential(owner, 'a-revoked-app-password')).status).toBe(
    200
  );
  const { events, body } = await launch(owner);
  expect(events.at(-1)).toMatchObject({
    phase: 'failed',
    message: expect.stringContaining(`${host} refused your credential`)
  });
  expect(body).not.toContain('a-revoked-app-password');
});

test("the owner finds the folder's files at /mnt/cloud and writes reach the WebDAV server", async () => {
  expect((await storeCredential(owner, PASSWORDS[owner])).status).toBe(200);
  const { events, body } = await launch(owner);
  expect(events.at(-1)).toMatchObject({ phase: 'ready' });
  expect(body).not.toContain(PASSWORDS[owner]);

  const listed = await inServer(
    owner,
    'id -un && cat /mnt/cloud/syllabus.md && echo "week 1" > /mnt/cloud/week1.md'
  );
  expect(listed).toMatchObject({
    exitCode: 0,
    output: 'jovyan\n# Syllabus\n'
  });
  // rclone uploads a file once it is closed, in the background.
  expect(
    await eventually(() => readFile(join(dav.root, 'week1.md'), 'utf8'))
  ).toBe('week 1\n');
  // The container holds no secret of the owner's and got no privilege for the mount.
  const inspected = await docker.getContainer(container(owner)).inspect();
  expect(JSON.stringify(inspected)).not.toContain(PASSWORDS[owner]);
  expect(inspected.HostConfig.Privileged).toBe(false);
  expect(inspected.HostConfig.Devices ?? []).toEqual([]);
  const env = await inServer(owner, 'env; cat /proc/mounts');
  expect(env.output).not.toContain(PASSWORDS[owner]);
});

test('a colleague whose WebDAV account may only read sees the same folder, read-only', async () => {
  expect((await storeCredential(colleague, PASSWORDS[colleague])).status).toBe(
    200
  );
  const { events } = await launch(colleague);
  expect(events.at(-1)).toMatchObject({ phase: 'ready' });
  const read = await inServer(colleague, 'cat /mnt/cloud/week1.md');
  expect(read).toMatchObject({ exitCode: 0, output: 'week 1\n' });
  const write = await inServer(
    colleague,
    'echo mine > /mnt/cloud/colleague.md'
  );
  expect(write.exitCode).not.toBe(0);
  expect(write.output).toMatch(/read-only file system/i);
  const mount = (
    await docker.getContainer(container(colleague)).inspect()
  ).Mounts.find(m => m.Destination === '/mnt/cloud');
  expect(mount).toMatchObject({
    Name: `${namePrefix}-webdav-${volume}--${escapeName(colleague)}`,
    RW: false
  });
});

test('deleting the volume is refused while servers mount it, then removes every user’s Docker volume', async () => {
  const busy = await envhubApi(tokens[owner], `/volumes/${volume}`, {
    method: 'DELETE'
  });
  expect(busy.status).toBe(409);
  for (const user of [owner, colleague])
    expect(
      (
        await envhubApi(tokens[user], `/servers/${user}/notes`, {
          method: 'DELETE'
        })
      ).status
    ).toBe(204);
  const deleted = await envhubApi(tokens[owner], `/volumes/${volume}`, {
    method: 'DELETE'
  });
  expect(deleted.status).toBe(204);
  const { Volumes: left } = await docker.listVolumes({
    filters: JSON.stringify({ label: [`org.envhub.webdav=${volume}`] })
  });
  expect(left ?? []).toEqual([]);
  // The files stay on the WebDAV server: the volume was only a way to reach them.
  expect(await readFile(join(dav.root, 'syllabus.md'), 'utf8')).toBe(
    '# Syllabus\n'
  );
});
