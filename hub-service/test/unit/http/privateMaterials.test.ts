import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  syncMaterials,
  type MaterialsEntry
} from '../../../src/launches/materialsSync.js';
import type { RepoAccess } from '../../../src/repos/repoPolicy.js';
import {
  FORGE_TOKEN,
  FORGE_USER,
  forgeAuthorization,
  REPO_HOST,
  testApp,
  type TestApp
} from '../../support/fakes.js';

/**
 * Course materials from private repositories, as the service hands them to a server's extension:
 * each entry checked as a build checks its repository against the test forge (/private/ asks to
 * sign in), and the owner's credential sent beside the list for a private entry only. The
 * extension's side (git pulling with the header) is tested by envhub/tests.
 */

let app: TestApp;
let extension: Server;
let puts: Record<string, unknown>[];
let proxyUrl: string;
beforeEach(async () => {
  app = await testApp();
  puts = [];
  // envhub's server extension: keeps the PUT bodies, then finishes every entry of the pull.
  extension = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      if (req.method === 'PUT') {
        puts.push(JSON.parse(body));
        return void res.writeHead(200).end('{"materials": []}');
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (const index of [0, 1])
        res.write(`data: ${JSON.stringify({ phase: 'finished', index })}\n\n`);
      res.end();
    });
  });
  await new Promise<void>(resolve => extension.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(extension.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise(resolve => extension.close(resolve));
  await app.close();
});

/** The owner's way into repositories, as Launcher.repoAccess gives it: a credential for `hosts`. */
const owner = (...hosts: string[]): RepoAccess => ({
  allowedHosts: [REPO_HOST],
  credential: async host =>
    hosts.includes(host) ? { username: FORGE_USER, token: FORGE_TOKEN } : null
});
const forgeHost = () => new URL(app.forge.url).host;

async function sync(materials: MaterialsEntry[], access?: RepoAccess) {
  const lines: string[] = [];
  const failed = await syncMaterials(
    '/user/alice/course/',
    materials,
    { proxyUrl, token: 'service-token' },
    line => lines.push(line),
    access
  );
  return { failed, lines };
}

test("a private entry's pull gets the owner's credential for its origin, beside the list; a public one gets none", async () => {
  const materials = [
    { repo: `${app.forge.url}/private/course.git`, path: 'course' },
    { repo: `${app.forge.url}/lab/open.git`, path: 'open' }
  ];
  const { failed, lines } = await sync(materials, owner(forgeHost()));
  expect(failed).toBe(0);
  const auth = forgeAuthorization(FORGE_USER, FORGE_TOKEN);
  expect(puts).toEqual([
    {
      materials,
      authorizations: [{ origin: app.forge.url, value: auth }, null]
    }
  ]);
  // As for a build: asked anonymously first, with the credential only after the forge's 401.
  expect(app.forge.requests.sort()).toEqual([
    '/lab/open.git/info/refs?service=git-upload-pack',
    '/private/course.git/info/refs?service=git-upload-pack',
    `/private/course.git/info/refs?service=git-upload-pack (${auth})`
  ]);
  expect(lines).toEqual([]);
});

test('without a credential the list goes without one, and the report says what to store', async () => {
  const materials = [
    { repo: `${app.forge.url}/private/course.git`, path: 'course' }
  ];
  const { lines } = await sync(materials, owner());
  expect(puts).toEqual([{ materials }]);
  expect(lines).toEqual([
    `course materials course: the repository ${materials[0].repo} is private (${forgeHost()} asks to sign in); store your token for ${forgeHost()} under "Your credentials" on envhub's page and launch again`
  ]);
  expect(app.forge.requests.join()).not.toContain('Basic');
});

test('a credential is never sent for another origin: a private repository that moved host is reported', async () => {
  const materials = [
    { repo: `${app.forge.url}/moved/course.git`, path: 'course' }
  ];
  const newHost = `localhost:${new URL(app.forge.url).port}`;
  const { lines } = await sync(materials, owner(forgeHost(), newHost));
  expect(puts).toEqual([{ materials }]);
  expect(lines).toEqual([
    `course materials course: the repository ${materials[0].repo} is private and redirects to http://${newHost}/private/course.git/, where its pull cannot sign in; give that address in materials`
  ]);
  expect(lines.join()).not.toContain(FORGE_TOKEN);
});

test("without the owner's access no repository is asked and none gets a credential", async () => {
  const materials = [
    { repo: `${app.forge.url}/private/course.git`, path: 'course' }
  ];
  await sync(materials);
  expect(puts).toEqual([{ materials }]);
  expect(app.forge.requests).toEqual([]);
});
