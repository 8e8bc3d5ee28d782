// What the hub benchmarks share: a hub of their own started the way `make up` starts one, the
// `docker run` baselines, waiting, statistics, and removing every Docker object a run made.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { send } from '../hub-service/test/support/http.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const docker = new Docker();
export const exec = promisify(execFile);

export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const samples = (list: number[]) =>
  list.map(ms => (ms / 1000).toFixed(2));
export const progress = (message: string) =>
  process.stderr.write(`[bench] ${message}\n`);

export const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The nearest-rank percentile `p` (0–100) of `list`. */
export const percentile = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
};

export async function until<T>(
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
export const answers = (url: string, headers: Record<string, string> = {}) =>
  until(
    `${url} to answer 200`,
    async () => (await send(url, '', { headers })).status === 200,
    180_000,
    50
  );

/** The machine, for the first line of a benchmark's report. */
export async function machine(): Promise<string> {
  const cpu = cpus();
  return `machine: ${cpu.length} cores (${cpu[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Docker ${(await docker.version()).Version}; load average ${loadavg()
    .map(l => l.toFixed(2))
    .join(' ')}`;
}

/** Memory and CPU limits of a container, as `docker run` takes them. */
export interface Limits {
  memory: string;
  cpus: number;
}

/**
 * `docker run` of `image` with JupyterLab without auth (and `limits`, when given) until its
 * api/status answers 200, then removes it; returns the time (ms).
 */
export async function bareRun(
  image: string,
  name: string,
  limits?: Limits
): Promise<number> {
  const start = performance.now();
  await exec('docker', [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    '127.0.0.1::8888',
    ...(limits
      ? ['--memory', limits.memory, '--cpus', String(limits.cpus)]
      : []),
    image,
    'jupyter',
    'lab',
    '--no-browser',
    '--ServerApp.ip=0.0.0.0',
    '--IdentityProvider.token='
  ]);
  try {
    const { stdout } = await exec('docker', ['port', name, '8888/tcp']);
    await answers(`http://${stdout.trim().split('\n')[0]}/api/status`);
    return performance.now() - start;
  } finally {
    await exec('docker', ['rm', '-f', name]);
  }
}

/** A hub of the benchmark's own, run by deploy/serve.sh as `make up` runs it. */
export interface BenchHub {
  port: number;
  prefix: string;
  password: string;
  siteConfig: Record<string, unknown>;
}

/**
 * Runs `body` with a hub of its own, then stops it and removes every Docker object of the
 * prefix the run made, and what `body` passed to `defer` (also on Ctrl-C). On failure, the end
 * of the hub's log is printed. ENVHUB_BENCH_LOG=<file> keeps the whole log there.
 */
export async function withHub(
  settings: BenchHub,
  body: (defer: (cleanup: () => Promise<unknown>) => void) => Promise<void>
): Promise<void> {
  const before = await dockerObjects(settings.prefix);
  const dir = await mkdtemp(join(tmpdir(), 'envhub-bench-'));
  const logPath = join(dir, 'hub.log');
  const deferred: Array<() => Promise<unknown>> = [];
  let hub: ChildProcess | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      progress('stopping the hub and removing what it made');
      if (hub) await stopHub(hub);
      await removeMadeSince(settings.prefix, before);
      for (const work of deferred.reverse())
        await work().catch(() => undefined);
      const kept = process.env.ENVHUB_BENCH_LOG;
      if (kept) await copyFile(logPath, kept).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  try {
    progress(
      `starting a hub on http://127.0.0.1:${settings.port} (log: ${process.env.ENVHUB_BENCH_LOG ?? logPath})`
    );
    hub = await startHub(settings, dir, logPath);
    await body(work => deferred.push(work));
  } catch (err) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    console.error(log.split('\n').slice(-40).join('\n'));
    throw err;
  } finally {
    await cleanup();
  }
}

/** Refuses to start when anything listens on the hub's ports (proxy, its API, Hub, service). */
async function portsFree(port: number): Promise<void> {
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

async function startHub(
  hub: BenchHub,
  dir: string,
  logPath: string
): Promise<ChildProcess> {
  await portsFree(hub.port);
  const config = join(dir, 'site-config.json');
  await writeFile(config, JSON.stringify(hub.siteConfig, null, 2));
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('ENVHUB_') || name === 'ENVHUB_BASE_IMAGE'
  );
  const log = openSync(logPath, 'a');
  const child = spawn(join(root, 'deploy/serve.sh'), [], {
    cwd: root,
    // Its own process group: whatever the Hub leaves running is ended with it.
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...Object.fromEntries(inherited),
      ENVHUB_PORT: String(hub.port),
      ENVHUB_NAME_PREFIX: hub.prefix,
      ENVHUB_DATA_DIR: join(dir, 'hub'),
      ENVHUB_DEMO_PASSWORD: hub.password,
      ENVHUB_ALLOWED_REPO_HOSTS: '127.0.0.1,localhost,172.17.0.1',
      ENVHUB_CONFIG: config
    }
  });
  closeSync(log);
  await until(
    'the hub to answer (see its log)',
    async () => {
      if (child.exitCode !== null) throw new Error('the hub exited');
      const health = `http://127.0.0.1:${hub.port}/services/envhub/api/health`;
      return (await send(health, '')).status === 200;
    },
    180_000
  );
  return child;
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

/** Containers, volumes, images and networks whose names start with `prefix-`. */
async function dockerObjects(prefix: string) {
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

/** Removes the objects of `prefix` there are now that `before` did not list. */
async function removeMadeSince(
  prefix: string,
  before: Awaited<ReturnType<typeof dockerObjects>>
): Promise<void> {
  const after = await dockerObjects(prefix);
  const made = <T>(now: T[], then: T[]) => now.filter(x => !then.includes(x));
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
}
