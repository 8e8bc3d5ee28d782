import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { EnvhubError } from '../../src/errors.js';
import { labelInstruction } from '../../src/images/buildPacks/dockerfile.js';
import { removeBuildLeftovers } from '../../src/images/buildLeftovers.js';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { LABELS } from '../../src/images/imageCache.js';
import { imageName } from '../../src/naming.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import {
  baseImage,
  buildRepo,
  imageExists,
  runIn,
  testBuilder
} from '../support/builds.js';
import { GitServer } from '../support/gitServer.js';
import { namePrefix } from '../support/hubSession.js';

// The builder against the real Docker engine and real git repositories served on 127.0.0.1.
jest.setTimeout(600_000);

const docker = new Docker();
const store = new Store(':memory:');
let builder: ImageBuilder;
let git: GitServer;

const notebook = (text: string) =>
  JSON.stringify({
    cells: [{ cell_type: 'markdown', metadata: {}, source: [text] }],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5
  });

/** Builds `repo` at `commit` with this file's builder. */
const build = (repo: string, commit: string) =>
  buildRepo(builder, git, repo, commit);
const layers = async (image: string) =>
  (await docker.getImage(image).inspect()).RootFS.Layers ?? [];

beforeAll(async () => {
  // The builder fetches from git servers on 127.0.0.1, as the test hub allows.
  setAllowedRepoHosts(['127.0.0.1']);
  git = await GitServer.start();
  builder = await testBuilder(docker, store);
});
afterAll(() => git.stop());

describe('a typical Binder repository (requirements.txt, apt.txt, postBuild, start)', () => {
  let first: { image: string; log: string };

  test('builds, with its packages importable and its scripts applied', async () => {
    await git.commit('typical', {
      'binder/requirements.txt': 'toolz==0.12.1\n',
      'binder/apt.txt': '# a small Debian package\nfiglet\n',
      'binder/postBuild':
        '#!/bin/bash\nset -e\necho "postBuild ran in $PWD" > ~/.postbuild-marker\n',
      'binder/start': '#!/bin/bash\nexport ENVHUB_START_RAN=yes\nexec "$@"\n',
      'index.ipynb': notebook('first')
    });
    const commit = await git.chmodExecutable('typical', [
      'binder/postBuild',
      'binder/start'
    ]);
    const result = await build('typical', commit);
    expect(result.error).toBeUndefined();
    first = result;
    expect(result.log).toContain(
      'build pack: requirements.txt (configuration in binder/)'
    );
    expect(
      await runIn(result.image, [
        'python',
        '-c',
        'import toolz; print(toolz.__version__)'
      ])
    ).toBe('0.12.1\n');
    expect(await runIn(result.image, ['sh', '-c', 'command -v figlet'])).toBe(
      '/usr/bin/figlet\n'
    );
    expect(
      await runIn(result.image, ['cat', '/home/jovyan/.postbuild-marker'])
    ).toBe('postBuild ran in /home/jovyan\n');
    expect(await runIn(result.image, ['ls', '/home/jovyan'])).toContain(
      'index.ipynb'
    );
    // The start script wraps the server command.
    const config = (await docker.getImage(result.image).inspect()).Config;
    expect(config.Entrypoint).toEqual(['tini', '--', '/srv/envhub/start']);
    expect(
      await runIn(result.image, [
        'tini',
        '--',
        '/srv/envhub/start',
        'sh',
        '-c',
        'echo $ENVHUB_START_RAN'
      ])
    ).toBe('yes\n');
    expect(config.Labels).toMatchObject({
      [LABELS.commit]: commit,
      [LABELS.repo]: git.url('typical'),
      [LABELS.ref]: 'main'
    });
    expect(config.Labels?.[LABELS.fingerprint]).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a commit that only changes a notebook reuses every environment layer', async () => {
    const commit = await git.commit('typical', {
      'index.ipynb': notebook('second')
    });
    const second = await build('typical', commit);
    expect(second.error).toBeUndefined();
    expect(second.log).toContain('nothing to reinstall');
    expect(second.log).not.toMatch(/Downloading|Installed \d+ package/);
    const environment = (await docker.getImage(second.image).inspect()).Config
      .Labels?.[LABELS.environmentImage] as string;
    expect(
      (await docker.getImage(first.image).inspect()).Config.Labels?.[
        LABELS.environmentImage
      ]
    ).toBe(environment);
    const envLayers = await layers(environment);
    expect((await layers(first.image)).slice(0, envLayers.length)).toEqual(
      envLayers
    );
    expect((await layers(second.image)).slice(0, envLayers.length)).toEqual(
      envLayers
    );
  });

  test('the same commit is cached: the launcher finds its image and builds nothing', async () => {
    expect(await builder.exists(first.image)).toBe(true);
    expect(store.buildsOf(first.image)).toHaveLength(1);
  });
});

