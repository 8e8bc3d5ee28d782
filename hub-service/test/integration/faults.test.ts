import { jest } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Docker from 'dockerode';
import { EventStreamParser } from '@envhub/schema';
import { LABELS } from '../../src/images/imageCache.js';
import { escapeName } from '../../src/naming.js';
import { GitServer } from '../support/gitServer.js';
import { CookieJar, send } from '../support/http.js';

// Faults a hub must survive: its envhub service killed during a build and during a spawn, and the
// Hub itself restarted during a launch. The test runs a hub of its own (ports 8600-8603, prefix
// envhubflt), since it kills and restarts it, and removes everything of that prefix at the end.
jest.setTimeout(5 * 60_000);

const PORT = 8600;
const PREFIX = 'envhubflt';
const HUB = `http://127.0.0.1:${PORT}`;
const ROOT = new URL('../../../', import.meta.url).pathname;
const PASSWORD = `flt-${Date.now().toString(36)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'envhub-faults-'));
const logFile = join(dataDir, 'hub.log');
const docker = new Docker();
const user = `flt-${Date.now().toString(36)}`;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Waits until `check` holds, polling; throws saying `what` after `ms`. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms: number
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${ms / 1000} s\n--- hub log ---\n${readFileSync(logFile, 'utf8').slice(-4000)}`
      );
    await sleep(200);
  }
}

/** The pids of `parent`'s children (whose command line matches `pattern`). */
function childrenOf(parent: number, pattern?: string): number[] {
  try {
    const out = execFileSync(
      'pgrep',
      ['-P', String(parent), ...(pattern ? ['-f', pattern] : [])],
      { encoding: 'utf8' }
    );
    return out.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep found none
  }
}

/** The hub: JupyterHub with the envhub service, started with deploy/serve.sh as `make up` does. */
class FaultHub {
  private process: ChildProcess | null = null;

  async start(): Promise<void> {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !name.startsWith('ENVHUB_') ||
          ['ENVHUB_BASE_IMAGE', 'ENVHUB_HUB_IP'].includes(name)
      )
    );
    const log = openSync(logFile, 'a');
    this.process = spawn(join(ROOT, 'deploy/serve.sh'), [], {
      env: {
        ...env,
        ENVHUB_PORT: String(PORT),
        ENVHUB_NAME_PREFIX: PREFIX,
        ENVHUB_DATA_DIR: dataDir,
        ENVHUB_DEMO_PASSWORD: PASSWORD,
        ENVHUB_ALLOWED_REPO_HOSTS: '127.0.0.1,localhost',
        ENVHUB_PUBLIC_URL: HUB
      },
      stdio: ['ignore', log, log]
    });
    closeSync(log);
    await this.serviceUp(60_000);
  }

  /** Waits until the envhub service answers through the proxy and sees the Hub. */
  async serviceUp(ms: number): Promise<void> {
    await until(
      'the envhub service answering',
      async () => {
        const health = (await fetch(`${HUB}/services/envhub/api/health`)
          .then(r => r.json())
          .catch(() => null)) as { hub?: { ok: boolean } } | null;
        return health?.hub?.ok === true;
      },
      ms
    );
  }

  /** The pid of the envhub service (the Hub runs it as its child). */
  servicePid(): number | undefined {
    return childrenOf(this.process!.pid!, 'envhub/bundle/server.mjs')[0];
  }

  /** Stops the Hub as Ctrl-C does (it stops its service and proxy first); kills what is left after 30 s. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const children = childrenOf(child.pid!);
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const timeout = new Promise<boolean>(resolve =>
      setTimeout(resolve, 30_000, false).unref()
    );
    if (await Promise.race([exited.then(() => true), timeout])) return;
    child.kill('SIGKILL');
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Signs `user` in through the Hub's login form and returns a new API token of theirs. */
async function tokenFor(name: string): Promise<string> {
  const jar = new CookieJar().take(await send(HUB, '/hub/login'));
  const login = await send(HUB, '/hub/login', {
    method: 'POST',
    headers: { Cookie: jar.header() },
    form: { username: name, password: PASSWORD, _xsrf: jar.get('_xsrf') ?? '' }
  });
  if (login.status !== 302)
    throw new Error(`signing in as ${name} failed: ${login.status}`);
  jar.take(login);
  const created = await send(HUB, `/hub/api/users/${name}/tokens`, {
    method: 'POST',
    headers: {
      Cookie: jar.header(),
      'X-XSRFToken': jar.get('_xsrf') ?? '',
      Referer: `${HUB}/hub/token`
    },
    json: { note: 'envhub fault tests', expires_in: 3600 }
  });
  if (created.status !== 201)
    throw new Error(
      `creating a token for ${name} failed: ${created.status} ${created.text}`
    );
  return created.json.token as string;
}

