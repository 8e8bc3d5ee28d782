import { jest } from '@jest/globals';
import Docker from 'dockerode';
import {
  escapeName,
  homeVolumeName,
  sharedVolumeName
} from '../../src/naming.js';
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

// What a spawned server gets, and who can spawn one: against the real JupyterHub + envhub + Docker
// engine that deploy/test.sh starts.
jest.setTimeout(300_000);

const docker = new Docker();
const user = `spn-${Date.now().toString(36)}`;
let token: string;
let admin: string;
let git: GitServer;
let repo: string;

// DockerSpawner's default template, `{prefix}-{username}--{servername}`, with the names escaped.
const containerName = (server: string) =>
  server
    ? `${namePrefix}-${escapeName(user)}--${escapeName(server)}`
    : `${namePrefix}-${escapeName(user)}`;
const homeVolume = (server: string) => homeVolumeName(namePrefix, user, server);
const service = (path: string, init: RequestInit = {}) =>
  fetch(`${hubUrl}/services/envhub/api${path}`, {
    ...init,
    headers: {
      Authorization: `token ${token}`,
      'Content-Type': 'application/json',
      ...init.headers
    }
  });

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The user's Hub servers, stopped ones included. */
async function hubServers(): Promise<
  Record<
    string,
    {
      ready: boolean;
      stopped: boolean;
      pending: string | null;
      user_options: Record<string, unknown> | null;
    }
  >
> {
  const response = await hubApi(
    admin,
    `/users/${user}?include_stopped_servers=1`
  );
  return ((await response.json()) as { servers: Record<string, never> })
    .servers;
}

/** Waits (briefly) until the Hub no longer lists `server`; returns whether it went. */
async function goneFromHub(server: string): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (!(server in (await hubServers()))) return true;
    await sleep(250);
  }
  return false;
}

const containersNamed = async (name: string) =>
  (
    await docker.listContainers({
      all: true,
      filters: { name: [`^/${name}$`] }
    })
  ).length;
const volumeExists = (name: string) =>
  docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false
    );
const last = <T>(list: T[]) => list[list.length - 1];

beforeAll(async () => {
  [token, admin] = await Promise.all([tokenFor(user), tokenFor('admin')]);
  git = await GitServer.start();
  repo = git.url('spawn-isolation');
  await git.commit('spawn-isolation', { 'README.md': '# spawned\n' });
});

afterAll(async () => {
  for (const server of ['iso', 'kept', 'refused-mount'])
    await service(`/servers/${user}/${server}`, { method: 'DELETE' });
  await service('/volumes/spn-broken', { method: 'DELETE' });
  await docker
    .getVolume(sharedVolumeName(namePrefix, 'spn-broken'))
    .remove()
    .catch(() => undefined);
  await git.stop();
});

describe('a spawned server', () => {
  let inspect: Docker.ContainerInspectInfo;

  test('starts with the least resources this hub allows', async () => {
    const started = Date.now();
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'iso', memory: '256M', cpus: '0.25' }),
      token
    );
    expect(last(events)).toMatchObject({ phase: 'ready' });
    const api = await fetch(`${last(events).url}api/status`, {
      headers: { Authorization: `token ${token}` }
    });
    expect(api.status).toBe(200);
    inspect = await docker.getContainer(containerName('iso')).inspect();
    // Not an assertion: how long a launch at the minima takes here (the build included).
    process.stdout.write(
      `spawnIsolation: a launch at 256M and 0.25 CPU was ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`
    );
  });

  test('may not gain privileges, add capabilities, open raw sockets or start unlimited processes', () => {
    const host = inspect.HostConfig;
    expect(host.Privileged).toBe(false);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.CapDrop).toContain('NET_RAW');
    expect(host.PidsLimit).toBeGreaterThan(0);
  });

  test('gets no swap: memory and swap together are its memory limit', async () => {
    expect(inspect.HostConfig.Memory).toBe(256 * 1024 ** 2);
    expect(inspect.HostConfig.MemorySwap).toBe(inspect.HostConfig.Memory);
    expect(inspect.HostConfig.CpuQuota).toBe(25_000);
    // What the kernel applies (cgroup v1: memory + swap; v2: swap alone).
    const cgroup = await exec(containerName('iso'), [
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo "swap $(cat /sys/fs/cgroup/memory.swap.max)"'
    ]);
    expect(['268435456', 'swap 0']).toContain(cgroup.trim());
  });

  test('publishes its port on 127.0.0.1 only, and has no Docker socket', () => {
    const bindings = Object.values(inspect.NetworkSettings.Ports ?? {}).flatMap(
      list => list ?? []
    );
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) expect(binding.HostIp).toBe('127.0.0.1');
    for (const binding of Object.values(
      inspect.HostConfig.PortBindings ?? {}
    ).flat())
      expect((binding as { HostIp: string }).HostIp).toBe('127.0.0.1');
    const sources = [
      ...(inspect.HostConfig.Binds ?? []).map(b => b.split(':')[0]),
      ...inspect.Mounts.map(m => m.Source ?? '')
    ];
    expect(
      sources.filter(source =>
        /docker\.sock|\/run\/docker|containerd/.test(source)
      )
    ).toEqual([]);
    expect(inspect.Mounts.filter(m => m.Type === 'bind')).toEqual([]);
  });

  test('cannot open a raw socket, as its user or as root', async () => {
    const probe = [
      'python3',
      '-c',
      'import socket\ntry:\n    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n    print("opened")\nexcept PermissionError:\n    print("refused")'
    ];
    expect(await exec(containerName('iso'), probe)).toBe('refused\n');
    const asRoot = await docker
      .getContainer(containerName('iso'))
      .exec({ Cmd: probe, User: '0', AttachStdout: true, AttachStderr: true });
    const chunks: Buffer[] = [];
    const stream = await asRoot.start({});
    await new Promise(resolve => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
    });
    expect(Buffer.concat(chunks).toString('utf8')).toContain('refused');
  });
});

