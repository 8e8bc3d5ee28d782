import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  request,
  type Server
} from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the test server listens, and whether single sign-on tokens open it. */
export interface WebdavOptions {
  /** Address of its front (default 127.0.0.1; the Docker bridge's gateway for servers to reach it). */
  host?: string;
  /**
   * An OpenID Connect userinfo endpoint: an access token it accepts is its user's password, checked
   * at every request, as Nextcloud's OIDC app checks bearer tokens.
   */
  userinfo?: string;
}

/** A WebDAV account of the test server: its password and whether it may only read. */
export interface DavAccount {
  password: string;
  readOnly: boolean;
}

const freePort = () =>
  new Promise<number>(resolve => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

// What a read-only account may not do.
const WRITES = new Set([
  'PUT',
  'DELETE',
  'MKCOL',
  'MOVE',
  'COPY',
  'PROPPATCH',
  'LOCK'
]);

/**
 * A real WebDAV server on 127.0.0.1 (`rclone serve webdav`, Debian's rclone) serving one folder,
 * `root`, to the given accounts (passwords checked by davAuthProxy.mjs): what a Nextcloud with app
 * passwords is to envhub. A read-only account's writes are answered 403 in front of it, as a
 * read-only share's are (rclone has no per-account read-only setting; a union of read-only
 * upstreams, its nearest thing, stops listing a folder after a refused write in 1.60).
 */
export class WebdavServer {
  private constructor(
    private readonly process: ChildProcess,
    private readonly front: Server,
    private readonly dir: string,
    readonly root: string,
    readonly origin: string
  ) {}

  static async start(
    accounts: Record<string, DavAccount>,
    { host = '127.0.0.1', userinfo }: WebdavOptions = {}
  ): Promise<WebdavServer> {
    const dir = await mkdtemp(join(tmpdir(), 'envhub-dav-'));
    const root = join(dir, 'root');
    await mkdir(root);
    const port = await freePort();
    // How the front vouches for a user whose single sign-on token it checked: rclone caches an
    // account's password for 5 minutes, so a renewed token could not be passed through as one.
    const frontSecret = randomBytes(16).toString('hex');
    const proxy = fileURLToPath(new URL('davAuthProxy.mjs', import.meta.url));
    const child = spawn(
      'rclone',
      [
        'serve',
        'webdav',
        '--addr',
        `127.0.0.1:${port}`,
        '--auth-proxy',
        proxy,
        '--dir-cache-time',
        '1s',
        '--config',
        ''
      ],
      {
        stdio: 'ignore',
        env: {
          ...process.env,
          ENVHUB_TEST_DAV_ACCOUNTS: JSON.stringify(accounts),
          ENVHUB_TEST_DAV_ROOT: root,
          ENVHUB_TEST_DAV_FRONT_SECRET: frontSecret
        }
      }
    );
    const front = createHttpServer(async (req, res) => {
      const [user, ...rest] = Buffer.from(
        (req.headers.authorization ?? '').replace(/^Basic /, ''),
        'base64'
      )
        .toString()
        .split(':');
      const password = rest.join(':');
      if (userinfo && !accounts[user] && password) {
        const info = await fetch(userinfo, {
          headers: { Authorization: `Bearer ${password}` }
        }).catch(() => null);
        const owner =
          info?.ok &&
          ((await info.json()) as { preferred_username?: string })
            .preferred_username;
        if (owner === user)
          req.headers.authorization = `Basic ${Buffer.from(`${user}:${frontSecret}`).toString('base64')}`;
      }
      if (accounts[user]?.readOnly && WRITES.has(req.method!)) {
        req.resume();
        res.writeHead(403).end('read-only account');
        return;
      }
      const upstream = request(
        {
          host: '127.0.0.1',
          port,
          path: req.url,
          method: req.method,
          headers: req.headers
        },
        answer => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        }
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>(resolve => front.listen(0, host, resolve));
    const origin = `http://${host}:${(front.address() as AddressInfo).port}`;
    for (let i = 0; i < 100; i++) {
      const answer = await fetch(origin, { method: 'OPTIONS' }).catch(
        () => null
      );
      if (answer && answer.status !== 502)
        return new WebdavServer(child, front, dir, root, origin);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    child.kill();
    front.close();
    throw new Error('rclone serve webdav did not answer within 10 s');
  }

  async stop(): Promise<void> {
    const exited = new Promise(resolve => this.process.once('exit', resolve));
    this.process.kill();
    await exited;
    this.front.closeAllConnections();
    await new Promise(resolve => this.front.close(resolve));
    await rm(this.dir, { recursive: true, force: true });
  }
}
