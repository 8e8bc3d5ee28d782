import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
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
   */
  static async start(host = '127.0.0.1'): Promise<GitServer> {
    const root = await mkdtemp(join(tmpdir(), 'envhub-git-'));
    await mkdir(join(root, 'srv'));
    const server = createServer(async (req, res) => {
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

  async stop(): Promise<void> {
    await new Promise(resolve => this.server.close(resolve));
    await rm(this.root, { recursive: true, force: true });
  }
}