describe('a spawn without a valid launch ticket', () => {
  const refused = (
    response: { status: number },
    body: { message?: string }
  ) => {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(body.message).toMatch(
      /launch .*through envhub|start only through envhub/
    );
  };

  test.each<[string, string, RequestInit]>([
    ['no body', 'direct-a', {}],
    ['an empty body', 'direct-b', { body: '{}' }],
    [
      'a forged ticket',
      'direct-c',
      { body: JSON.stringify({ user_options: { ticket: 'forged' } }) }
    ],
    [
      'an image',
      'direct-d',
      {
        body: JSON.stringify({
          user_options: {
            image: 'envhub-rootfs:bookworm',
            volumes: { '/': '/host' }
          }
        })
      }
    ],
    [
      'user options without the user_options key',
      'direct-e',
      { body: JSON.stringify({ image: 'envhub-rootfs:bookworm' }) }
    ]
  ])(
    '%s: refused, leaving no Hub server, container or volume',
    async (_, server, init) => {
      const response = await hubApi(token, `/users/${user}/servers/${server}`, {
        method: 'POST',
        ...init
      });
      refused(response, (await response.json()) as { message?: string });
      expect(await goneFromHub(server)).toBe(true);
      expect(await containersNamed(containerName(server))).toBe(0);
      expect(await volumeExists(homeVolume(server))).toBe(false);
    }
  );

  test("another server's real ticket, with an admin's start (as the admin page's button does): refused", async () => {
    const ticket = (await hubServers()).iso.user_options?.ticket;
    expect(typeof ticket).toBe('string');
    const response = await hubApi(admin, `/users/${user}/servers/direct-f`, {
      method: 'POST',
      body: JSON.stringify({ user_options: { ticket } })
    });
    refused(response, (await response.json()) as { message?: string });
    const start = await hubApi(admin, `/users/${user}/servers/direct-g`, {
      method: 'POST'
    });
    refused(start, (await start.json()) as { message?: string });
    expect(await goneFromHub('direct-f')).toBe(true);
    expect(await goneFromHub('direct-g')).toBe(true);
    expect(await containersNamed(containerName('direct-f'))).toBe(0);
  });

  test('the default server: refused, and not running', async () => {
    const response = await hubApi(token, `/users/${user}/server`, {
      method: 'POST'
    });
    refused(response, (await response.json()) as { message?: string });
    await sleep(500);
    expect((await hubServers())['']).toMatchObject({
      ready: false,
      pending: null
    });
    expect(await containersNamed(containerName(''))).toBe(0);
    expect(await volumeExists(homeVolume(''))).toBe(false);
  });

  test('a server envhub launched is refused a forged ticket, and keeps its entry, record and home', async () => {
    const stop = await hubApi(token, `/users/${user}/servers/iso`, {
      method: 'DELETE'
    });
    expect([202, 204]).toContain(stop.status);
    for (let i = 0; i < 60 && !(await hubServers()).iso.stopped; i++)
      await sleep(500);
    const response = await hubApi(token, `/users/${user}/servers/iso`, {
      method: 'POST',
      body: JSON.stringify({ user_options: { ticket: 'forged' } })
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { message: string }).message).toBe(
      `no valid launch ticket for ${user}/iso; launch the server through envhub`
    );
    await sleep(1000);
    expect((await hubServers()).iso).toMatchObject({
      ready: false,
      stopped: true
    });
    expect((await service(`/servers/${user}/iso`)).status).toBe(200);
    expect(await volumeExists(homeVolume('iso'))).toBe(true);
    // Launching through envhub still works: the launch carries the server's ticket.
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: 'iso', memory: '256M', cpus: '0.25' }),
      token
    );
    expect(last(events)).toMatchObject({ phase: 'ready' });
  });
});

