import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import Docker from 'dockerode';
import { prepareBuildNetwork } from '../../src/builds/buildNetwork.js';
import { basePython, ImageBuilder } from '../../src/images/imageBuilder.js';
import { ImageCache } from '../../src/images/imageCache.js';
import { imageName } from '../../src/naming.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import { demultiplex } from '../support/docker.js';
import { namePrefix } from '../support/hubSession.js';

// envhub's own binder/ configuration, built by envhub's builder from this repository's HEAD:
// the dogfood check that the repository launches itself with its lab extension.
jest.setTimeout(1_200_000);

const docker = new Docker();
let root: string;
let server: Server;

beforeAll(async () => {
  // The builder fetches from git servers on 127.0.0.1, as the test hub allows.
  setAllowedRepoHosts(['127.0.0.1']);
  root = await mkdtemp(join(tmpdir(), 'envhub-self-'));
  const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
    encoding: 'utf8'
  }).trim();
  execFileSync('git', ['clone', '-q', '--bare', top, join(root, 'envhub.git')]);
  execFileSync('git', ['update-server-info'], {
    cwd: join(root, 'envhub.git')
  });
  server = createServer((req, res) => {
    const file = join(
      root,
      decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    );
    if (!file.startsWith(root)) return void res.writeHead(404).end();
    createReadStream(file)
      .on('error', () => res.writeHead(404).end())
      .pipe(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

test("this repository's binder/ builds into an image with the envhub lab extension", async () => {
  const repo = `http://127.0.0.1:${(server.address() as AddressInfo).port}/envhub.git`;
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
    encoding: 'utf8'
  }).trim();
  const store = new Store(':memory:');
  const baseImage = process.env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest';
  const builder = new ImageBuilder(
    docker,
    store,
    new ImageCache(docker, store, { namePrefix, budgetBytes: null, baseImage }),
    {
      baseImage,
      namePrefix,
      strictRuntime: false,
      availablePython: await basePython(docker, baseImage),
      network: prepareBuildNetwork(docker, { namePrefix, mirrors: [] }),
      limits: { memory: 4 * 1024 ** 3, cpus: 2 }
    }
  );
  const image = imageName(`${namePrefix}-`, repo, commit);
  let error: string | undefined;
  let log = '';
  for await (const entry of builder
    .build({ repo, ref: 'HEAD', commit, image, requestedBy: 'tests' })
    .subscribe()) {
    if ('line' in entry) log += entry.line;
    else error = entry.error;
  }
  expect(error).toBeUndefined();
  expect(log).toContain(
    'build pack: requirements.txt (configuration in binder/)'
  );
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['jupyter'],
    Cmd: ['labextension', 'list']
  });
  try {
    await container.start();
    await container.wait();
    const out = demultiplex(
      (await container.logs({ stdout: true, stderr: true })) as Buffer
    );
    expect(out).toMatch(/@envhub\/lab-extension v0\.1\.0 .*enabled.*OK/);
  } finally {
    await container.remove({ force: true });
  }
});
