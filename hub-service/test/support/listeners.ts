import {
  createServer as createHttpServer,
  type Server as HttpServer
} from 'node:http';
import {
  createServer,
  type AddressInfo,
  type Server,
  type Socket
} from 'node:net';

const listen = (server: Server | HttpServer, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

const close = (server: Server | HttpServer) =>
  new Promise(resolve => server.close(resolve));

/**
 * A TCP listener on one port of several local addresses that records every connection it gets:
 * an address that must never be contacted points here, and `contacts` says whether it was.
 */
export class Canary {
  private constructor(
    private readonly servers: Server[],
    readonly port: number,
    /** Every connection: the local address it reached. */
    readonly contacts: string[],
    private readonly sockets: Set<Socket>
  ) {}

  /** Listens on the same free port of every address in `hosts`. */
  static async start(hosts: string[]): Promise<Canary> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const servers: Server[] = [];
      const contacts: string[] = [];
      const sockets = new Set<Socket>();
      const make = () =>
        createServer(socket => {
          contacts.push(socket.localAddress ?? '?');
          sockets.add(
            socket
              .on('close', () => sockets.delete(socket))
              .on('error', () => undefined)
          );
          socket.end(
            'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
          );
        });
      try {
        let port = 0;
        for (const host of hosts) {
          const server = make();
          servers.push(server);
          await listen(server, port, host);
          port = (server.address() as AddressInfo).port;
        }
        return new Canary(servers, port, contacts, sockets);
      } catch (err) {
        await Promise.all(servers.filter(s => s.listening).map(close));
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new Error('no port is free on every canary address');
  }

  async stop(): Promise<void> {
    this.sockets.forEach(socket => socket.destroy());
    await Promise.all(this.servers.map(close));
  }
}

/**
 * An HTTP server on 127.0.0.1 that answers every request under `/<name>/` with a redirect to the
 * target registered for `name`, keeping the rest of the path and the query (as a forge that moved
 * a repository does). Records the requests it answers.
 */
export class Redirector {
  readonly requests: string[] = [];
  private readonly targets = new Map<
    string,
    { location: string; status: number }
  >();
  private readonly server = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    this.requests.push(url);
    const [, name, rest = ''] = url.match(/^\/([^/?]+)(.*)$/) ?? [];
    const target = name === undefined ? undefined : this.targets.get(name);
    if (!target) res.writeHead(404).end();
    else
      res.writeHead(target.status, { Location: target.location + rest }).end();
  });

  static async start(): Promise<Redirector> {
    const redirector = new Redirector();
    await listen(redirector.server, 0, '127.0.0.1');
    return redirector;
  }

  /** The URL of a repository that redirects (with `status`) to `location` plus the requested path. */
  redirect(name: string, location: string, status = 302): string {
    this.targets.set(name, { location, status });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${name}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await close(this.server);
  }
}
