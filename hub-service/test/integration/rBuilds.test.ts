import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { prepareBuildNetwork } from '../../src/builds/buildNetwork.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import {
  buildRepo,
  imageExists,
  runIn,
  testBuilder
} from '../support/builds.js';
import { GitServer } from '../support/gitServer.js';
import { namePrefix } from '../support/hubSession.js';

// R environments from Debian's packages, built by the real builder from repositories served on
// 127.0.0.1. The first build installs r-base-core and its dependencies from the Debian archive.
jest.setTimeout(900_000);

const docker = new Docker();
const store = new Store(':memory:');
let git: GitServer;
let network: Promise<string>;

/** A package Debian does not have (there is no r-cran-envhubnosuchpkg). */
const MISSING = 'envhubNoSuchPkg';
const MISSING_WARNING = `[envhub] warning: install.R asks for R packages Debian bookworm does not have: ${MISSING}; they are left out\n`;

/** Builds `repo` at `commit` with a new builder, in strict runtime mode or not. */
const build = async (strictRuntime: boolean, repo: string, commit: string) =>
  buildRepo(
    await testBuilder(docker, store, { strictRuntime, network }),
    git,
    repo,
    commit
  );

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
    const result = await build(false, 'r-install', commit);
    expect(result.error).toBeUndefined();
    first = result;
    expect(result.log).toContain('[envhub] build pack: r\n');
    expect(result.log).toContain(MISSING_WARNING);
    expect(
      await runIn(result.image, [
        'R',
        '--quiet',
        '--no-save',
        '-e',
        'library(jsonlite); cat("loaded", toJSON(1:2), "\\n")'
      ])
    ).toContain('loaded [1,2]');
    expect(
      await runIn(result.image, ['jupyter', 'kernelspec', 'list'])
    ).toMatch(/^\s*ir\s+\/usr\/share\/jupyter\/kernels\/ir$/m);
  });

  test('a commit that reuses the environment still says which package was left out', async () => {
    expect(first).toBeDefined();
    const commit = await git.commit('r-install', { 'README.md': 'second\n' });
    const result = await build(false, 'r-install', commit);
    expect(result.error).toBeUndefined();
    expect(result.log).toContain('nothing to reinstall');
    expect(result.log).toContain(MISSING_WARNING);
  });

  test('strict runtime mode fails the build, naming the missing package', async () => {
    const commit = await git.commit('r-install-strict', {
      'install.R': installR
    });
    const result = await build(true, 'r-install-strict', commit);
    expect(result.error).toContain(
      `install.R asks for R packages Debian bookworm does not have: ${MISSING} (strict runtime mode)`
    );
    expect(await imageExists(result.image)).toBe(false);
  });
});

test('a DESCRIPTION: its Imports come from Debian, and the package itself is not installed', async () => {
  const commit = await git.commit('r-description', {
    DESCRIPTION: [
      'Package: envhubdemo',
      'Title: A demo',
      'Version: 0.1.0',
      'Depends: R (>= 4.0)',
      'Imports:',
      '    jsonlite (>= 1.0)',
      ''
    ].join('\n')
  });
  const result = await build(false, 'r-description', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('[envhub] build pack: r\n');
  const out = await runIn(result.image, [
    'R',
    '--quiet',
    '--no-save',
    '-e',
    'library(jsonlite); cat("loaded", toJSON(3), requireNamespace("envhubdemo", quietly = TRUE), "\\n")'
  ]);
  expect(out).toContain('loaded [3] FALSE');
});

describe('runtime.txt asking for another R version and a CRAN date', () => {
  const files = {
    'runtime.txt': 'r-4.3.2-2024-01-10\n',
    'install.R': 'install.packages("jsonlite")\n'
  };

  test("Debian's R is used, and the log says so", async () => {
    const commit = await git.commit('r-runtime', files);
    const result = await build(false, 'r-runtime', commit);
    expect(result.error).toBeUndefined();
    expect(result.log).toContain(
      "[envhub] warning: runtime.txt asks for R 4.3.2, but this hub provides only R 4.2 (Debian bookworm's): using R 4.2 instead; its CRAN snapshot date 2024-01-10 cannot be honoured"
    );
    expect(
      await runIn(result.image, [
        'R',
        '--quiet',
        '--no-save',
        '-e',
        'library(jsonlite); cat(R.version$major, R.version$minor, "\\n")'
      ])
    ).toMatch(/^4 2\.\d/m);
  });

  test('strict runtime mode refuses it, saying what to ask for', async () => {
    const commit = await git.commit('r-runtime-strict', files);
    const result = await build(true, 'r-runtime-strict', commit);
    expect(result.error).toContain(
      "runtime.txt asks for R 4.3.2, but this hub provides only R 4.2 (Debian bookworm's) (strict runtime mode): ask for r-4.2-2024-01-10 there"
    );
    expect(await imageExists(result.image)).toBe(false);
  });
});
