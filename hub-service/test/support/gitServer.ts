import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    [
      '-c',
      'user.name=envhub tests',
      '-c',
      'user.email=tests@envhub.invalid',
      ...args
    ],
    { cwd, encoding: 'utf8' }
  ).trim();

/** Answers one request with `git http-backend` (a CGI program) over the repositories in `root`. */
function httpBackend(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  signedIn?: string
): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      // A signed-in user may push (git http-backend enables receive-pack for them), as on a forge.
      ...(signedIn ? { REMOTE_USER: signedIn } : {})
    }
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let body = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (body) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    body = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const [name, value] = [
        line.slice(0, colon),
        line.slice(colon + 1).trim()
      ];
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  cgi.on('close', () => res.end());
}

/**
 * Real git repositories served over HTTP on 127.0.0.1 with git's "dumb" protocol, the way a
 * forge or a static file server would serve them.
 */
export class GitServer {
  private constructor(
    private readonly root: string,
    private readonly server: Server,
    private readonly host: string
  ) {}

  /**
   * Serves on `host`: 127.0.0.1 for the service's own fetches; the Docker bridge's gateway for
   * repositories that servers fetch themselves (course materials), as they cannot reach loopback.
   * `smart`: git's smart HTTP protocol (`git http-backend`), as forges speak it, which shallow
   * clones need; otherwise the "dumb" protocol of a static file server.
   */
  static async start(
    host = '127.0.0.1',
    options: {
      smart?: boolean;
      /** Serve only requests that sign in with this user name and token (HTTP Basic), as a private forge. */
      credential?: { username: string; token: string };
    } = {}
  ): Promise<GitServer> {
    const root = await mkdtemp(join(tmpdir(), 'envhub-git-'));
    await mkdir(join(root, 'srv'));
    const expected = options.credential
      ? `Basic ${Buffer.from(`${options.credential.username}:${options.credential.token}`).toString('base64')}`
      : undefined;
    const server = createServer(async (req, res) => {
      if (expected && req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="forge"' });
        return void res.end();
      }
      if (options.smart)
        return httpBackend(
          join(root, 'srv'),
          req,
          res,
          options.credential?.username
        );
      const path = normalize(
        decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      );
      const file = join(root, 'srv', path);
      try {
        if (!file.startsWith(join(root, 'srv')) || !(await stat(file)).isFile())
          throw new Error('not a file');
        createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>(resolve => server.listen(0, host, resolve));
    return new GitServer(root, server, host);
  }

  /** The clone URL of repository `name`. */
  url(name: string): string {
    return `http://${this.host}:${(this.server.address() as AddressInfo).port}/${name}.git`;
  }

  /** Commits `files` (path → content) to branch `main` of `name`, creating it if needed; returns the commit. */
  async commit(
    name: string,
    files: Record<string, string>,
    message = 'update'
  ): Promise<string> {
    const work = join(this.root, 'work', name);
    const bare = join(this.root, 'srv', `${name}.git`);
    try {
      await stat(work);
    } catch {
      await mkdir(work, { recursive: true });
      git(work, 'init', '-q', '-b', 'main');
      git(this.root, 'init', '-q', '--bare', '-b', 'main', bare);
      git(work, 'remote', 'add', 'origin', bare);
    }
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '--allow-empty', '-m', message);
    git(work, 'push', '-q', 'origin', 'main');
    git(bare, 'update-server-info');
    return git(work, 'rev-parse', 'HEAD');
  }

  /** Replaces the history of `name` with one new commit holding `files` (an upstream force-push). */
  async rewrite(name: string, files: Record<string, string>): Promise<string> {
    const work = join(this.root, 'work', name);
    git(work, 'checkout', '-q', '--orphan', 'rewritten');
    git(work, 'rm', '-rq', '--cached', '.');
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'history rewritten');
    git(work, 'branch', '-q', '-M', 'main');
    git(work, 'push', '-q', '--force', 'origin', 'main');
    git(join(this.root, 'srv', `${name}.git`), 'update-server-info');
    return git(work, 'rev-parse', 'HEAD');
  }

  /** Makes files of `name` executable and commits that. */
  async chmodExecutable(name: string, paths: string[]): Promise<string> {
    const work = join(this.root, 'work', name);
    for (const path of paths) await chmod(join(work, path), 0o755);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'make scripts executable');
    git(work, 'push', '-q', 'origin', 'main');
    git(join(this.root, 'srv', `${name}.git`), 'update-server-info');
    return git(work, 'rev-parse', 'HEAD');
  }

  /** The subject of the last commit on `main` of `name` as served (pushes included). */
  lastCommitMessage(name: string): string {
    return git(
      join(this.root, 'srv', `${name}.git`),
      'log',
      '-1',
      '--format=%s',
      'main'
    ).trim();
  }

  async stop(): Promise<void> {
    await new Promise(resolve => this.server.close(resolve));
    await rm(this.root, { recursive: true, force: true });
  }
}
