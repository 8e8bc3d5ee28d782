import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import Docker from 'dockerode';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { basePython } from '../../src/images/imageBuilder.js';
import { setAllowedRepoHosts } from '../../src/repos/repoPolicy.js';
import { Store } from '../../src/store/store.js';
import { baseImage, buildRepo, runIn, testBuilder } from '../support/builds.js';
import { GitServer } from '../support/gitServer.js';

// Pipfile.lock repositories built by the real builder, with packages from PyPI (issue #14).
jest.setTimeout(600_000);

const docker = new Docker();
const store = new Store(':memory:');
let builder: ImageBuilder;
let git: GitServer;
let availablePython: string;

/** Builds `repo` at `commit` with this file's builder. */
const build = (repo: string, commit: string) =>
  buildRepo(builder, git, repo, commit);

/** A Pipfile.lock as pipenv writes it. */
const RUN = `pipfile-builds-${Date.now()}`;

function pipenvLock(
  pythonVersion: string,
  packages: {
    default: Record<string, unknown>;
    develop: Record<string, unknown>;
  }
): string {
  return (
    JSON.stringify(
      {
        _meta: {
          // Unique to this run, so that no environment image from an earlier run is reused.
          hash: { sha256: createHash('sha256').update(RUN).digest('hex') },
          'pipfile-spec': 6,
          requires: { python_version: pythonVersion },
          sources: [
            { name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }
          ]
        },
        ...packages
      },
      null,
      4
    ) + '\n'
  );
}

// Hashes of the files PyPI serves for these releases.
const TOOLZ = {
  hashes: [
    'sha256:d22731364c07d72eea0a0ad45bafb2c2937ab6fd38a3507bf55eae8744aa7d85',
    'sha256:ecca342664893f177a13dac0e6b41cbd8ac25a358e5f215316d43e2100224f4d'
  ],
  index: 'pypi',
  version: '==0.12.1'
};
const SIX = {
  hashes: [
    'sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926',
    'sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254'
  ],
  index: 'pypi',
  markers:
    "python_version >= '2.7' and python_version not in '3.0, 3.1, 3.2, 3.3'",
  version: '==1.16.0'
};
/**
 * python-networkdays 1.1 (a pure-Python wheel): its Requires-Python is `>=3.`, which uv cannot
 * parse, so uv skips the release's files and reports "there is no version of
 * python-networkdays==1.1"; pip warns and installs it, as pipenv does.
 */
const NETWORKDAYS = {
  hashes: [
    'sha256:5f0d67ab46aeff00a8da43e7161b17769788e16ca2f783eb9fb0f2d6d8eea12d',
    'sha256:9ac15f44c81038ff5c0d2a14eb3b653aa44fc79158a3b31a956a2f471b9713fd'
  ],
  index: 'pypi',
  version: '==1.1'
};

beforeAll(async () => {
  setAllowedRepoHosts(['127.0.0.1']);
  git = await GitServer.start();
  availablePython = await basePython(docker, baseImage);
  builder = await testBuilder(docker, store);
});
afterAll(() => git.stop());

test('a lock pinning a release whose metadata uv refuses: pip installs the lock exactly, and the log says so', async () => {
  const commit = await git.commit('pipenv-legacy', {
    Pipfile: [
      '[[source]]',
      'url = "https://pypi.org/simple"',
      'verify_ssl = true',
      'name = "pypi"',
      '',
      '[packages]',
      'python-networkdays = "==1.1"',
      'toolz = "*"',
      '',
      '[dev-packages]',
      'six = "*"',
      '',
      '[requires]',
      'python_version = "3.8"',
      ''
    ].join('\n'),
    'Pipfile.lock': pipenvLock('3.8', {
      default: { 'python-networkdays': NETWORKDAYS, toolz: TOOLZ },
      develop: { six: SIX }
    })
  });
  const result = await build('pipenv-legacy', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toContain('build pack: pipfile');
  // The lock's python_version, with the version asked for and the one used.
  expect(result.log).toContain(
    `[envhub] warning: Pipfile.lock asks for Python 3.8, but this hub provides only Python ${availablePython}: using Python ${availablePython} instead`
  );
  // The warning as a line of its own (the RUN command that prints it is in the log too).
  expect(result.log).toMatch(
    /^\[envhub\] warning: uv refused a package in Pipfile\.lock/m
  );
  expect(result.log).toMatch(
    /Successfully installed .*python-networkdays-1\.1/
  );
  // Every locked package at its locked version, the dev packages too (repo2docker: pipenv --dev).
  expect(
    await runIn(result.image, [
      'python',
      '-c',
      [
        'import datetime, importlib.metadata as m',
        'from networkdays import networkdays',
        'days = networkdays.Networkdays(datetime.date(2024, 1, 1), datetime.date(2024, 1, 31))',
        "print(len(days.networkdays()), *(m.version(p) for p in ['python-networkdays', 'toolz', 'six']))"
      ].join('\n')
    ])
  ).toBe('23 1.1 0.12.1 1.16.0\n');
});

test('a lock whose hashes the files on PyPI do not match fails, naming Pipfile.lock, and pip is not tried', async () => {
  const commit = await git.commit('pipenv-bad-hash', {
    'binder/Pipfile.lock': pipenvLock(availablePython, {
      default: { toolz: { ...TOOLZ, hashes: [`sha256:${'0'.repeat(64)}`] } },
      develop: {}
    })
  });
  const result = await build('pipenv-bad-hash', commit);
  expect(result.error).toBe(
    'binder/Pipfile.lock: the files of toolz==0.12.1 on the package index do not match the pinned hashes: pin the hashes the index serves (for a Pipfile.lock, run `pipenv lock`)'
  );
  expect(result.log).not.toMatch(/^\[envhub\] warning: uv refused/m);
});

test('a lock made for Python 3.6 that does not install here: the Pipfile, resolved for this Python, and the log says so', async () => {
  const commit = await git.commit('pipenv-old-python', {
    Pipfile: [
      '[packages]',
      'kiwisolver = "*"',
      'toolz = "*"',
      '',
      '[dev-packages]',
      'six = "*"',
      '',
      '[requires]',
      'python_version = "3.6"',
      ''
    ].join('\n'),
    'Pipfile.lock': pipenvLock('3.6', {
      // kiwisolver 1.1.0 has wheels for Pythons up to 3.8 only, and its sources need a C++
      // compiler the base image does not have: as binder-examples/pipfile's lock pins it.
      default: {
        kiwisolver: { index: 'pypi', version: '==1.1.0' },
        toolz: TOOLZ
      },
      develop: { six: SIX }
    })
  });
  const result = await build('pipenv-old-python', commit);
  expect(result.error).toBeUndefined();
  expect(result.log).toMatch(/Failed to build `kiwisolver==1\.1\.0`/);
  expect(result.log).toMatch(
    new RegExp(
      `^\\[envhub\\] warning: Pipfile\\.lock was locked for Python 3\\.6 and does not install on Python ${availablePython.replace('.', '\\.')} \\(see the error above\\); installing the packages of Pipfile instead`,
      'm'
    )
  );
  // The Pipfile's packages and dev-packages, at versions resolved for this Python.
  const versions = await runIn(result.image, [
    'python',
    '-c',
    "import importlib.metadata as m, kiwisolver, toolz, six; print(*(m.version(p) for p in ['kiwisolver', 'toolz', 'six']))"
  ]);
  const [kiwisolver] = versions.trim().split(' ');
  expect(versions.trim().split(' ')).toHaveLength(3);
  expect(kiwisolver).not.toBe('1.1.0');
});