type StreamEvent = { phase: string; message?: string };

/** A client following a launch stream as it comes, noting when it ends (with a final event, or cut off). */
class Follower {
  readonly events: StreamEvent[] = [];
  endedAt: number | null = null;

  constructor(url: string, token: string) {
    void this.read(url, token);
  }

  private async read(url: string, token: string): Promise<void> {
    const parser = new EventStreamParser();
    try {
      const response = await fetch(url, {
        headers: {
          Accept: 'text/event-stream',
          Authorization: `token ${token}`
        }
      });
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        this.events.push(
          ...(parser.push(Buffer.from(chunk).toString('utf8')) as StreamEvent[])
        );
      }
      this.events.push(...(parser.end() as StreamEvent[]));
    } catch {
      // Cut off: the stream ended without a final event, which is what a client must notice.
    }
    this.endedAt = Date.now();
  }

  saw(text: string): boolean {
    return this.events.some(e => e.message?.includes(text));
  }

  get last(): StreamEvent | undefined {
    return this.events[this.events.length - 1];
  }
}

let hub: FaultHub;
let git: GitServer;
let token: string;
let admin: string;

const launchUrl = (repo: string, name: string) =>
  `${HUB}/services/envhub/build/git/${encodeURIComponent(repo)}/main?name=${name}`;

/** Launches and reads the whole stream; the final event. */
async function launch(
  repo: string,
  name: string
): Promise<StreamEvent | undefined> {
  const follower = new Follower(launchUrl(repo, name), token);
  await until(
    `the launch of ${name} ending`,
    () => follower.endedAt !== null,
    4 * 60_000
  );
  return follower.last;
}

/** Kills the envhub service outright; returns its pid. */
function killService(): number {
  const pid = hub.servicePid();
  if (!pid) throw new Error('the envhub service is not running');
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** The Hub restarts a managed service that died (it polls it every 30 s). */
async function serviceRestarted(oldPid: number): Promise<void> {
  await until(
    'the Hub starting the envhub service again',
    () => (hub.servicePid() ?? oldPid) !== oldPid,
    60_000
  );
  await hub.serviceUp(30_000);
}

const api = async (path: string) => {
  const response = await send(HUB, `/services/envhub/api${path}`, {
    headers: { Authorization: `token ${token}` }
  });
  return { status: response.status, json: response.json };
};

const hubServers = async (): Promise<
  Record<string, { ready: boolean; pending: string | null; stopped: boolean }>
> =>
  (
    await send(HUB, `/hub/api/users/${user}?include_stopped_servers=1`, {
      headers: { Authorization: `token ${admin}` }
    })
  ).json.servers;

/** Containers of the hub's servers (not builds'), by server name. */
async function serverContainers(): Promise<Map<string, boolean>> {
  const found = new Map<string, boolean>();
  const ownPrefix = `/${PREFIX}-${escapeName(user)}--`;
  for (const c of await docker.listContainers({
    all: true,
    filters: { name: [`${PREFIX}-`] }
  })) {
    const name = c.Names.find(n => n.startsWith(ownPrefix));
    if (name) found.set(name.slice(ownPrefix.length), c.State === 'running');
  }
  return found;
}

/** What a restart or a kill must not leave: build steps and intermediate images of interrupted builds. */
async function buildLeftovers(): Promise<{
  containers: number;
  images: number;
}> {
  const label = `${LABELS.buildOf}=${PREFIX}`;
  const [containers, images] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [label] } }),
    docker.listImages({ filters: { dangling: ['true'], label: [label] } })
  ]);
  return { containers: containers.length, images: images.length };
}

/** Nothing orphaned: every server container belongs to a Hub server, every Hub server to an envhub record. */
async function expectNothingOrphaned(): Promise<void> {
  const servers = await hubServers();
  for (const [name, running] of await serverContainers()) {
    expect({ name, running, hub: servers[name] ?? null }).toMatchObject({
      name,
      running: true,
      hub: { ready: true }
    });
  }
  for (const name of Object.keys(servers).filter(Boolean)) {
    expect({
      name,
      record: (await api(`/servers/${user}/${name}`)).status
    }).toEqual({ name, record: 200 });
  }
}

