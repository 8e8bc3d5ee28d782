import { afterEach, describe, expect, test } from '@jest/globals';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { syncMaterials } from '../../src/launches/materialsSync.js';

// The relay between a launch and envhub's server extension; the extension itself (nbgitpuller's
// merges in a real server) is tested by envhub/tests and the integration tests.
let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>(resolve =>
      server ? server.close(() => resolve()) : resolve()
    )
);

async function extension(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void
): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => handle(req, body, res));
  });
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const materials = [
  { repo: 'https://forge.example.org/course/week.git', path: 'week' },
  { repo: 'https://forge.example.org/course/data.git' }
];

describe('pulling course materials inside a server', () => {
  test('stores the list, pulls, relays every line and counts the entries that failed', async () => {
    const seen: string[] = [];
    const proxyUrl = await extension((req, body, res) => {
      seen.push(
        `${req.method} ${req.url} ${req.headers.authorization} ${body}`
      );
      if (req.method === 'PUT')
        return void res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end('{"materials": []}');
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      const send = (event: object) =>
        res.write(`data: ${JSON.stringify(event)}\n\n`);
      send({ phase: 'syncing', index: 0, output: '$ git fetch\n' });
      send({ phase: 'finished', index: 0 });
      send({ phase: 'error', index: 1, message: 'histories diverged' });
      res.end();
    });
    const lines: string[] = [];
    const failed = await syncMaterials(
      '/user/ada/course/',
      materials,
      { proxyUrl, token: 'svc' },
      line => lines.push(line)
    );
    expect(failed).toBe(1);
    expect(lines).toEqual([
      '$ git fetch',
      'course materials https://forge.example.org/course/data.git: histories diverged'
    ]);
    expect(seen[0]).toBe(
      `PUT /user/ada/course/envhub/api/materials token svc ${JSON.stringify({ materials })}`
    );
    expect(seen[1]).toMatch(
      /^POST \/user\/ada\/course\/envhub\/api\/materials\/pull token svc/
    );
  });

  test('a stream cut off before an entry finished counts it as failed', async () => {
    const proxyUrl = await extension((req, _body, res) => {
      if (req.method === 'PUT') return void res.writeHead(200).end('{}');
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      // The first entry's end reaches the client, then the connection dies mid-stream.
      res.write(
        `data: ${JSON.stringify({ phase: 'finished', index: 0 })}\n\n`,
        () => setTimeout(() => res.destroy(), 50)
      );
    });
    expect(
      await syncMaterials(
        '/user/ada/course/',
        materials,
        { proxyUrl, token: 'svc' },
        () => undefined
      )
    ).toBe(1);
  });

  test('a refusal or an unreachable server is reported, never thrown', async () => {
    const proxyUrl = await extension((_req, _body, res) =>
      res
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end('{"message": "materials.0.path must stay inside the home"}')
    );
    const lines: string[] = [];
    expect(
      await syncMaterials(
        '/user/ada/course/',
        materials,
        { proxyUrl, token: 'svc' },
        line => lines.push(line)
      )
    ).toBe(2);
    expect(lines).toEqual([
      'course materials: the server refused the list (400): materials.0.path must stay inside the home'
    ]);
    const gone: string[] = [];
    expect(
      await syncMaterials(
        '/user/ada/course/',
        materials,
        { proxyUrl: 'http://127.0.0.1:1', token: 'svc' },
        line => gone.push(line)
      )
    ).toBe(2);
    expect(gone[0]).toMatch(/^course materials: the pull did not complete/);
  });
});
