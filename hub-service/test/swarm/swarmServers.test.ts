import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import tar from 'tar-fs';
import { ImageCache, LABELS } from '../../src/images/imageCache.js';
import { followed } from '../../src/images/progress.js';
import { escapeName, homeVolumeName } from '../../src/naming.js';
import { Store } from '../../src/store/store.js';
import { Registry } from '../../src/swarm/registry.js';
import { exec } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import { send } from '../support/http.js';
import { labEngine, labManager, setAvailability } from '../support/swarmLab.js';
import {
  buildUrl,
  envhubApi,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor,
  type StreamEvent
} from '../support/hubSession.js';

// envhub in swarm mode, as deploy/test-swarm.sh starts it: the Hub, the proxy and the service on
// this machine, servers as services of a two-node swarm (node 1 its manager), images through the
// lab's registry. Everything is checked on the nodes' own engines.
jest.setTimeout(900_000);

const REGISTRY = process.env.ENVHUB_SWARM_REGISTRY ?? '10.99.0.1:5000';
const manager = labManager;
const local = new Docker();
const stamp = Date.now().toString(36);
const [alice, bob] = [`sa-${stamp}`, `sb-${stamp}`];
const tokens: Record<string, string> = {};
let git: GitServer;
let repo: string;
let managerNode: string;

const serviceName = (user: string, server: string) =>
  `${namePrefix}-${escapeName(user)}--${escapeName(server)}`;
const last = (events: StreamEvent[]) => events[events.length - 1];

/** The engine of the swarm node `id` (the lab's node n listens on /run/envsw/n<n>.sock). */
async function engineOf(id: string): Promise<Docker> {
  const node = await manager.getNode(id).inspect();
  const n = (node.Status.Addr as string).split('.').pop()!.slice(1);
  return labEngine(Number(n));
}

/** The running task of a server's service. */
async function taskOf(user: string, server: string) {
  const tasks = await manager.listTasks({
    filters: {
      service: [serviceName(user, server)],
      'desired-state': ['running']
    }
  });
  expect(tasks).toHaveLength(1);
  return tasks[0];
}

/** Runs `command` in a server's container, on its node. */
async function run(user: string, server: string, command: string[]) {
  const task = await taskOf(user, server);
  return exec(
    task.Status!.ContainerStatus!.ContainerID!,
    command,
    await engineOf(task.NodeID!)
  );
}

const launch = (user: string, query: Record<string, string>) =>
  readEventStream(buildUrl(repo, 'main', query), tokens[user]);

