import { jest } from '@jest/globals';
import Docker from 'dockerode';
import type { BuildLog } from '../../src/images/imageBuilder.js';
import { basePython, ImageBuilder } from '../../src/images/imageBuilder.js';
import { ImageCache, LABELS } from '../../src/images/imageCache.js';
import { imageName } from '../../src/naming.js';
import { Store } from '../../src/store/store.js';
import { demultiplex } from '../support/docker.js';
import { GitServer } from '../support/gitServer.js';
import { namePrefix } from '../support/hubSession.js';

// The builder against the real Docker engine and real git repositories served on 127.0.0.1.
jest.setTimeout(600_000);

const docker = new Docker();
const baseImage = process.env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest';
const store = new Store(':memory:');
let builder: ImageBuilder;
let git: GitServer;

const notebook = (text: string) =>
  JSON.stringify({ cells: [{ cell_type: 'markdown', metadata: {}, source: [text] }], metadata: {}, nbformat: 4, nbformat_minor: 5 });

/** Builds `repo` at `commit`; returns the image, the log and the error if the build failed. */
async function build(repo: string, commit: string) {
  const image = imageName(`${namePrefix}-`, git.url(repo), commit);
  let log = '';
  let error: string | undefined;
  for await (const entry of builder.build({ repo: git.url(repo), ref: 'main', commit, image, requestedBy: 'tests' }).subscribe()) {
    if ('line' in entry) log += entry.line;
    else error = (entry as Extract<BuildLog, { done: true }>).error;
  }
  return { image, log, error };
}

async function run(image: string, command: string[]): Promise<string> {
  const container = await docker.createContainer({ Image: image, Entrypoint: command.slice(0, 1), Cmd: command.slice(1), User: '1000' });
  try {
    await container.start();
    await container.wait();
    return demultiplex((await container.logs({ stdout: true, stderr: true })) as Buffer);
  } finally {
    await container.remove({ force: true });
  }
}

const layers = async (image: string) => (await docker.getImage(image).inspect()).RootFS.Layers ?? [];
const exists = async (image: string) => docker.getImage(image).inspect().then(() => true, () => false);

beforeAll(async () => {
  git = await GitServer.start();
  builder = new ImageBuilder(docker, store, new ImageCache(docker, store, { namePrefix, budgetBytes: null, baseImage }), {
    baseImage,
    namePrefix,
    strictRuntime: false,
    availablePython: await basePython(docker, baseImage)
  });
});
afterAll(() => git.stop());

describe('a typical Binder repository (requirements.txt, apt.txt, postBuild, start)', () => {
  let first: { image: string; log: string };

  test('builds, with its packages importable and its scripts applied', async () => {
    await git.commit('typical', {
      'binder/requirements.txt': 'toolz==0.12.1\n',
      'binder/apt.txt': '# a small Debian package\nfiglet\n',
      'binder/postBuild': '#!/bin/bash\nset -e\necho "postBuild ran in $PWD" > ~/.postbuild-marker\n',
      'binder/start': '#!/bin/bash\nexport ENVHUB_START_RAN=yes\nexec "$@"\n',
      'index.ipynb': notebook('first')
    });
    const commit = await git.chmodExecutable('typical', ['binder/postBuild', 'binder/start']);
    const result = await build('typical', commit);
    expect(result.error).toBeUndefined();
    first = result;
    expect(result.log).toContain('build pack: requirements.txt (configuration in binder/)');
    expect(await run(result.image, ['python', '-c', 'import toolz; print(toolz.__version__)'])).toBe('0.12.1\n');
    expect(await run(result.image, ['sh', '-c', 'command -v figlet'])).toBe('/usr/bin/figlet\n');
    expect(await run(result.image, ['cat', '/home/jovyan/.postbuild-marker'])).toBe('postBuild ran in /home/jovyan\n');
    expect(await run(result.image, ['ls', '/home/jovyan'])).toContain('index.ipynb');
    // The start script wraps the server command.
    const config = (await docker.getImage(result.image).inspect()).Config;
    expect(config.Entrypoint).toEqual(['tini', '--', '/srv/envhub/start']);
    expect(await run(result.image, ['tini', '--', '/srv/envhub/start', 'sh', '-c', 'echo $ENVHUB_START_RAN'])).toBe('yes\n');
    expect(config.Labels).toMatchObject({ [LABELS.commit]: commit, [LABELS.repo]: git.url('typical'), [LABELS.ref]: 'main' });
    expect(config.Labels?.[LABELS.fingerprint]).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a commit that only changes a notebook reuses every environment layer', async () => {
    const commit = await git.commit('typical', { 'index.ipynb': notebook('second') });
    const second = await build('typical', commit);
    expect(second.error).toBeUndefined();
    expect(second.log).toContain('nothing to reinstall');
    expect(second.log).not.toMatch(/Downloading|Installed \d+ package/);
    const environment = (await docker.getImage(second.image).inspect()).Config.Labels?.[LABELS.environmentImage] as string;
    expect((await docker.getImage(first.image).inspect()).Config.Labels?.[LABELS.environmentImage]).toBe(environment);
    const envLayers = await layers(environment);
    expect((await layers(first.image)).slice(0, envLayers.length)).toEqual(envLayers);
    expect((await layers(second.image)).slice(0, envLayers.length)).toEqual(envLayers);
  });

  test('the same commit is cached: the launcher finds its image and builds nothing', async () => {
    expect(await builder.exists(first.image)).toBe(true);
    expect(store.buildsOf(first.image)).toHaveLength(1);
  });
});

