// Public servers' temporary sessions, each a ratio against a baseline measured in the same run
// (see README). A visitor's time runs from POSTing the public page (anonymous, no cookies) until
// JupyterLab's api/status answers 200 through the proxy with the cookies that answer set:
//  (a) warm: a public server with a warm pool, which hands out a session started in advance;
//  (b) cold: a public server of the same image without a pool, which starts a session;
//  (c) baseline: `docker run` of that image running JupyterLab without auth, to its own api/status;
//  (d) 20 visitors arriving at once on the pooled server: failures (must be 0), p50 and max.
// Rounds interleave baseline, warm and cold, so that other load on the machine hits each alike.
// Starts its own hub (deploy/serve.sh) on port 8900 with the name prefix envhubbench and removes
// everything it made at the end. Needs the Docker engine and `make build`. Run: `make bench`.
// ENVHUB_BENCH_LOG=<file> keeps the hub's log there; ENVHUB_BENCH_REPETITIONS changes the 5 rounds.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { GitServer } from '../hub-service/test/support/gitServer.js';
import { CookieJar, send } from '../hub-service/test/support/http.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = 8900;
const prefix = 'envhubbench';
const hubUrl = `http://127.0.0.1:${port}`;
const service = `${hubUrl}/services/envhub`;
const password = randomBytes(12).toString('base64url');
const owner = 'bench-owner';
const warm = 'warm';
const cold = 'cold';
const poolSize = 2;
const crowd = 20;
const repetitions = Number(process.env.ENVHUB_BENCH_REPETITIONS ?? 5);
const keptLog = process.env.ENVHUB_BENCH_LOG;
const nonce = Date.now().toString(36);
const docker = new Docker();
const exec = promisify(execFile);

// The test helpers read where the hub is, and its password, when they are first imported.
process.env.ENVHUB_TEST_URL = hubUrl;
process.env.ENVHUB_TEST_PASSWORD = password;
const { buildUrl, hubApi, readEventStream, tokenFor } =
  await import('../hub-service/test/support/hubSession.js');

const siteConfig = {
  publicSessions: {
    idleTimeout: 3600,
    maxAge: 7200,
    maxSessions: crowd + 10,
    maxPerServer: crowd + 10,
    // Every visitor comes through the proxy from 127.0.0.1.
    perAddress: { sessions: 1000, window: 3600 },
    egress: true,
    pools: [{ owner, server: warm, size: poolSize }]
  }
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const samples = (list: number[]) => list.map(ms => (ms / 1000).toFixed(2));
const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
};
const progress = (message: string) =>
  process.stderr.write(`[bench] ${message}\n`);

async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  intervalMs = 500
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Waits for `url` to answer 200 (polled every 50 ms, as a browser's retry would be at best). */
const answers = (url: string, headers: Record<string, string> = {}) =>
  until(
    `${url} to answer 200`,
    async () => (await send(url, '', { headers })).status === 200,
    180_000,
    50
  );

/** Refuses to start when anything listens on the hub's ports (proxy, its API, Hub, service). */
async function portsFree(): Promise<void> {
  for (let p = port; p <= port + 3; p++)
    await new Promise<void>((resolve, reject) => {
      const probe = createServer()
        .once('error', () =>
          reject(
            new Error(
              `port ${p} is in use; the bench needs ${port}–${port + 3}`
            )
          )
        )
        .listen(p, '0.0.0.0', () => probe.close(() => resolve()));
    });
}

/** Containers, volumes, images and networks of the bench's prefix, by name. */
async function dockerObjects() {
  const ours = (name: string) =>
    name.replace(/^\//, '').startsWith(`${prefix}-`);
  const [containers, volumes, images, networks] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listVolumes(),
    docker.listImages(),
    docker.listNetworks()
  ]);
  return {
    containers: containers.flatMap(c => c.Names.filter(ours)),
    volumes: (volumes.Volumes ?? []).map(v => v.Name).filter(ours),
    images: images.flatMap(i => i.RepoTags ?? []).filter(ours),
    networks: networks.map(n => n.Name).filter(ours)
  };
}

/** Runs the hub the way `make up` does, with this bench's port, prefix, data and site config. */
async function startHub(dir: string, logPath: string): Promise<ChildProcess> {
  const config = join(dir, 'site-config.json');
  await writeFile(config, JSON.stringify(siteConfig, null, 2));
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('ENVHUB_') || name === 'ENVHUB_BASE_IMAGE'
  );
  const log = openSync(logPath, 'a');
  const hub = spawn(join(root, 'deploy/serve.sh'), [], {
    cwd: root,
    // Its own process group: whatever the Hub leaves running is ended with it.
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...Object.fromEntries(inherited),
      ENVHUB_PORT: String(port),
      ENVHUB_NAME_PREFIX: prefix,
      ENVHUB_DATA_DIR: join(dir, 'hub'),
      ENVHUB_DEMO_PASSWORD: password,
      ENVHUB_ALLOWED_REPO_HOSTS: '127.0.0.1,localhost,172.17.0.1',
      ENVHUB_CONFIG: config
    }
  });
  closeSync(log);
  await until(
    'the hub to answer (see its log)',
    async () => {
      if (hub.exitCode !== null) throw new Error('the hub exited');
      return (await send(`${service}/api/health`, '')).status === 200;
    },
    180_000
  );
  return hub;
}