async function stop(user: string, server: string): Promise<void> {
  const stopped = await hubApi(
    tokens[user],
    `/users/${user}/servers/${server}`,
    { method: 'DELETE' }
  );
  expect([202, 204]).toContain(stopped.status);
  for (let i = 0; i < 120; i++) {
    const model = (await (
      await hubApi(tokens[user], `/users/${user}/servers/${server}`)
    ).json()) as { stopped: boolean; pending: string | null };
    if (model.stopped && !model.pending) return;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new Error(`${user}/${server} did not stop`);
}

beforeAll(async () => {
  for (const user of [alice, bob]) tokens[user] = await tokenFor(user);
  managerNode = ((await manager.info()) as { Swarm: { NodeID: string } }).Swarm
    .NodeID;
  git = await GitServer.start();
  repo = git.url('swarm');
  await git.commit('swarm', { 'README.md': '# on a swarm\n' });
});

afterAll(async () => {
  await git.stop();
});

describe('envhub on a swarm', () => {
  test('servers spread over both nodes, pulled from the registry, with the limits of one engine', async () => {
    const logs: string[] = [];
    for (const user of [alice, bob]) {
      const { status, events } = await launch(user, { name: 's1' });
      expect(status).toBe(200);
      expect(last(events)).toMatchObject({ phase: 'ready' });
      logs.push(events.map(e => e.message ?? '').join(''));
    }
    // The build log says when an image goes to the registry: the first launch only.
    expect(logs[0]).toContain(`to the registry ${REGISTRY}`);
    expect(logs[1]).not.toContain('to the registry');
    const [a, b] = [await taskOf(alice, 's1'), await taskOf(bob, 's1')];
    expect(a.NodeID).not.toBe(b.NodeID);

    // The service's image is the registry's copy of what envhub built on this machine's engine,
    // which keeps only its own name for it.
    const image = a.Spec!.ContainerSpec!.Image!.split('@')[0];
    expect(image.startsWith(`${REGISTRY}/${namePrefix}-`)).toBe(true);
    const built = image.slice(REGISTRY.length + 1);
    const registry = new Registry(local, REGISTRY);
    expect(await registry.digest(built)).toMatch(/^sha256:/);
    expect((await local.getImage(built).inspect()).RepoTags).toEqual([built]);

    // Through the proxy, as a browser reaches it.
    const status = await fetch(`${hubUrl}/user/${alice}/s1/api/status`, {
      headers: { Authorization: `token ${tokens[alice]}` }
    });
    expect(status.status).toBe(200);

    // The same limits and hardening as a container of one engine: memory (the site's default 2G),
    // the process cap and NET_RAW dropped in the service's spec; no-new-privileges from the
    // node's dockerd.
    const container = await (
      await engineOf(a.NodeID!)
    )
      .getContainer(a.Status!.ContainerStatus!.ContainerID!)
      .inspect();
    expect(container.HostConfig.Memory).toBe(2 * 1024 ** 3);
    // A service cannot say "memory + swap" (Engine API 1.41): Docker's default, as much swap again
    // as memory, where the node has swap (README, Docker Swarm).
    expect(container.HostConfig.MemorySwap).toBe(4 * 1024 ** 3);
    expect(container.HostConfig.PidsLimit).toBe(2048);
    expect(container.HostConfig.CapDrop).toContain('NET_RAW');
    expect(
      await run(alice, 's1', ['grep', 'NoNewPrivs', '/proc/self/status'])
    ).toMatch(/NoNewPrivs:\s+1/);
  });

  test("usage accounting reads both nodes' engines: each server's month has its usage", async () => {
    const usageOf = async (user: string) =>
      (
        (await (
          await envhubApi(tokens[user], `/servers/${user}/s1`)
        ).json()) as {
          usage: { server: { cpuHours: number; runningHours: number } };
        }
      ).usage.server;
    // One of the two runs on node 2, whose engine only ENVHUB_SWARM_ENGINES names.
    for (const user of [alice, bob]) {
      let server = await usageOf(user);
      for (let i = 0; i < 60 && server.runningHours === 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 500));
        server = await usageOf(user);
      }
      expect(server.runningHours).toBeGreaterThan(0);
      expect(server.cpuHours).toBeGreaterThan(0);
    }
  });

  test('a spawn through the Hub API without a launch ticket is refused, and no service is made', async () => {
    const response = await hubApi(tokens[bob], `/users/${bob}/servers/direct`, {
      method: 'POST',
      body: JSON.stringify({
        user_options: { image: 'envhub-rootfs:bookworm' }
      })
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(((await response.json()) as { message: string }).message).toMatch(
      /launch .*through envhub/
    );
    expect(
      await manager.listServices({
        filters: { name: [serviceName(bob, 'direct')] }
      })
    ).toEqual([]);
  });

  test('a stopped server comes back on the node that holds its home, with its files', async () => {
    const home = (await taskOf(alice, 's1')).NodeID;
    await run(alice, 's1', ['sh', '-c', 'echo kept > /home/jovyan/kept.txt']);
    await stop(alice, 's1');
    expect(
      await manager.listServices({
        filters: { name: [serviceName(alice, 's1')] }
      })
    ).toEqual([]);

    const { events } = await launch(alice, { name: 's1' });
    expect(last(events)).toMatchObject({ phase: 'ready' });
    expect((await taskOf(alice, 's1')).NodeID).toBe(home);
    expect(await run(alice, 's1', ['cat', '/home/jovyan/kept.txt'])).toBe(
      'kept\n'
    );
  });

  test('a server that mounts a shared volume runs on the node that holds it', async () => {
    const volume = `data-${stamp}`;
    const created = await envhubApi(tokens[alice], '/volumes', {
      method: 'POST',
      body: JSON.stringify({ name: volume })
    });
    expect(created.status).toBe(201);
    // envhub makes its volumes on the manager's node.
    expect(
      (await manager.getVolume(`${namePrefix}-volume-${volume}`).inspect()).Name
    ).toBe(`${namePrefix}-volume-${volume}`);

    const { events } = await launch(alice, {
      name: 'vol',
      mount: `${volume}:/home/jovyan/data`
    });
    expect(last(events)).toMatchObject({ phase: 'ready' });
    expect((await taskOf(alice, 'vol')).NodeID).toBe(managerNode);
    expect(
      await run(alice, 'vol', [
        'sh',
        '-c',
        'echo shared > /home/jovyan/data/f.txt && cat /home/jovyan/data/f.txt && whoami'
      ])
    ).toBe('shared\njovyan\n');
    await stop(alice, 'vol');
  });

  test('a public server’s visitor gets a throw-away copy on a node, through the proxy', async () => {
    const { events } = await launch(bob, { name: 'show', public: '1' });
    expect(last(events)).toMatchObject({ phase: 'ready' });
    const started = await send(
      `${hubUrl}/services/envhub/public/${bob}/show`,
      '',
      { method: 'POST', headers: { Accept: 'text/html' } }
    );
    expect(started.status).toBe(303);
    const visitor = /\/user\/([^/]+)\//.exec(
      String(started.headers.location)
    )![1];
    const cookie = started.cookies.map(c => c.split(';')[0]).join('; ');
    const status = await send(`${hubUrl}/user/${visitor}/show/api/status`, '', {
      headers: { Cookie: cookie }
    });
    expect(status.status).toBe(200);
    // A service of the swarm like any server, without a home volume.
    const task = await taskOf(visitor, 'show');
    expect(
      (task.Spec!.ContainerSpec!.Mounts ?? []).filter(
        (m: { Target?: string }) => m.Target === '/home/jovyan'
      )
    ).toEqual([]);
    expect(
      (
        await envhubApi(tokens[bob], `/sessions/${visitor}`, {
          method: 'DELETE'
        })
      ).status
    ).toBeLessThan(300);
    await stop(bob, 'show');
  });

  test('a server whose node is drained does not start elsewhere: the launch names the node', async () => {
    // The server on the other node than the manager (draining the manager would move the others).
    const [user, node] = await (async () => {
      for (const user of [alice, bob]) {
        const { NodeID } = await taskOf(user, 's1');
        if (NodeID !== managerNode) return [user, NodeID!] as const;
      }
      throw new Error('no server runs outside the manager node');
    })();
    await stop(user, 's1');
    await setAvailability(node, 'drain');
    try {
      const { events } = await launch(user, { name: 's1' });
      expect(last(events).phase).toBe('failed');
      expect(last(events).message).toContain(
        `the node ${node.slice(0, 12)} (10.99.0.`
      );
      expect(last(events).message).toContain('is drain');
      // Nothing started anywhere else, and no empty home was made on another node.
      expect(
        await manager.listServices({
          filters: { name: [serviceName(user, 's1')] }
        })
      ).toEqual([]);
      const home = homeVolumeName(namePrefix, user, 's1');
      await expect(manager.getVolume(home).inspect()).rejects.toMatchObject({
        statusCode: 404
      });
      expect(
        (await (await engineOf(node)).getVolume(home).inspect()).Name
      ).toBe(home);
    } finally {
      await setAvailability(node, 'active');
    }
    // Back in service, the server starts again where its home is.
    const { events } = await launch(user, { name: 's1' });
    expect(last(events)).toMatchObject({ phase: 'ready' });
    expect((await taskOf(user, 's1')).NodeID).toBe(node);
  });
});