test('concurrent requests for one uncached commit join one build', async () => {
  const commit = await git.commit('concurrent', { 'requirements.txt': 'toolz==0.12.1\n', 'a.ipynb': notebook('x') });
  const results = await Promise.all(Array.from({ length: 5 }, () => build('concurrent', commit)));
  expect(results.every(r => r.error === undefined)).toBe(true);
  expect(new Set(results.map(r => r.image)).size).toBe(1);
  expect(store.buildsOf(results[0].image)).toHaveLength(1);
});

describe('failures name the file and the reason, and leave no image', () => {
  test('a requirement that does not exist', async () => {
    const commit = await git.commit('broken', { 'requirements.txt': 'envhub-no-such-package-4711==1.0\n' });
    const result = await build('broken', commit);
    expect(result.error).toContain('envhub-no-such-package-4711');
    expect(await exists(result.image)).toBe(false);
    expect(store.latestBuild(result.image)?.status).toBe('failed');
  });

  test('a postBuild that is not executable', async () => {
    const commit = await git.commit('noexec', { 'postBuild': 'echo hi\n', 'requirements.txt': '' });
    const result = await build('noexec', commit);
    expect(result.error).toContain('postBuild is not executable');
    expect(await exists(result.image)).toBe(false);
  });

  test('both binder/ and .binder/', async () => {
    const commit = await git.commit('twodirs', { 'binder/requirements.txt': '', '.binder/requirements.txt': '' });
    const result = await build('twodirs', commit);
    expect(result.error).toMatch(/binder\/.*\.binder\/|\.binder\/.*binder\//);
    expect(await exists(result.image)).toBe(false);
  });

  test('a Dockerfile whose base image this hub cannot have', async () => {
    const commit = await git.commit('dockerfile-missing-base', { Dockerfile: 'FROM registry.example.org/nothing:1\nRUN true\n' });
    const result = await build('dockerfile-missing-base', commit);
    expect(result.error).toContain('registry.example.org/nothing:1');
    expect(result.error).toContain('Dockerfile');
    expect(await exists(result.image)).toBe(false);
  });
});

test('a Dockerfile repository is built as it is, with the NB_USER and NB_UID build args', async () => {
  const commit = await git.commit('dockerfile', {
    Dockerfile: `FROM ${baseImage}\nARG NB_USER\nARG NB_UID\nRUN echo "$NB_USER:$NB_UID" > /tmp/build-args\n`
  });
  const result = await build('dockerfile', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: dockerfile');
  expect(await run(result.image, ['cat', '/tmp/build-args'])).toBe('jovyan:1000\n');
});

test('environment.yml: its pip section and PyPI-available conda packages are installed', async () => {
  const commit = await git.commit('conda', {
    'environment.yml': 'name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - toolz=0.12\n  - pip\n  - pip:\n    - six==1.16.0\n'
  });
  const result = await build('conda', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: environment.yml');
  expect(await run(result.image, ['python', '-c', 'import six, toolz; print(six.__version__)'])).toBe('1.16.0\n');
});

test('Pipfile.lock: the locked packages are installed', async () => {
  const lock = {
    _meta: { hash: { sha256: 'x' }, 'pipfile-spec': 6, requires: {}, sources: [{ name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }] },
    default: { toolz: { version: '==0.12.1' } },
    develop: {}
  };
  const commit = await git.commit('pipfile', { Pipfile: '[packages]\ntoolz = "*"\n', 'Pipfile.lock': JSON.stringify(lock) });
  const result = await build('pipfile', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: pipfile');
  expect(await run(result.image, ['python', '-c', 'import toolz; print(toolz.__version__)'])).toBe('0.12.1\n');
});

test('setup.py at the root: the repository itself is installed', async () => {
  const commit = await git.commit('setuppy', {
    'setup.py': 'from setuptools import setup\nsetup(name="envhubdemo", version="1.0", py_modules=["envhubdemo"])\n',
    'envhubdemo.py': 'ANSWER = 42\n'
  });
  const result = await build('setuppy', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: setup.py');
  expect(await run(result.image, ['sh', '-c', 'cd / && python -c "import envhubdemo; print(envhubdemo.ANSWER)"'])).toBe('42\n');
});

test('runtime.txt asking for a Python the hub lacks: a warning in the log, and the closest version', async () => {
  const commit = await git.commit('runtime', { 'runtime.txt': 'python-3.8\n', 'requirements.txt': 'toolz==0.12.1\n' });
  const result = await build('runtime', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toMatch(/warning: .*runtime\.txt.*3\.8.*3\.11/);
});
