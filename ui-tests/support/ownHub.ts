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

const ROOT = new URL('../../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * A JupyterHub with the envhub service of a test's own, started as `make up` runs it
 * (deploy/serve.sh) on `port` (to port + 3) with the name prefix `prefix` and its own data
 * directory, for tests that need another sign-in than the test hub's. Of the environment's
 * ENVHUB_* settings only the base image and the Hub's address carry over; `env` adds the test's.
 */
export class OwnHub {
  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly prefix: string
  ) {}

  static async start(options: {
    port: number;
    prefix: string;
    env: Record<string, string>;
  }): Promise<OwnHub> {
    const { port, prefix } = options;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !name.startsWith('ENVHUB_') ||
          ['ENVHUB_BASE_IMAGE', 'ENVHUB_HUB_IP'].includes(name)
      )
    );
    const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const log = openSync(join(dataDir, 'hub.log'), 'a');
    const child = spawn(join(ROOT, 'deploy/serve.sh'), [], {
      env: {
        ...inherited,
        ENVHUB_PORT: String(port),
        ENVHUB_NAME_PREFIX: prefix,
        ENVHUB_DATA_DIR: dataDir,
        ENVHUB_CONFIG: join(ROOT, 'ui-tests/fixtures/site-config.json'),
        ...options.env
      },
      stdio: ['ignore', log, log]
    });
    closeSync(log);
    const hub = new OwnHub(child, dataDir, prefix);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const health = (await fetch(`${url}/services/envhub/api/health`)
        .then(r => r.json())
        .catch(() => null)) as { hub?: { ok: boolean } } | null;
      if (health?.hub?.ok) return hub;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(
          `the hub on port ${port} did not start\n--- hub log ---\n${hub.log()}`
        );
      await sleep(250);
    }
  }

  /** The end of the hub's log. */
  log(): string {
    return readFileSync(join(this.dataDir, 'hub.log'), 'utf8').slice(-4000);
  }

  /**
   * Stops the hub as Ctrl-C does (30 s, then kills it), removes what it made in Docker under its
   * prefix (containers, volumes, images, networks) and its data directory.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGINT');
      if (!(await Promise.race([exited.then(() => true), sleep(30_000)]))) {
        this.child.kill('SIGKILL');
        await exited;
      }
    }
    const docker = (...args: string[]) =>
      execFileSync('docker', args, { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    const named = `name=^${this.prefix}-`;
    const containers = docker('ps', '-aq', '--filter', named);
    if (containers.length) docker('rm', '-f', ...containers);
    const volumes = docker('volume', 'ls', '-q', '--filter', named);
    if (volumes.length) docker('volume', 'rm', ...volumes);
    const images = docker(
      'images',
      '--format',
      '{{.Repository}}:{{.Tag}}'
    ).filter(image => image.startsWith(`${this.prefix}-`));
    if (images.length) docker('rmi', '-f', ...images);
    const networks = docker('network', 'ls', '-q', '--filter', named);
    if (networks.length) docker('network', 'rm', ...networks);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