describe('the registry', () => {
  test('gets an image once however many ask, and loses it when the image cache evicts it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envhub-probe-'));
    // A name of its own so that only it is the cache's to evict here.
    const prefix = `${namePrefix}-probe${stamp}`;
    const image = `${prefix}-x:1`;
    try {
      await writeFile(
        join(dir, 'Dockerfile'),
        `FROM scratch\nCOPY f /f\nLABEL ${LABELS.builderVersion}=1\n`
      );
      await writeFile(join(dir, 'f'), stamp);
      await followed(
        local,
        await local.buildImage(
          tar.pack(dir) as unknown as NodeJS.ReadableStream,
          { t: image }
        )
      );
      const registry = new Registry(local, REGISTRY);
      expect(await registry.digest(image)).toBeNull();
      const lines: string[] = [];
      await Promise.all([
        registry.publish(image, line => lines.push(line)),
        registry.publish(image, line => lines.push(line))
      ]);
      expect(lines).toEqual([
        `[envhub] publishing ${image} to the registry ${REGISTRY}\n`
      ]);
      expect(await registry.digest(image)).toMatch(/^sha256:/);

      const cache = new ImageCache(local, new Store(':memory:'), {
        namePrefix: prefix,
        budgetBytes: 1,
        baseImage: 'envhub-base:latest',
        registry
      });
      expect(await cache.evict()).toEqual([image]);
      expect(await registry.digest(image)).toBeNull();
    } finally {
      await local
        .getImage(image)
        .remove()
        .catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  });
});
