import { jest } from '@jest/globals';
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

// A private repository on a forge (git's smart HTTP on 127.0.0.1, answering only a token) launched
// against the real Hub + envhub + Docker engine: with the launching user's stored credential only,
// and the token is found nowhere afterwards: not in the image's history or layers, not in the
// repository's git configuration in the image, not in the build log or the launch events.
jest.setTimeout(600_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const owner = `priv-${stamp}`;
const other = `privother-${stamp}`;
const TOKEN = `forge-token-${stamp}-9f8e7d`;
let ownerToken: string;
let otherToken: string;
let adminToken: string;
let git: GitServer;
let repo: string;
let host: string;

beforeAll(async () => {
  [ownerToken, otherToken, adminToken] = await Promise.all([
    tokenFor(owner),
    tokenFor(other),
    tokenFor('admin')
  ]);
  git = await GitServer.start('127.0.0.1', {
    smart: true,
    credential: { username: owner, token: TOKEN }
  });
  await git.commit('thesis', {
    'requirements.txt': '',
    'README.md': '# A private thesis\n'
  });
  repo = git.url('thesis');
  host = new URL(repo).host;
});

afterAll(async () => {
  await envhubApi(ownerToken, `/servers/${owner}/thesis`, { method: 'DELETE' });
  await envhubApi(ownerToken, `/servers/${owner}/pusher`, { method: 'DELETE' });
  for (const user of [owner, other])
    await hubApi(adminToken, `/users/${user}`, { method: 'DELETE' });
  await git.stop();
});

test('without a credential the launch is refused and names the host to store one for', async () => {
  const { status, body } = await readEventStream(
    buildUrl(repo, 'main', { name: 'thesis' }),
    ownerToken
  );
  expect(status).toBe(403);
  expect(JSON.parse(body)).toMatchObject({
    code: 'no_credential',
    message: expect.stringContaining(`store your token for ${host}`)
  });
});

test('with the stored credential it builds and starts, and the token is nowhere to be found', async () => {
  const stored = await envhubApi(ownerToken, `/credentials/${host}`, {
    method: 'PUT',
    body: JSON.stringify({ username: owner, token: TOKEN })
  });
  expect(stored.status).toBe(200);
  const { events, body } = await readEventStream(
    buildUrl(repo, 'main', { name: 'thesis' }),
    ownerToken
  );
  expect(events.at(-1)).toMatchObject({ phase: 'ready' });
  expect(body).not.toContain(TOKEN);

  const server = (await (
    await envhubApi(ownerToken, `/servers/${owner}/thesis`)
  ).json()) as { image: string; buildId: string };
  const build = (await (
    await envhubApi(ownerToken, `/builds/${server.buildId}`)
  ).json()) as { log: string };
  expect(build.log).toContain('fetching');
  expect(build.log).not.toContain(TOKEN);

  const history = await docker.getImage(server.image).history();
  expect(JSON.stringify(history)).not.toContain(TOKEN);
  // Every byte of every layer.
  const saved = await docker.getImage(server.image).get();
  const chunks: Buffer[] = [];
  for await (const chunk of saved as AsyncIterable<Buffer>) chunks.push(chunk);
  const tarball = Buffer.concat(chunks);
  expect(tarball.length).toBeGreaterThan(1_000_000);
  expect(tarball.includes(Buffer.from(TOKEN))).toBe(false);
  expect(
    tarball.includes(
      Buffer.from(Buffer.from(`${owner}:${TOKEN}`).toString('base64'))
    )
  ).toBe(false);

  const container = `${namePrefix}-${escapeName(owner)}--thesis`;
  const inside = await execStatus(container, [
    'sh',
    '-c',
    'cat /home/jovyan/README.md; git -C /home/jovyan config --list 2>/dev/null; env'
  ]);
  expect(inside.output).toContain('# A private thesis');
  expect(inside.output).not.toContain(TOKEN);

  const listed = (await (
    await envhubApi(ownerToken, '/credentials')
  ).json()) as {
    credentials: Array<{ host: string; lastUsedAt: string | null }>;
  };
  expect(listed.credentials).toEqual([
    expect.objectContaining({ host, lastUsedAt: expect.any(String) })
  ]);
});

test('another user cannot launch it: the image is started only for those who can read the repository', async () => {
  const { status, body } = await readEventStream(
    buildUrl(repo, 'main', { name: 'thesis' }),
    otherToken
  );
  expect(status).toBe(403);
  expect(JSON.parse(body).code).toBe('no_credential');
});

test('its server cannot be made public', async () => {
  const response = await envhubApi(
    ownerToken,
    `/servers/${owner}/thesis/public`,
    {
      method: 'PUT',
      body: JSON.stringify({ public: true })
    }
  );
  expect(response.status).toBe(422);
  expect(((await response.json()) as { code: string }).code).toBe(
    'private_repository'
  );
});

describe('credentials passed into a server', () => {
  let bridged: GitServer;
  let bridgedHost: string;

  beforeAll(async () => {
    // Servers reach repositories on the Docker bridge, not on the host's loopback.
    bridged = await GitServer.start(process.env.ENVHUB_TEST_BRIDGE_IP, {
      smart: true,
      credential: { username: owner, token: TOKEN }
    });
    await bridged.commit('notes', { 'notes.md': 'private notes\n' });
    bridgedHost = new URL(bridged.url('notes')).host;
    await envhubApi(ownerToken, `/credentials/${bridgedHost}`, {
      method: 'PUT',
      body: JSON.stringify({ username: owner, token: TOKEN })
    });
  });
  afterAll(() => bridged.stop());

  const inServer = (name: string, command: string) =>
    execStatus(`${namePrefix}-${escapeName(owner)}--${name}`, [
      'sh',
      '-c',
      `GIT_TERMINAL_PROMPT=0 ${command}`
    ]);

  test("with credentials=1 the owner's credentials are in /run/envhub/credentials.json, for jovyan only, and git clones and pushes with them without a prompt", async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'pusher', credentials: '1' }),
      ownerToken
    );
    expect(events.at(-1)).toMatchObject({ phase: 'ready' });
    const file = await inServer(
      'pusher',
      'stat -c "%U %a" /run/envhub/credentials.json && cat /run/envhub/credentials.json'
    );
    expect(file.exitCode).toBe(0);
    const [owned, json] = file.output.split('\n');
    expect(owned).toBe('jovyan 600');
    expect(JSON.parse(json)).toEqual({
      [host]: { username: owner, token: TOKEN },
      [bridgedHost]: { username: owner, token: TOKEN }
    });
    const cloned = await inServer(
      'pusher',
      `git clone -q ${bridged.url('notes')} /tmp/notes && cat /tmp/notes/notes.md`
    );
    expect(cloned).toMatchObject({ exitCode: 0, output: 'private notes\n' });
    const pushed = await inServer(
      'pusher',
      'cd /tmp/notes && git -c user.name=Ada -c user.email=ada@example.org commit -q --allow-empty -m "pushed from the server" && git push -q origin main'
    );
    expect(pushed).toMatchObject({ exitCode: 0 });
    expect(bridged.lastCommitMessage('notes')).toBe('pushed from the server');
  });

  test('without it the server holds no secret of theirs, and git cannot read the repository', async () => {
    const file = await inServer('thesis', 'ls -A /run/envhub; env');
    expect(file.output).not.toContain('credentials.json');
    expect(file.output).not.toContain(TOKEN);
    const cloned = await inServer(
      'thesis',
      `git clone -q ${bridged.url('notes')} /tmp/notes`
    );
    expect(cloned.exitCode).not.toBe(0);
  });
});