test('concurrent requests for one uncached commit join one build', async () => {
  const commit = await git.commit('concurrent', {
    'requirements.txt': 'toolz==0.12.1\n',
    'a.ipynb': notebook('x')
  });
  const results = await Promise.all(
    Array.from({ length: 5 }, () => build('concurrent', commit))
  );
  expect(results.every(r => r.error === undefined)).toBe(true);
  expect(new Set(results.map(r => r.image)).size).toBe(1);
  expect(store.buildsOf(results[0].image)).toHaveLength(1);
});

describe('failures say the cause first, name the file, and leave no image', () => {
  test('a requirement that does not exist; the whole log stays in the build record', async () => {
    const commit = await git.commit('broken', {
      'requirements.txt': 'six\nenvhub-no-such-package-zz==9.9.9\n'
    });
    const result = await build('broken', commit);
    expect(result.error).toBe(
      'requirements.txt: no version of envhub-no-such-package-zz matches ==9.9.9 on the package index'
    );
    expect(await imageExists(result.image)).toBe(false);
    expect(store.latestBuild(result.image)?.status).toBe('failed');
    expect(store.latestBuild(result.image)?.log).toContain('uv pip install');
  });

  test('a Debian package that does not exist', async () => {
    const commit = await git.commit('broken-apt', {
      'binder/apt.txt': 'figlet\nenvhub-no-such-deb-zz\n'
    });
    const result = await build('broken-apt', commit);
    expect(result.error).toBe(
      'binder/apt.txt: no package envhub-no-such-deb-zz in the Debian archive'
    );
    expect(await imageExists(result.image)).toBe(false);
  });

  test('a postBuild that fails, printing in colour: no escape codes in the message', async () => {
    // Both lines on stderr: Docker relays a step's stdout and stderr through separate pipes, so
    // their order in the build log is not fixed.
    await git.commit('broken-postbuild', {
      postBuild:
        '#!/bin/bash\necho preparing >&2\nprintf "\\033[31mdata.csv: not found\\033[0m\\n" >&2\nexit 3\n'
    });
    const result = await build(
      'broken-postbuild',
      await git.chmodExecutable('broken-postbuild', ['postBuild'])
    );
    expect(result.error).toBe(
      'postBuild failed (exit code 3): data.csv: not found'
    );
    expect(result.log).toContain('\x1b[31m');
    expect(await imageExists(result.image)).toBe(false);
  });

  test('without its isolated network, nothing is built: the refusal says why', async () => {
    const refusal = new EnvhubError(
      503,
      'build_isolation_unavailable',
      'envhub refuses to build: builds must run in a network that cannot reach the host, but …'
    );
    const network = Promise.reject(refusal);
    network.catch(() => undefined);
    const unprotected = await testBuilder(docker, store, { network });
    const commit = await git.commit('unprotected', {
      'requirements.txt': 'toolz==0.12.1\n',
      'stamp.txt': `${Date.now()}\n`
    });
    const result = await buildRepo(unprotected, git, 'unprotected', commit);
    expect(result.error).toBe(refusal.message);
    expect(await imageExists(result.image)).toBe(false);
  });

  test('a Dockerfile RUN step that fails', async () => {
    const commit = await git.commit('broken-dockerfile', {
      Dockerfile: `FROM ${baseImage} AS base\nRUN echo compiling && exit 2\n`
    });
    const result = await build('broken-dockerfile', commit);
    expect(result.error).toBe(
      'Dockerfile: RUN echo compiling && exit 2 failed (exit code 2): compiling'
    );
    expect(await imageExists(result.image)).toBe(false);
  });

  test('a postBuild that is not executable', async () => {
    const commit = await git.commit('noexec', {
      postBuild: 'echo hi\n',
      'requirements.txt': ''
    });
    const result = await build('noexec', commit);
    expect(result.error).toContain('postBuild is not executable');
    expect(await imageExists(result.image)).toBe(false);
  });

  test('both binder/ and .binder/', async () => {
    const commit = await git.commit('twodirs', {
      'binder/requirements.txt': '',
      '.binder/requirements.txt': ''
    });
    const result = await build('twodirs', commit);
    expect(result.error).toMatch(/binder\/.*\.binder\/|\.binder\/.*binder\//);
    expect(await imageExists(result.image)).toBe(false);
  });

  test('a Dockerfile whose base image this hub cannot have', async () => {
    const commit = await git.commit('dockerfile-missing-base', {
      Dockerfile: 'FROM registry.example.org/nothing:1\nRUN true\n'
    });
    const result = await build('dockerfile-missing-base', commit);
    expect(result.error).toContain('registry.example.org/nothing:1');
    expect(result.error).toContain('Dockerfile');
    expect(result.error).toContain('docker load -i image.tar');
    expect(await imageExists(result.image)).toBe(false);
  });
});

test('a Dockerfile builds FROM an image an admin loaded into the hub with docker load', async () => {
  // An institution's image, saved elsewhere and loaded here: the base image under its own name.
  const loaded = { repo: `${namePrefix}-institution/datascience`, tag: '2026' };
  const name = `${loaded.repo}:${loaded.tag}`;
  await docker.getImage(baseImage).tag(loaded);
  const chunks: Buffer[] = [];
  for await (const chunk of (await docker
    .getImage(name)
    .get()) as AsyncIterable<Buffer>)
    chunks.push(chunk);
  await docker.getImage(name).remove();
  expect(await imageExists(name)).toBe(false);
  await new Promise<void>((resolve, reject) =>
    docker.loadImage(
      Readable.from([Buffer.concat(chunks)]),
      {},
      (err, stream) =>
        err
          ? reject(err)
          : docker.modem.followProgress(stream!, done =>
              done ? reject(done) : resolve()
            )
    )
  );
  try {
    const commit = await git.commit('dockerfile-loaded-base', {
      Dockerfile: `FROM ${name}\nRUN echo built-on-the-loaded-image > /tmp/origin\n`
    });
    const result = await build('dockerfile-loaded-base', commit);
    expect(result.error).toBeUndefined();
    expect(await runIn(result.image, ['cat', '/tmp/origin'])).toBe(
      'built-on-the-loaded-image\n'
    );
  } finally {
    await docker
      .getImage(name)
      .remove()
      .catch(() => undefined);
  }
});

test('a Dockerfile repository is built as it is, with the NB_USER and NB_UID build args', async () => {
  const commit = await git.commit('dockerfile', {
    Dockerfile: `FROM ${baseImage}\nARG NB_USER\nARG NB_UID\nRUN echo "$NB_USER:$NB_UID" > /tmp/build-args\n`
  });
  const result = await build('dockerfile', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: dockerfile');
  expect(await runIn(result.image, ['cat', '/tmp/build-args'])).toBe(
    'jovyan:1000\n'
  );
});

test('environment.yml: its pip section and PyPI-available conda packages are installed', async () => {
  const commit = await git.commit('conda', {
    'environment.yml':
      'name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - toolz=0.12\n  - pip\n  - pip:\n    - six==1.16.0\n'
  });
  const result = await build('conda', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: environment.yml');
  expect(
    await runIn(result.image, [
      'python',
      '-c',
      'import six, toolz; print(six.__version__)'
    ])
  ).toBe('1.16.0\n');
});

test('Pipfile.lock: the locked packages are installed', async () => {
  const lock = {
    _meta: {
      hash: { sha256: 'x' },
      'pipfile-spec': 6,
      requires: {},
      sources: [
        { name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }
      ]
    },
    default: { toolz: { version: '==0.12.1' } },
    develop: {}
  };
  const commit = await git.commit('pipfile', {
    Pipfile: '[packages]\ntoolz = "*"\n',
    'Pipfile.lock': JSON.stringify(lock)
  });
  const result = await build('pipfile', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: pipfile');
  expect(
    await runIn(result.image, [
      'python',
      '-c',
      'import toolz; print(toolz.__version__)'
    ])
  ).toBe('0.12.1\n');
});

test('setup.py at the root: the repository itself is installed', async () => {
  const commit = await git.commit('setuppy', {
    'setup.py':
      'from setuptools import setup\nsetup(name="envhubdemo", version="1.0", py_modules=["envhubdemo"])\n',
    'envhubdemo.py': 'ANSWER = 42\n'
  });
  const result = await build('setuppy', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: setup.py');
  expect(
    await runIn(result.image, [
      'sh',
      '-c',
      'cd / && python -c "import envhubdemo; print(envhubdemo.ANSWER)"'
    ])
  ).toBe('42\n');
});

test('runtime.txt asking for a Python the hub lacks: a warning in the log, and the closest version', async () => {
  const commit = await git.commit('runtime', {
    'runtime.txt': 'python-3.8\n',
    'requirements.txt': 'toolz==0.12.1\n'
  });
  const result = await build('runtime', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toMatch(/warning: .*runtime\.txt.*3\.8.*3\.11/);
});

describe('an interrupted build', () => {
  // The builder in a process of its own, as the service runs it, to be killed mid-step.
  const CHILD = `
    const [src, repo, commit, image, namePrefix, baseImage] = process.argv.slice(1);
    const { default: Docker } = await import('dockerode');
    const { prepareBuildNetwork } = await import(src + 'builds/buildNetwork.ts');
    const { basePython, ImageBuilder } = await import(src + 'images/imageBuilder.ts');
    const { ImageCache } = await import(src + 'images/imageCache.ts');
    const { setAllowedRepoHosts } = await import(src + 'repos/repoPolicy.ts');
    const { Store } = await import(src + 'store/store.ts');
    setAllowedRepoHosts(['127.0.0.1']);
    const docker = new Docker();
    const store = new Store(':memory:');
    const builder = new ImageBuilder(docker, store, new ImageCache(docker, store, { namePrefix, budgetBytes: null, baseImage }), {
      baseImage, namePrefix, strictRuntime: false, availablePython: await basePython(docker, baseImage),
      network: prepareBuildNetwork(docker, { namePrefix, mirrors: [] }), limits: { memory: 2 * 1024 ** 3, cpus: 1 }
    });
    for await (const entry of builder.build({ repo, ref: 'main', commit, image, requestedBy: 'tests' }).subscribe()) {
      if ('line' in entry) process.stdout.write(entry.line);
    }
  `;
  const buildOf = `${LABELS.buildOf}=${namePrefix}`;

  test('leaves no step container, dangling image or layer once the service has restarted', async () => {
    await git.commit('interrupted', {
      'requirements.txt': 'toolz==0.12.1\n',
      postBuild: '#!/bin/bash\necho slow step started\nsleep 600\n',
      'stamp.txt': `${Date.now()}\n`
    });
    const commit = await git.chmodExecutable('interrupted', ['postBuild']);
    const image = imageName(`${namePrefix}-`, git.url('interrupted'), commit);
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        CHILD,
        src,
        git.url('interrupted'),
        commit,
        image,
        namePrefix,
        baseImage
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit']
      }
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('slow step started')) resolve();
      });
      child.on('exit', code =>
        reject(
          new Error(
            `the builder exited (${code}) before the slow step:\n${log}`
          )
        )
      );
    });
    // Mid-step: a step container runs, and the layers this build made so far (not taken from the
    // cache; [0] is the environment image it starts FROM) carry the label.
    const content = log.slice(log.indexOf("adding the repository's content"));
    const stepLayers = [
      ...content.matchAll(/^(?<! ---> Using cache\n) ---> ([0-9a-f]{12})$/gm)
    ]
      .map(m => m[1])
      .slice(1);
    expect(stepLayers.length).toBeGreaterThanOrEqual(1);
    expect(
      await docker.listContainers({ all: true, filters: { label: [buildOf] } })
    ).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise(resolve => child.on('exit', resolve));

    // What the service does at start, before any build.
    const removed = await removeBuildLeftovers(docker, namePrefix);
    expect(removed.images).toBeGreaterThanOrEqual(stepLayers.length);
    expect(
      await docker.listContainers({ all: true, filters: { label: [buildOf] } })
    ).toEqual([]);
    expect(
      await docker.listImages({
        all: true,
        filters: { dangling: ['true'], label: [buildOf] }
      })
    ).toEqual([]);
    for (const layer of stepLayers)
      expect(await imageExists(layer)).toBe(false);
    expect(await imageExists(image)).toBe(false);
  });

  test('finished images clear the label, so the cleanup never touches them or their servers', async () => {
    const commit = await git.commit('finished', {
      'requirements.txt': 'toolz==0.12.1\n',
      'stamp.txt': `${Date.now()}\n`
    });
    const result = await build('finished', commit);
    expect(result.error).toBeUndefined();
    const labels =
      (await docker.getImage(result.image).inspect()).Config.Labels ?? {};
    expect(labels[LABELS.buildOf]).toBe('');
    const environment = labels[LABELS.environmentImage] as string;
    expect(
      (await docker.getImage(environment).inspect()).Config.Labels?.[
        LABELS.buildOf
      ]
    ).toBe('');
    await removeBuildLeftovers(docker, namePrefix);
    expect(await imageExists(result.image)).toBe(true);
    expect(await imageExists(environment)).toBe(true);
  });

  test("an image's labels are set in one build step, and read back exactly as written", async () => {
    const commit = await git.commit('finished', {
      'stamp.txt': `${Date.now()}\n`
    });
    const result = await build('finished', commit);
    expect(result.error).toBeUndefined();
    // The content stage: the build-of label after FROM, then one LABEL with the finished labels.
    const content = result.log.slice(
      result.log.indexOf("adding the repository's content")
    );
    expect(content.match(/^Step \d+\/\d+ : LABEL /gm)).toHaveLength(2);
    const labels =
      (await docker.getImage(result.image).inspect()).Config.Labels ?? {};
    expect(labels).toMatchObject({
      [LABELS.commit]: commit,
      [LABELS.ref]: 'main',
      [LABELS.repo]: git.url('finished'),
      [LABELS.role]: 'launchable',
      [LABELS.buildOf]: ''
    });

    const tricky = {
      'org.envhub.test': 'a "quoted" $HOME, ${HOME} and a back\\slash \\"'
    };
    const tag = `${namePrefix}-labels-test:${Date.now().toString(36)}`;
    const dir = await mkdtemp(join(tmpdir(), 'envhub-labels-'));
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${baseImage}\n${labelInstruction(tricky)}\n`
    );
    const stream = await docker.buildImage(
      { context: dir, src: ['Dockerfile'] },
      { t: tag, rm: true, forcerm: true }
    );
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: Array<{ error?: string }>) => {
          const failure = err ?? output.find(o => o.error)?.error;
          if (failure) reject(new Error(String(failure)));
          else resolve(null);
        }
      )
    );
    await rm(dir, { recursive: true, force: true });
    try {
      expect(
        (await docker.getImage(tag).inspect()).Config.Labels?.[
          'org.envhub.test'
        ]
      ).toBe(tricky['org.envhub.test']);
    } finally {
      await docker.getImage(tag).remove({ force: true });
    }
  });
});
