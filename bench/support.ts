// What the hub benchmarks share: a hub of their own started the way `make up` starts one (the
// browser tests' OwnHub), the `docker run` baselines, waiting and statistics.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { send } from '../hub-service/test/support/http.js';
import { OwnHub } from '../ui-tests/support/ownHub.js';

const docker = new Docker();
const exec = promisify(execFile);

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
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

/** A hub of the benchmark's own (OwnHub: deploy/serve.sh, as `make up` runs it). */
export interface BenchHub {
  port: number;
  prefix: string;
  password: string;
  siteConfig: Record<string, unknown>;
  /** More of the hub's ENVHUB_* settings (e.g. swarm mode's). */
  env?: Record<string, string>;
}

/**
 * Runs `body` with a hub of its own, then stops it, removes every Docker object of its prefix and
 * what `body` passed to `defer` (also on Ctrl-C). On failure, the end of the hub's log is printed.
 * ENVHUB_BENCH_LOG=<file> keeps the whole log there.
 */
export async function withHub(
  settings: BenchHub,
  body: (defer: (cleanup: () => Promise<unknown>) => void) => Promise<void>
): Promise<void> {
  await portsFree(settings.port);
  const configDir = await mkdtemp(join(tmpdir(), 'envhub-bench-'));
  const config = join(configDir, 'site-config.json');
  await writeFile(config, JSON.stringify(settings.siteConfig, null, 2));
  const deferred: Array<() => Promise<unknown>> = [];
  let hub: OwnHub | null = null;
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      progress('stopping the hub and removing what it made');
      const kept = process.env.ENVHUB_BENCH_LOG;
      if (hub && kept)
        await copyFile(join(hub.dataDir, 'hub.log'), kept).catch(
          () => undefined
        );
      await hub?.stop();
      for (const work of deferred.reverse())
        await work().catch(() => undefined);
      await rm(configDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(130));
    });
  try {
    progress(`starting a hub on http://127.0.0.1:${settings.port}`);
    hub = await OwnHub.start({
      port: settings.port,
      prefix: settings.prefix,
      env: {
        ENVHUB_DEMO_PASSWORD: settings.password,
        ENVHUB_ALLOWED_REPO_HOSTS: '127.0.0.1,localhost,172.17.0.1',
        ENVHUB_CONFIG: config,
        ...settings.env
      }
    });
    await body(work => deferred.push(work));
  } catch (err) {
    if (hub) console.error(hub.log());
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

/** One launch; never throws, so that a crowd's failures can be counted. */
export interface Launch {
  ok: boolean;
  ms: number;
  problem?: string;
}

/**
 * The test helpers for the hub at `hubUrl` (they read where it is, and its password, when first
 * imported), plus a timed launch and a stop.
 */
export async function benchSession(hubUrl: string, password: string) {
  process.env.ENVHUB_TEST_URL = hubUrl;
  process.env.ENVHUB_TEST_PASSWORD = password;
  const session = await import('../hub-service/test/support/hubSession.js');

  /** Binder link `url` as `user`, until the server's api/status answers through the proxy. */
  async function launch(
    url: string,
    user: string,
    token: string,
    server: string
  ): Promise<Launch> {
    const start = performance.now();
    try {
      const { events, body } = await session.readEventStream(url, token);
      if (events.at(-1)?.phase !== 'ready')
        throw new Error(`the launch did not end ready: ${body.slice(-300)}`);
      await answers(`${hubUrl}/user/${user}/${server}/api/status`, {
        Authorization: `token ${token}`
      });
      return { ok: true, ms: performance.now() - start };
    } catch (err) {
      return {
        ok: false,
        ms: performance.now() - start,
        problem: (err as Error).message
      };
    }
  }

  /** Stops the user's server through the Hub and waits until the Hub has it stopped. */
  async function stop(user: string, token: string, server: string) {
    const response = await session.hubApi(
      token,
      `/users/${user}/servers/${server}`,
      { method: 'DELETE' }
    );
    if (![202, 204].includes(response.status))
      throw new Error(`stopping ${user}/${server} answered ${response.status}`);
    await until(
      `${user}/${server} to stop`,
      async () => {
        const model = (await (
          await session.hubApi(token, `/users/${user}`)
        ).json()) as {
          servers?: Record<
            string,
            { ready?: boolean; pending?: string | null }
          >;
        };
        const state = model.servers?.[server];
        return !state?.ready && !state?.pending;
      },
      60_000,
      100
    );
  }

  return { ...session, launch, stop };
}
