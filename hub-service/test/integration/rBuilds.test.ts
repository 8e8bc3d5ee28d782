import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { prepareBuildNetwork } from '../../src/builds/buildNetwork.js';
import type { BuildLog } from '../../src/images/imageBuilder.js';
import { basePython, ImageBuilder } from '../../src/images/imageBuilder.js';
import { ImageCache } from '../../src/images/imageCache.js';
import { imageName } from '../../src/naming.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import { demultiplex } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import { namePrefix } from '../support/hubSession.js';

// R environments from Debian's packages, built by the real builder from repositories served on
// 127.0.0.1. The first build installs r-base-core and its dependencies from the Debian archive.
jest.setTimeout(900_000);

const docker = new Docker();
const baseImage = process.env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest';
const store = new Store(':memory:');
let git: GitServer;
let network: Promise<string>;

/** A package Debian does not have (there is no r-cran-envhubnosuchpkg). */
const MISSING = 'envhubNoSuchPkg';
const MISSING_WARNING = `[envhub] warning: install.R asks for R packages Debian bookworm does not have: ${MISSING}; they are left out\n`;

async function builder(strictRuntime: boolean): Promise<ImageBuilder> {
  return new ImageBuilder(
    docker,
    store,
    new ImageCache(docker, store, { namePrefix, budgetBytes: null, baseImage }),
    {
      baseImage,
      namePrefix,
      strictRuntime,
      availablePython: await basePython(docker, baseImage),
      network,
      limits: { memory: 2 * 1024 ** 3, cpus: 1 }
    }
  );
}

/** Builds `repo` at `commit`; returns the image, the log and the error if the build failed. */
async function build(by: ImageBuilder, repo: string, commit: string) {
  const image = imageName(`${namePrefix}-`, git.url(repo), commit);
  let log = '';
  let error: string | undefined;
  for await (const entry of by
    .build({
      repo: git.url(repo),
      ref: 'main',
      commit,
      image,
      requestedBy: 'tests'
    })
    .subscribe()) {
    if ('line' in entry) log += entry.line;
    else error = (entry as Extract<BuildLog, { done: true }>).error;
  }
  return { image, log, error };
}

/** Runs `command` in `image` as jovyan; returns its output (stdout and stderr). */
async function run(image: string, command: string[]): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: command.slice(0, 1),
    Cmd: command.slice(1),
    User: '1000'
  });
  try {
    await container.start();
    await container.wait();
    return demultiplex(
      (await container.logs({ stdout: true, stderr: true })) as Buffer
    );
  } finally {
    await container.remove({ force: true });
  }
}

beforeAll(async () => {
  setAllowedRepoHosts(['127.0.0.1']);
  git = await GitServer.start();
  network = prepareBuildNetwork(docker, { namePrefix, mirrors: [] });
});
afterAll(() => git.stop());

describe('install.R with a package Debian has and one it lacks', () => {
  const installR = `install.packages(c("jsonlite", "${MISSING}"))\n`;
  let first: { image: string; log: string };

  test('builds R with the IR kernel; the missing package is a warning in the build log', async () => {
    const commit = await git.commit('r-install', {
      'install.R': installR,
      'README.md': 'first\n'
    });
    const result = await build(await builder(false), 'r-install', commit);
    expect(result.error).toBeUndefined();
    first = result;
    expect(result.log).toContain('[envhub] build pack: r\n');
    expect(result.log).toContain(MISSING_WARNING);
    expect(
      await run(result.image, [
        'R',
        '--quiet',
        '--no-save',
        '-e',
        'library(jsonlite); cat("loaded", toJSON(1:2), "\\n")'
      ])
    ).toContain('loaded [1,2]');
    expect(await run(result.image, ['jupyter', 'kernelspec', 'list'])).toMatch(
      /^\s*ir\s+\/usr\/share\/jupyter\/kernels\/ir$/m
    );
  });

  test('a commit that reuses the environment still says which package was left out', async () => {
    expect(first).toBeDefined();
    const commit = await git.commit('r-install', { 'README.md': 'second\n' });
    const result = await build(await builder(false), 'r-install', commit);
    expect(result.error).toBeUndefined();
    expect(result.log).toContain('nothing to reinstall');
    expect(result.log).toContain(MISSING_WARNING);
  });

  test('strict runtime mode fails the build, naming the missing package', async () => {
    const commit = await git.commit('r-install-strict', {
      'install.R': installR
    });
    const result = await build(await builder(true), 'r-install-strict', commit);
    expect(result.error).toContain(
      `install.R asks for R packages Debian bookworm does not have: ${MISSING} (strict runtime mode)`
    );
    expect(
      await docker
        .getImage(result.image)
        .inspect()
        .then(
          () => true,
          () => false
        )
    ).toBe(false);
  });
});