beforeAll(async () => {
  git = await GitServer.start();
  // postBuild says when it runs, then takes long enough to be interrupted.
  await git.commit('slow', {
    postBuild:
      '#!/bin/bash\necho envhub-fault-postbuild-started\nsleep 20\necho envhub-fault-postbuild-done\n'
  });
  await git.chmodExecutable('slow', ['postBuild']);
  await git.commit('quick', { 'README.md': '# quick\n' });
  hub = new FaultHub();
  await hub.start();
  [token, admin] = await Promise.all([tokenFor(user), tokenFor('admin')]);
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  await git?.stop();
  const containers = await docker.listContainers({
    all: true,
    filters: { name: [`^/${PREFIX}-`] }
  });
  await Promise.all(
    containers.map(c =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined)
    )
  );
  const steps = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.buildOf}=${PREFIX}`] }
  });
  await Promise.all(
    steps.map(c =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined)
    )
  );
  const { Volumes } = await docker.listVolumes({
    filters: { name: [`${PREFIX}-`] }
  });
  await Promise.all(
    (Volumes ?? [])
      .filter(v => v.Name.startsWith(`${PREFIX}-`))
      .map(v =>
        docker
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined)
      )
  );
  for (const image of await docker.listImages()) {
    if ((image.RepoTags ?? []).some(tag => tag.startsWith(`${PREFIX}-`)))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await docker
    .pruneImages({
      filters: { dangling: ['true'], label: [`${LABELS.buildOf}=${PREFIX}`] }
    })
    .catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('the service killed during a build: the stream ends at once, the build is failed, nothing is left, the launch then succeeds', async () => {
  const repo = git.url('slow');
  const follower = new Follower(launchUrl(repo, 'slow'), token);
  await until(
    'the build running postBuild',
    () => follower.saw('envhub-fault-postbuild-started'),
    3 * 60_000
  );
  const killedAt = Date.now();
  const pid = killService();
  await until(
    'the client noticing the end of the stream',
    () => follower.endedAt !== null,
    10_000
  );
  const noticedAfter = follower.endedAt! - killedAt;
  process.stdout.write(
    `faults: the launch stream ended ${noticedAfter} ms after the service was killed during a build\n`
  );
  expect(noticedAfter).toBeLessThan(5000);
  expect(follower.last?.phase).not.toBe('ready');

  await serviceRestarted(pid);
  process.stdout.write(
    `faults: the Hub had the envhub service answering again ${Date.now() - killedAt} ms after it was killed\n`
  );
  const store = new Database(join(dataDir, 'envhub.sqlite'), {
    readonly: true
  });
  const builds = store
    .prepare(`SELECT status, log FROM builds WHERE repo = ?`)
    .all(repo) as Array<{ status: string; log: string }>;
  store.close();
  expect(builds.map(b => b.status)).toEqual(['failed']);
  expect(builds[0].log).toContain('interrupted');
  expect(await buildLeftovers()).toEqual({ containers: 0, images: 0 });

  expect(await launch(repo, 'slow')).toMatchObject({ phase: 'ready' });
  await expectNothingOrphaned();
});

test('the service killed during a spawn: the server is running or cleanly stopped with its record, and the launch then succeeds', async () => {
  const repo = git.url('quick');
  const follower = new Follower(launchUrl(repo, 'spawning'), token);
  await until(
    'the spawn starting',
    () => follower.saw('Starting server "spawning"'),
    3 * 60_000
  );
  const killedAt = Date.now();
  const pid = killService();
  await until(
    'the client noticing the end of the stream',
    () => follower.endedAt !== null,
    10_000
  );
  expect(follower.endedAt! - killedAt).toBeLessThan(5000);

  await serviceRestarted(pid);
  expect((await api(`/servers/${user}/spawning`)).status).toBe(200);
  await until(
    'the spawn settling',
    async () => !(await hubServers()).spawning?.pending,
    60_000
  );
  // No Hub entry at all (the start never reached the Hub) counts as stopped: the record launches it.
  const server = (await hubServers()).spawning ?? {
    ready: false,
    stopped: true,
    pending: null
  };
  expect(server.ready || server.stopped).toBe(true);
  expect((await serverContainers()).get('spawning') ?? false).toBe(
    server.ready
  );

  expect(await launch(repo, 'spawning')).toMatchObject({ phase: 'ready' });
  await expectNothingOrphaned();
});

test('the Hub restarted during a launch: the client is told, nothing is orphaned, and the launch then succeeds', async () => {
  const repo = git.url('quick');
  const follower = new Follower(launchUrl(repo, 'restarting'), token);
  await until(
    'the spawn starting',
    () => follower.saw('Starting server "restarting"'),
    3 * 60_000
  );
  const stoppedAt = Date.now();
  await hub.stop();
  await until(
    'the client noticing the end of the stream',
    () => follower.endedAt !== null,
    10_000
  );
  process.stdout.write(
    `faults: the launch stream ended ${follower.endedAt! - stoppedAt} ms after the Hub was told to stop; last event: ${JSON.stringify(follower.last)}\n`
  );
  expect(follower.last?.phase).not.toBe('ready');

  await hub.start();
  await expectNothingOrphaned();
  expect(await launch(repo, 'restarting')).toMatchObject({ phase: 'ready' });
  await expectNothingOrphaned();
  expect(await buildLeftovers()).toEqual({ containers: 0, images: 0 });
});
