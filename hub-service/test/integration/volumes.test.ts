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

// Shared volumes against the real JupyterHub + envhub + Docker engine that deploy/test.sh starts.
jest.setTimeout(240_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const owner = `vo-${stamp}`;
const member = `vm-${stamp}`;
const outsider = `vx-${stamp}`;
const group = `vg-${stamp}`;
const volume = `data-${stamp}`;
const tokens: Record<string, string> = {};
let git: GitServer;
let repo: string;

const containerName = (user: string, server: string) =>
  `${namePrefix}-${escapeName(user)}--${escapeName(server)}`;
const last = (events: Array<{ phase: string }>) => events[events.length - 1];

const api = (user: string, path: string, init: RequestInit = {}) =>
  fetch(`${hubUrl}/services/envhub/api${path}`, {
    ...init,
    headers: {
      Authorization: `token ${tokens[user]}`,
      'Content-Type': 'application/json',
      ...init.headers
    }
  });

const mountsOf = async (user: string, server: string) =>
  (
    await docker.getContainer(containerName(user, server)).inspect()
  ).Mounts.filter(m => m.Destination !== '/home/jovyan').map(m => ({
    name: m.Name,
    target: m.Destination,
    rw: m.RW
  }));

beforeAll(async () => {
  for (const user of [owner, member, outsider])
    tokens[user] = await tokenFor(user);
  const admin = await tokenFor('admin');
  expect(
    (
      await hubApi(admin, `/groups/${group}`, {
        method: 'POST',
        body: JSON.stringify({ users: [member] })
      })
    ).status
  ).toBe(201);
  git = await GitServer.start();
  repo = git.url('volumes');
  // The image has files where the owner mounts the volume: they must not be copied into it.
  await git.commit('volumes', {
    'README.md': '# volumes\n',
    'data/from-image.txt': 'image content\n'
  });
});

afterAll(async () => {
  await hubApi(await tokenFor('admin'), `/groups/${group}`, {
    method: 'DELETE'
  });
  await git.stop();
});

describe('a shared volume', () => {
  test('is created empty, owned by its creator and writable by jovyan; its name is the hub’s', async () => {
    const created = await api(owner, '/volumes', {
      method: 'POST',
      body: JSON.stringify({ name: volume })
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      name: volume,
      owner,
      access: 'owner',
      canManage: true,
      members: { users: [], groups: [] },
      mountedBy: []
    });
    const inspected = await docker
      .getVolume(`${namePrefix}-volume-${volume}`)
      .inspect();
    expect(inspected.Labels).toMatchObject({
      'org.envhub.volume': volume,
      'org.envhub.owner': owner
    });

    const again = await api(member, '/volumes', {
      method: 'POST',
      body: JSON.stringify({ name: volume })
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { message: string }).message).toContain(
      `a volume named "${volume}" already exists`
    );
    const bad = await api(owner, '/volumes', {
      method: 'POST',
      body: JSON.stringify({ name: 'Data/..' })
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain(
      'lower-case letters'
    );
  });

  test('mounts into its owner’s server, where jovyan writes to it', async () => {
    const { status, events } = await readEventStream(
      buildUrl(repo, 'main', {
        name: 'own',
        mount: `${volume}:/home/jovyan/data`
      }),
      tokens[owner]
    );
    expect(status).toBe(200);
    expect(last(events).phase).toBe('ready');
    expect(await mountsOf(owner, 'own')).toEqual([
      {
        name: `${namePrefix}-volume-${volume}`,
        target: '/home/jovyan/data',
        rw: true
      }
    ]);
    expect(
      await exec(containerName(owner, 'own'), ['ls', '-A', '/home/jovyan/data'])
    ).toBe('');
    expect(
      await exec(containerName(owner, 'own'), [
        'sh',
        '-c',
        'echo from-owner > /home/jovyan/data/shared.txt && whoami'
      ])
    ).toBe('jovyan\n');
    const view = (await (await api(owner, `/volumes/${volume}`)).json()) as {
      mountedBy: string[];
    };
    expect(view.mountedBy).toEqual(['own']);
  });

  test('is refused to a user who is not a member, before anything is created', async () => {
    const { status, body } = await readEventStream(
      buildUrl(repo, 'main', { name: 'theirs', mount: `${volume}:/mnt/data` }),
      tokens[outsider]
    );
    expect(status).toBe(403);
    expect(JSON.parse(body).message).toBe(
      `mounts.0.source: ${outsider} may not mount volume "${volume}" (ask its owner, ${owner}, to add them as a member)`
    );
    expect(
      (await hubApi(tokens[outsider], `/users/${outsider}/servers/theirs`))
        .status
    ).toBe(404);
    expect(
      (
        (await (await api(outsider, '/servers')).json()) as {
          servers: unknown[];
        }
      ).servers
    ).toEqual([]);
    expect((await api(outsider, `/volumes/${volume}`)).status).toBe(404);

    const missing = await readEventStream(
      buildUrl(repo, 'main', {
        name: 'theirs',
        mount: `no-such-${stamp}:/mnt/data`
      }),
      tokens[outsider]
    );
    expect(missing.status).toBe(422);
    expect(JSON.parse(missing.body).message).toContain(
      `there is no volume "no-such-${stamp}" (create it first)`
    );
  });

  test('only its owner changes its members, and only to users and groups the Hub knows', async () => {
    const byMember = await api(member, `/volumes/${volume}/members`, {
      method: 'PUT',
      body: JSON.stringify({ users: [{ name: member }] })
    });
    expect(byMember.status).toBe(404);
    const unknown = await api(owner, `/volumes/${volume}/members`, {
      method: 'PUT',
      body: JSON.stringify({ users: [{ name: `nobody-${stamp}` }] })
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain(
      `no user named "nobody-${stamp}"`
    );
    const malformed = await api(owner, `/volumes/${volume}/members`, {
      method: 'PUT',
      body: JSON.stringify({ users: [{ name: member, readOnly: 'yes' }] })
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { message: string }).message).toContain(
      'members.users.0.readOnly must be boolean'
    );

    const set = await api(owner, `/volumes/${volume}/members`, {
      method: 'PUT',
      body: JSON.stringify({ groups: [{ name: group, readOnly: true }] })
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({
      members: { users: [], groups: [{ name: group, readOnly: true }] }
    });
    const listed = (await (await api(member, '/volumes')).json()) as {
      volumes: Array<{ name: string; access: string; canManage: boolean }>;
    };
    expect(listed.volumes).toEqual([
      expect.objectContaining({
        name: volume,
        access: 'read',
        canManage: false
      })
    ]);
  });

  test('a read-only member’s server sees the owner’s files but cannot change them', async () => {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'reader', mount: `${volume}:/mnt/data` }),
      tokens[member]
    );
    expect(last(events).phase).toBe('ready');
    expect(await mountsOf(member, 'reader')).toEqual([
      { name: `${namePrefix}-volume-${volume}`, target: '/mnt/data', rw: false }
    ]);
    // The server's view says so too, although the spec asked for read-write.
    const view = (await (
      await api(member, `/servers/${member}/reader`)
    ).json()) as { spec: { mounts: unknown[] }; mounts: unknown[] };
    expect(view.spec.mounts).toEqual([
      { source: volume, target: '/mnt/data', readOnly: false }
    ]);
    expect(view.mounts).toEqual([
      {
        source: volume,
        target: '/mnt/data',
        readOnly: true,
        webdav: null,
        problem: null
      }
    ]);
    expect(
      await exec(containerName(member, 'reader'), [
        'cat',
        '/mnt/data/shared.txt'
      ])
    ).toBe('from-owner\n');
    expect(
      await exec(containerName(member, 'reader'), [
        'sh',
        '-c',
        'echo x > /mnt/data/mine.txt 2>&1 || echo refused'
      ])
    ).toContain('Read-only file system');
  });

  test('changed mounts are saved at once and applied by a restart, the home kept', async () => {
    await exec(containerName(owner, 'own'), [
      'sh',
      '-c',
      'echo kept > /home/jovyan/notes.txt'
    ]);
    const second = `more-${stamp}`;
    expect(
      (
        await api(owner, '/volumes', {
          method: 'POST',
          body: JSON.stringify({ name: second })
        })
      ).status
    ).toBe(201);
    const mounts = [
      { source: volume, target: '/mnt/data', readOnly: true },
      { source: second, target: '/home/jovyan/more' }
    ];
    const bad = await api(owner, `/servers/${owner}/own/mounts`, {
      method: 'PUT',
      body: JSON.stringify([{ source: volume, target: '/etc' }])
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain(
      'mounts.0.target does not have the expected form'
    );
    // Nothing clears the mounts by accident: an empty or non-JSON body is refused.
    const empty = await api(owner, `/servers/${owner}/own/mounts`, {
      method: 'PUT'
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toContain(
      'expected a JSON array'
    );
    const text = await api(owner, `/servers/${owner}/own/mounts`, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body: '[]'
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as { message: string }).message).toContain(
      'send application/json'
    );
    const forbidden = await api(member, `/servers/${member}/reader/mounts`, {
      method: 'PUT',
      body: JSON.stringify([{ source: second, target: '/mnt/x' }])
    });
    expect(forbidden.status).toBe(403);

    const put = await api(owner, `/servers/${owner}/own/mounts`, {
      method: 'PUT',
      body: JSON.stringify(mounts)
    });
    expect(put.status).toBe(200);
    const view = (await put.json()) as {
      spec: { mounts: unknown[] };
      mountsPending: boolean;
      launchUrl: string;
    };
    expect(view.spec.mounts).toEqual([
      mounts[0],
      { ...mounts[1], readOnly: false }
    ]);
    expect(view.mountsPending).toBe(true);
    expect(view.launchUrl).toContain(
      `&mount=${volume}:/mnt/data:ro&mount=${second}:/home/jovyan/more`
    );
    // Still the old mounts until the server restarts.
    expect((await mountsOf(owner, 'own')).map(m => m.target)).toEqual([
      '/home/jovyan/data'
    ]);

    const query = new URLSearchParams([
      ['name', 'own'],
      ['mount', `${volume}:/mnt/data:ro`],
      ['mount', `${second}:/home/jovyan/more`],
      ['restart', '1']
    ]);
    const restarted = await readEventStream(
      `${buildUrl(repo, 'main')}?${query}`,
      tokens[owner]
    );
    expect(last(restarted.events).phase).toBe('ready');
    expect(restarted.events.map(e => e.message).join('')).toContain(
      'Stopping server "own" to apply the change'
    );
    expect(
      (await mountsOf(owner, 'own')).sort((a, b) =>
        a.target.localeCompare(b.target)
      )
    ).toEqual([
      {
        name: `${namePrefix}-volume-${second}`,
        target: '/home/jovyan/more',
        rw: true
      },
      { name: `${namePrefix}-volume-${volume}`, target: '/mnt/data', rw: false }
    ]);
    expect(
      await exec(containerName(owner, 'own'), [
        'cat',
        '/home/jovyan/notes.txt',
        '/mnt/data/shared.txt'
      ])
    ).toBe('kept\nfrom-owner\n');
    expect(
      (
        (await (await api(owner, `/servers/${owner}/own`)).json()) as {
          mountsPending: boolean;
        }
      ).mountsPending
    ).toBe(false);
  });

  test('is not deleted while a running server mounts it; deleting it removes its files', async () => {
    const busy = await api(owner, `/volumes/${volume}`, { method: 'DELETE' });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { message: string }).message).toContain(
      'mounted by a running server'
    );
    expect(
      (await api(member, `/volumes/${volume}`, { method: 'DELETE' })).status
    ).toBe(403);

    for (const [user, server] of [
      [owner, 'own'],
      [member, 'reader']
    ]) {
      expect(
        (await api(user, `/servers/${user}/${server}`, { method: 'DELETE' }))
          .status
      ).toBe(204);
    }
    expect(
      (await api(owner, `/volumes/${volume}`, { method: 'DELETE' })).status
    ).toBe(204);
    await expect(
      docker.getVolume(`${namePrefix}-volume-${volume}`).inspect()
    ).rejects.toMatchObject({ statusCode: 404 });
    expect((await api(owner, `/volumes/${volume}`)).status).toBe(404);
  });

  test('one user owns at most the site’s volumesPerUser (3 on the test hub)', async () => {
    // The owner still has `more-…`; two more reach the cap.
    for (const name of [`cap1-${stamp}`, `cap2-${stamp}`]) {
      expect(
        (
          await api(owner, '/volumes', {
            method: 'POST',
            body: JSON.stringify({ name })
          })
        ).status
      ).toBe(201);
    }
    const over = await api(owner, '/volumes', {
      method: 'POST',
      body: JSON.stringify({ name: `cap3-${stamp}` })
    });
    expect(over.status).toBe(409);
    expect(((await over.json()) as { message: string }).message).toBe(
      'you own 3 volumes and this hub allows 3; delete one first'
    );
    await expect(
      docker.getVolume(`${namePrefix}-volume-cap3-${stamp}`).inspect()
    ).rejects.toMatchObject({ statusCode: 404 });
  });
});