async function stopHub(hub: ChildProcess): Promise<void> {
  if (hub.exitCode === null && hub.signalCode === null) {
    const exited = new Promise(resolve => hub.once('exit', resolve));
    hub.kill('SIGINT');
    await Promise.race([exited, sleep(60_000)]);
  }
  try {
    process.kill(-hub.pid!, 'SIGKILL');
  } catch {
    // Nothing of it is left.
  }
}

/** One visitor's way in; never throws, so that a crowd's failures can be counted. */
interface Visit {
  ok: boolean;
  /** POST to api/status answering 200 (ms). */
  ms: number;
  /** POST to its 303 answer (ms). */
  toRedirect: number;
  user: string;
  problem?: string;
}

async function visit(server: string): Promise<Visit> {
  const start = performance.now();
  let toRedirect = NaN;
  let user = '';
  try {
    const started = await send(service, `/public/${owner}/${server}`, {
      method: 'POST',
      headers: { Accept: 'text/html' }
    });
    toRedirect = performance.now() - start;
    if (started.status !== 303)
      throw new Error(
        `POST answered ${started.status}: ${/<h1>([^<]*)/.exec(started.text)?.[1] ?? started.text.slice(0, 200)}`
      );
    user =
      /\/user\/([^/]+)\//.exec(String(started.headers.location))?.[1] ?? '';
    const jar = new CookieJar().take(started);
    await answers(`${hubUrl}/user/${user}/${server}/api/status`, {
      Cookie: jar.header()
    });
    return { ok: true, ms: performance.now() - start, toRedirect, user };
  } catch (err) {
    return {
      ok: false,
      ms: performance.now() - start,
      toRedirect,
      user,
      problem: (err as Error).message
    };
  }
}

/** `docker run` of `image` with JupyterLab without auth, until its api/status answers 200 (ms). */
async function bareRun(image: string, name: string): Promise<number> {
  const start = performance.now();
  await exec('docker', [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    '127.0.0.1::8888',
    image,
    'jupyter',
    'lab',
    '--no-browser',
    '--ServerApp.ip=0.0.0.0',
    '--IdentityProvider.token='
  ]);
  const { stdout } = await exec('docker', ['port', name, '8888/tcp']);
  await answers(`http://${stdout.trim().split('\n')[0]}/api/status`);
  const ms = performance.now() - start;
  await exec('docker', ['rm', '-f', name]);
  return ms;
}