describe('resources and spawns Docker refuses', () => {
  test('memory below what a server needs is refused before anything starts', async () => {
    const { status, body } = await readEventStream(
      buildUrl(repo, 'main', { name: 'tiny', memory: '1M' }),
      token
    );
    expect(status).toBe(422);
    expect(JSON.parse(body).message).toBe(
      'resources.memory 1M is below the 256M a server needs on this hub; ask for at least 256M'
    );
    expect((await hubApi(token, `/users/${user}/servers/tiny`)).status).toBe(
      404
    );
  });

  describe('a volume Docker cannot mount', () => {
    const volume = sharedVolumeName(namePrefix, 'spn-broken');

    beforeAll(async () => {
      expect(
        (
          await service('/volumes', {
            method: 'POST',
            body: JSON.stringify({ name: 'spn-broken' })
          })
        ).status
      ).toBe(201);
      // Replaced behind envhub's back by a bind of a directory that does not exist: Docker creates
      // the container, then refuses to start it.
      const { Labels } = await docker.getVolume(volume).inspect();
      await docker.getVolume(volume).remove();
      await docker.createVolume({
        Name: volume,
        Labels,
        DriverOpts: {
          type: 'none',
          o: 'bind',
          device: '/nonexistent/envhub-spawn-isolation'
        }
      });
    });

    test("fails a new server's launch naming Docker's reason, and leaves nothing behind", async () => {
      const before = (await (await service('/servers')).json()) as {
        servers: unknown[];
      };
      const { events } = await readEventStream(
        buildUrl(repo, 'main', {
          name: 'refused-mount',
          mount: 'spn-broken:/mnt/data'
        }),
        token
      );
      const failed = last(events);
      expect(failed.phase).toBe('failed');
      expect(failed.message).toMatch(
        /^server "refused-mount" failed to start: .*error while mounting volume.*no such file or directory/
      );
      expect(failed.message).not.toMatch(
        /http\+docker|Server Error|Spawn failed|Internal Server Error/
      );
      expect((await service(`/servers/${user}/refused-mount`)).status).toBe(
        404
      );
      expect(await goneFromHub('refused-mount')).toBe(true);
      expect(await containersNamed(containerName('refused-mount'))).toBe(0);
      expect(await volumeExists(homeVolume('refused-mount'))).toBe(false);
      expect(
        ((await (await service('/servers')).json()) as { servers: unknown[] })
          .servers
      ).toHaveLength(before.servers.length);
    });

    test('fails the restart of an existing server, which keeps its record, entry and home', async () => {
      const first = await readEventStream(
        buildUrl(repo, 'main', { name: 'kept' }),
        token
      );
      expect(last(first.events).phase).toBe('ready');
      // The changed spec (a mount) is applied by restarting the server, which Docker refuses.
      const { events } = await readEventStream(
        buildUrl(repo, 'main', {
          name: 'kept',
          mount: 'spn-broken:/mnt/data',
          update: '1'
        }),
        token
      );
      expect(last(events)).toMatchObject({
        phase: 'failed',
        message: expect.stringMatching(
          /^server "kept" failed to start: .*error while mounting volume/
        )
      });
      expect((await service(`/servers/${user}/kept`)).status).toBe(200);
      expect((await hubServers()).kept).toMatchObject({
        ready: false,
        stopped: true
      });
      expect(await volumeExists(homeVolume('kept'))).toBe(true);
      // The container Docker created but would not start is gone too.
      expect(await containersNamed(containerName('kept'))).toBe(0);
    });
  });
});