async function main(): Promise<void> {
  await portsFree();
  const before = await dockerObjects();
  const dir = await mkdtemp(join(tmpdir(), 'envhub-bench-'));
  const logPath = join(dir, 'hub.log');
  let hub: ChildProcess | null = null;
  let git: GitServer | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      progress('stopping the hub and removing what it made');
      if (hub) await stopHub(hub);
      const after = await dockerObjects();
      const made = <T>(now: T[], then: T[]) =>
        now.filter(x => !then.includes(x));
      for (const name of made(after.containers, before.containers))
        await docker
          .getContainer(name)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      for (const name of made(after.volumes, before.volumes))
        await docker
          .getVolume(name)
          .remove()
          .catch(() => undefined);
      for (const tag of made(after.images, before.images))
        await docker
          .getImage(tag)
          .remove({ force: true })
          .catch(() => undefined);
      for (const name of made(after.networks, before.networks))
        await docker
          .getNetwork(name)
          .remove()
          .catch(() => undefined);
      await git?.stop();
      if (keptLog) await copyFile(logPath, keptLog).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });

  try {
    progress(`starting a hub on ${hubUrl} (log: ${keptLog ?? logPath})`);
    hub = await startHub(dir, logPath);
    const [ownerToken, adminToken] = await Promise.all([
      tokenFor(owner),
      tokenFor('admin')
    ]);
    const api = (path: string, method = 'GET') =>
      fetch(`${service}/api${path}`, {
        method,
        headers: { Authorization: `token ${ownerToken}` }
      });
    const sessions = async () =>
      (
        (await (await api('/sessions')).json()) as {
          sessions: Array<{
            user: string;
            server: string;
            claimedAt: string | null;
          }>;
        }
      ).sessions;
    const end = async (users: string[]) => {
      const results = await Promise.all(
        users.map(user => api(`/sessions/${user}`, 'DELETE'))
      );
      const refused = results.filter(r => r.status !== 204);
      if (refused.length)
        throw new Error(`ending sessions answered ${refused[0].status}`);
    };
    /** The pool's sessions once all of them have started. */
    const poolFull = () =>
      until(
        `the warm pool to hold ${poolSize} started sessions`,
        async () => {
          const pooled = (await sessions()).filter(
            s => s.server === warm && s.claimedAt === null
          );
          if (pooled.length < poolSize) return null;
          const ready = await Promise.all(
            pooled.map(async s => {
              const user = await hubApi(adminToken, `/users/${s.user}`);
              return (
                user.ok &&
                (
                  (await user.json()) as {
                    servers?: Record<string, { ready?: boolean }>;
                  }
                ).servers?.[warm]?.ready === true
              );
            })
          );
          return ready.every(Boolean) ? pooled.map(s => s.user) : null;
        },
        300_000
      );

    git = await GitServer.start();
    await git.commit('public', {
      'requirements.txt': '',
      'index.ipynb': JSON.stringify({
        cells: [{ cell_type: 'markdown', metadata: {}, source: ['Hello'] }],
        metadata: {},
        nbformat: 4,
        nbformat_minor: 5
      })
    });
    for (const name of [warm, cold]) {
      progress(`launching ${owner}/${name} (public)`);
      const { events, body } = await readEventStream(
        buildUrl(git.url('public'), 'main', {
          name,
          public: '1',
          urlpath: 'lab/tree/index.ipynb'
        }),
        ownerToken
      );
      if (events.at(-1)?.phase !== 'ready')
        throw new Error(`launching ${name} did not end ready:\n${body}`);
    }
    const imageOf = async (name: string) =>
      (
        (await (await api(`/servers/${owner}/${name}`)).json()) as {
          image: string;
        }
      ).image;
    const image = await imageOf(warm);
    if ((await imageOf(cold)) !== image)
      throw new Error('the two public servers run different images');

    progress('waiting for the warm pool');
    await poolFull();
    // Unmeasured: the first `docker run` of a command reads what later runs find in the page cache.
    await bareRun(image, `${prefix}-baseline-${nonce}-0`);

    const baseline: number[] = [];
    const warmVisits: Visit[] = [];
    const coldVisits: Visit[] = [];
    for (let round = 1; round <= repetitions; round++) {
      progress(`round ${round} of ${repetitions}`);
      const pooled = await poolFull();
      const fromPool = await visit(warm);
      if (!fromPool.ok) throw new Error(`warm visit: ${fromPool.problem}`);
      if (!pooled.includes(fromPool.user))
        throw new Error('the warm visit did not get a pooled session');
      warmVisits.push(fromPool);
      await end([fromPool.user]);

      await poolFull();
      const started = await visit(cold);
      if (!started.ok) throw new Error(`cold visit: ${started.problem}`);
      coldVisits.push(started);
      await end([started.user]);

      await poolFull();
      baseline.push(
        await bareRun(image, `${prefix}-baseline-${nonce}-${round}`)
      );
    }

    progress(`${crowd} visitors at once`);
    const pooled = await poolFull();
    const crowdVisits = await Promise.all(
      Array.from({ length: crowd }, () => visit(warm))
    );
    await end(
      (await sessions())
        .filter(s => s.server === warm && s.claimedAt !== null)
        .map(s => s.user)
    );
    const failed = crowdVisits.filter(v => !v.ok);
    const crowdTimes = crowdVisits.map(v => v.ms);

    const cpu = cpus();
    console.log(
      `machine: ${cpu.length} cores (${cpu[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Docker ${(await docker.version()).Version}; load average at the end ${loadavg()
        .map(l => l.toFixed(2))
        .join(' ')}`
    );
    console.log(
      `each session: JupyterHub + DockerSpawner, the site's default session resources; baseline: plain \`docker run\` without limits`
    );
    const line = (label: string, visits: Visit[], target: number) => {
      const times = visits.map(v => v.ms);
      const ratio = median(times) / median(baseline);
      console.log(
        `${label}: median ${seconds(median(times))} [${samples(times).join(', ')}] (POST to 303: median ${seconds(median(visits.map(v => v.toRedirect)))}) -> ratio ${ratio.toFixed(2)} vs (c) (target ≤ ${target}: ${ratio <= target ? 'met' : 'missed'})`
      );
    };
    console.log(
      `(c) baseline, docker run to api/status: median ${seconds(median(baseline))} [${samples(baseline).join(', ')}]`
    );
    line('(a) warm pool to api/status', warmVisits, 0.5);
    line('(b) cold to api/status', coldVisits, 1.5);
    console.log(
      `(d) ${crowd} visitors at once (pool of ${poolSize}, ${crowdVisits.filter(v => pooled.includes(v.user)).length} served from it): ${failed.length} failures, p50 ${seconds(median(crowdTimes))}, max ${seconds(Math.max(...crowdTimes))} [${samples(crowdTimes).join(', ')}]`
    );
    for (const v of failed) console.log(`    failed: ${v.problem}`);
    if (failed.length) process.exitCode = 1;
  } catch (err) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    console.error(log.split('\n').slice(-40).join('\n'));
    throw err;
  } finally {
    await cleanup();
  }
}

await main();
