import { spawnSync } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  writeFile
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labelStages } from '../../src/images/buildPacks/dockerfile.js';
import {
  planBuild,
  type BuildPlan,
  type BuildPlanOptions
} from '../../src/images/buildPlan.js';

const options: BuildPlanOptions = {
  baseImage: 'envhub-base:latest',
  availablePython: '3.11'
};
const EXEC = '#!/bin/bash\nset -e\n';

/** A file's content, or content with a mode (git's 0755 for scripts). */
type Files = Record<string, string | { content: string; mode: number }>;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true })));
});

async function repo(files: Files): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-plan-'));
  dirs.push(dir);
  for (const [path, spec] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    const { content, mode } =
      typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    await writeFile(file, content);
    await chmod(file, mode);
  }
  return dir;
}

async function plan(
  files: Files,
  extra: Partial<BuildPlanOptions> = {}
): Promise<BuildPlan> {
  return planBuild(await repo(files), { ...options, ...extra });
}

function content(p: BuildPlan): string {
  const text = p.contentDockerfile('envhub-env-abc:fp1');
  if (text === null) throw new Error('no content Dockerfile');
  return text;
}

/** Asserts that each needle occurs in `text`, in this order. */
function expectInOrder(text: string, needles: string[]): void {
  let from = 0;
  for (const needle of needles) {
    const at = text.indexOf(needle, from);
    if (at < 0)
      throw new Error(`expected "${needle}" after offset ${from} in:\n${text}`);
    from = at + needle.length;
  }
}

function rejection(code: string, ...parts: string[]) {
  return {
    status: 422,
    code,
    message: expect.stringMatching(
      new RegExp(
        parts
          .map(p => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[\\s\\S]*')
      )
    )
  };
}

describe('build packs', () => {
  test('an empty repository gets the default Python: nothing to install, content copied into the home', async () => {
    const p = await plan({ 'README.md': '# hi' });
    expect(p).toMatchObject({
      buildPack: 'python',
      configDir: '',
      warnings: [],
      environmentFiles: [],
      generatedFiles: {}
    });
    expect(p.environmentDockerfile).toMatch(/^FROM envhub-base:latest\n/);
    expect(p.environmentDockerfile).not.toContain('uv pip install');
    expect(p.environmentDockerfile).not.toContain('apt-get');
    expect(content(p)).toBe(
      [
        'FROM envhub-env-abc:fp1',
        '# envhub content stage: the repository, then what depends on it.',
        'COPY --chown=1000:100 repo/ /home/jovyan/',
        ''
      ].join('\n')
    );
  });

  test('requirements.txt installs in the environment stage from a copy of the file only', async () => {
    const p = await plan({
      'requirements.txt': 'six==1.16.0\n',
      'index.ipynb': '{}'
    });
    expect(p.buildPack).toBe('requirements.txt');
    expect(p.environmentFiles).toEqual(['requirements.txt']);
    expectInOrder(p.environmentDockerfile!, [
      'COPY --chown=1000:100 ["requirements.txt","/tmp/envhub-env/requirements.txt"]',
      'RUN uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r /tmp/envhub-env/requirements.txt',
      '&& rm -rf /tmp/envhub-env'
    ]);
    expect(content(p)).not.toContain('uv pip install');
  });

  test('a typical Binder repository: apt.txt, then Python, then env files, install, content, postBuild, start', async () => {
    const p = await plan({
      'binder/requirements.txt': 'toolz\n',
      'binder/apt.txt': '# tools\nfortune-mod\n\ncowsay # inline comment\n',
      'binder/postBuild': {
        content: EXEC + 'echo built > ~/.built\n',
        mode: 0o755
      },
      'binder/start': {
        content: EXEC + 'export GREETING=hi\nexec "$@"\n',
        mode: 0o755
      },
      'notebook.ipynb': '{}'
    });
    expect(p).toMatchObject({
      buildPack: 'requirements.txt',
      configDir: 'binder',
      warnings: []
    });
    expect(p.environmentFiles).toEqual([
      'binder/apt.txt',
      'binder/requirements.txt'
    ]);
    expectInOrder(p.environmentDockerfile!, [
      'FROM envhub-base:latest',
      'USER root',
      'RUN apt-get update',
      '&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fortune-mod cowsay',
      '&& rm -rf /var/lib/apt/lists/*',
      'USER jovyan',
      '# Python 3.11',
      'COPY --chown=1000:100 ["binder/requirements.txt","/tmp/envhub-env/binder/requirements.txt"]',
      'RUN uv pip install',
      '-r /tmp/envhub-env/binder/requirements.txt'
    ]);
    const c = content(p);
    expectInOrder(c, [
      'FROM envhub-env-abc:fp1',
      'COPY --chown=1000:100 repo/ /home/jovyan/',
      'RUN ./binder/postBuild',
      'USER root',
      'COPY ["repo/binder/start","/srv/envhub/start"]',
      'RUN ["chmod", "0755", "/srv/envhub/start"]',
      'USER jovyan',
      'ENTRYPOINT ["tini", "--", "/srv/envhub/start"]',
      'CMD ["jupyterhub-singleuser"]'
    ]);
    expect(c).not.toContain('/home/jovyan/binder/start');
  });

  test('.binder/ works like binder/', async () => {
    const p = await plan({
      '.binder/requirements.txt': 'six\n',
      '.binder/postBuild': { content: EXEC, mode: 0o755 }
    });
    expect(p).toMatchObject({
      buildPack: 'requirements.txt',
      configDir: '.binder',
      environmentFiles: ['.binder/requirements.txt']
    });
    expect(content(p)).toContain('RUN ./.binder/postBuild');
  });

  test('setup.py at the root is installed after the repository is copied, before postBuild', async () => {
    const p = await plan({
      'setup.py': 'from setuptools import setup\nsetup(name="x")\n',
      postBuild: { content: EXEC, mode: 0o755 }
    });
    expect(p.buildPack).toBe('setup.py');
    expect(p.environmentFiles).toEqual([]);
    expectInOrder(content(p), [
      'COPY --chown=1000:100 repo/ /home/jovyan/',
      'RUN uv pip install --python /srv/venv/bin/python',
      ' /home/jovyan\n',
      'RUN ./postBuild'
    ]);
  });

  test('requirements.txt and a root setup.py: requirements in the environment, the package with the content', async () => {
    const p = await plan({
      'requirements.txt': 'six\n',
      'setup.py': 'from setuptools import setup\nsetup()\n'
    });
    expect(p.buildPack).toBe('requirements.txt');
    expect(p.environmentDockerfile).toContain(
      '-r /tmp/envhub-env/requirements.txt'
    );
    expect(content(p)).toContain('--compile-bytecode /home/jovyan\n');
  });

  test('pyproject.toml is installed when it describes a package, and only then', async () => {
    const pkg = await plan({
      'pyproject.toml': '[project]\nname = "demo"\nversion = "0.1"\n'
    });
    expect(pkg.buildPack).toBe('pyproject.toml');
    expect(content(pkg)).toContain('--compile-bytecode /home/jovyan\n');

    const tools = await plan({
      'pyproject.toml': '[tool.black]\nline-length = 100\n'
    });
    expect(tools.buildPack).toBe('python');
    expect(content(tools)).not.toContain('uv pip install');
    expect(tools.warnings).toEqual([
      expect.stringContaining(
        'pyproject.toml has neither a [project] nor a [build-system] table'
      )
    ]);
  });

  test('Pipfile: packages and dev-packages become requirements ("*" is any version)', async () => {
    const p = await plan({
      Pipfile: [
        '[[source]]',
        'url = "https://pypi.org/simple"',
        'name = "pypi"',
        '[packages]',
        'requests = "*"',
        'numpy = ">=1.26"',
        'rich = {version = "==13.7.0", extras = ["jupyter"], sys_platform = "== \'linux\'"}',
        '[dev-packages]',
        'pytest = "*"',
        '[requires]',
        'python_version = "3.11"',
        ''
      ].join('\n')
    });
    expect(p).toMatchObject({
      buildPack: 'pipfile',
      warnings: [],
      environmentFiles: ['Pipfile']
    });
    expect(p.generatedFiles).toEqual({
      '.envhub-requirements.txt': [
        '# Generated by envhub from Pipfile: packages and dev-packages (sha256 49cafede8eab2926)',
        'requests',
        'numpy>=1.26',
        "rich[jupyter]==13.7.0 ; sys_platform == 'linux'",
        'pytest',
        ''
      ].join('\n')
    });
    expectInOrder(p.environmentDockerfile!, [
      'COPY --chown=1000:100 [".envhub-requirements.txt","/tmp/envhub-env/.envhub-requirements.txt"]',
      '-r /tmp/envhub-env/.envhub-requirements.txt'
    ]);
  });

  test('Pipfile.lock is preferred over Pipfile: default and develop, pinned, with markers', async () => {
    const lock = {
      _meta: {
        requires: { python_version: '3.11' },
        sources: [{ url: 'https://pypi.org/simple', name: 'pypi' }]
      },
      default: {
        six: { hashes: ['sha256:abc'], version: '==1.16.0' },
        colorama: { version: '==0.4.6', markers: "sys_platform == 'win32'" }
      },
      develop: { toolz: { version: '==0.12.1' } }
    };
    const p = await plan({
      'binder/Pipfile': '[packages]\nflask = "*"\n',
      'binder/Pipfile.lock': JSON.stringify(lock)
    });
    expect(p).toMatchObject({
      buildPack: 'pipfile',
      configDir: 'binder',
      environmentFiles: ['binder/Pipfile.lock']
    });
    expect(p.generatedFiles['binder/.envhub-requirements.txt']).toBe(
      [
        '# Generated by envhub from binder/Pipfile.lock: the default and develop packages, pinned (sha256 02b622055db18241)',
        'six==1.16.0',
        "colorama==0.4.6 ; sys_platform == 'win32'",
        'toolz==0.12.1',
        ''
      ].join('\n')
    );
    expect(p.generatedFiles['binder/.envhub-requirements.txt']).not.toContain(
      'flask'
    );
  });

  test('a Pipfile that installs the repository itself installs in the content stage, from the Pipfile folder', async () => {
    const p = await plan({
      'binder/Pipfile':
        '[packages]\nsix = "*"\nmypkg = {path = "..", editable = true}\n'
    });
    expect(p.generatedFiles['binder/.envhub-requirements.txt']).toContain(
      '-e ..\n'
    );
    expect(p.warnings).toEqual([
      expect.stringContaining(
        'binder/Pipfile refers to files in the repository'
      )
    ]);
    expect(p.environmentDockerfile).toContain(
      'COPY --chown=1000:100 ["binder/.envhub-requirements.txt"'
    );
    expect(p.environmentDockerfile).not.toContain('uv pip install');
    expectInOrder(content(p), [
      'COPY --chown=1000:100 repo/ /home/jovyan/',
      'RUN cd /home/jovyan/binder',
      '-r /tmp/envhub-env/binder/.envhub-requirements.txt',
      'rm -rf /tmp/envhub-env'
    ]);
  });
});

describe('Pipfile.lock and Pipfile, installed as pipenv installs them', () => {
  const sha = (n: number) => `sha256:${n.toString(16).padStart(64, 'a')}`;
  /** As `pipenv lock` writes it for an old project: every package pinned and hashed. */
  const lock = (
    requires: Record<string, string> = { python_version: '3.11' }
  ) =>
    JSON.stringify(
      {
        _meta: {
          hash: { sha256: 'f'.repeat(64) },
          'pipfile-spec': 6,
          requires,
          sources: [
            { name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }
          ]
        },
        default: {
          pandas: {
            hashes: [sha(1), sha(2)],
            index: 'pypi',
            version: '==0.24.2'
          },
          'python-dateutil': {
            hashes: [sha(3)],
            markers:
              "python_version >= '2.7' and python_version not in '3.0, 3.1, 3.2, 3.3'",
            version: '==2.8.0'
          },
          pytz: { hashes: [sha(4)], version: '==2019.1' }
        },
        develop: {
          pytest: { hashes: [sha(5)], index: 'pypi', version: '==4.6.3' },
          pytz: { hashes: [sha(6)], version: '==2018.9' }
        }
      },
      null,
      4
    ) + '\n';
  const REQ = '/tmp/envhub-env/.envhub-requirements.txt';

  test('the lock is installed exactly: pins, hashes and markers kept, dev packages too (repo2docker runs pipenv with --dev), no resolution', async () => {
    const p = await plan({
      Pipfile: '[packages]\npandas = "*"\n',
      'Pipfile.lock': lock()
    });
    expect(p).toMatchObject({
      buildPack: 'pipfile',
      warnings: [],
      environmentFiles: ['Pipfile.lock']
    });
    expect(p.generatedFiles['.envhub-requirements.txt']).toBe(
      [
        '# Generated by envhub from Pipfile.lock: the default and develop packages, pinned (sha256 d1def59bab5ee6bc)',
        `pandas==0.24.2 --hash=${sha(1)} --hash=${sha(2)}`,
        `python-dateutil==2.8.0 ; python_version >= '2.7' and python_version not in '3.0, 3.1, 3.2, 3.3' --hash=${sha(3)}`,
        `pytz==2019.1 --hash=${sha(4)}`,
        `pytest==4.6.3 --hash=${sha(5)}`,
        ''
      ].join('\n')
    );
    // uv first, without resolving (pipenv installs a lock with --no-deps); pip when uv refuses metadata.
    expectInOrder(p.environmentDockerfile!, [
      `RUN { uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode --no-deps -r ${REQ} 2>&1; echo $? > /tmp/envhub-uv.status; } | tee /tmp/envhub-uv.log \\\n`,
      ` && if [ "$status" != 0 ]; then \\\n`,
      `grep -qE 'invalid metadata|could not be parsed|not part of a valid version|there (is|are) no versions? of' /tmp/envhub-uv.log || exit "$status"; \\\n`,
      `echo '[envhub] warning: uv refused a package in Pipfile.lock (see its error above: metadata with a legacy version string, which pip still reads); installing Pipfile.lock with pip instead, as pipenv does'; \\\n`,
      `/srv/venv/bin/python -m pip install --no-cache-dir --no-deps -r ${REQ}; \\\n`,
      'fi \\\n',
      ' && rm -rf /tmp/envhub-env /tmp/envhub-uv.log /tmp/envhub-uv.status\n'
    ]);
  });

  test('a lock made for another Python falls back to the Pipfile, resolved for this one, with a warning, when it does not install', async () => {
    const p = await plan({
      Pipfile:
        '[packages]\npandas = "*"\n[dev-packages]\npytest = "*"\n[requires]\npython_version = "3.6"\n',
      'Pipfile.lock': lock({ python_version: '3.6' })
    });
    expect(p.warnings).toEqual([
      'Pipfile.lock asks for Python 3.6, but this hub provides only Python 3.11: using Python 3.11 instead'
    ]);
    expect(p.generatedFiles['.envhub-requirements-unlocked.txt']).toBe(
      '# Generated by envhub from Pipfile: packages and dev-packages, for when Pipfile.lock does not install\npandas\npytest\n'
    );
    const unlocked = '/tmp/envhub-env/.envhub-requirements-unlocked.txt';
    expectInOrder(p.environmentDockerfile!, [
      'COPY --chown=1000:100 [".envhub-requirements-unlocked.txt",',
      `--compile-bytecode --no-deps -r ${REQ} 2>&1;`,
      ` && if [ "$status" != 0 ] && grep -qE `,
      `{ /srv/venv/bin/python -m pip install --no-cache-dir --no-deps -r ${REQ} 2>&1; echo $? > /tmp/envhub-uv.status; } | tee -a /tmp/envhub-uv.log; \\\n`,
      `status=$(cat /tmp/envhub-uv.status); \\\n`,
      ` && if [ "$status" != 0 ]; then \\\n`,
      `grep -qiE 'hash mismatch|do not match the hashes' /tmp/envhub-uv.log && exit "$status"; \\\n`,
      `echo '[envhub] warning: Pipfile.lock was locked for Python 3.6 and does not install on Python 3.11 (see the error above); installing the packages of Pipfile instead, resolved for Python 3.11, so their versions may differ from the lock'; \\\n`,
      `uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode -r ${unlocked}; \\\n`,
      ' && rm -rf /tmp/envhub-env'
    ]);
    // A lock for this Python, or without a Pipfile beside it, has no fallback.
    for (const files of [
      { Pipfile: '[packages]\npandas = "*"\n', 'Pipfile.lock': lock() },
      { 'Pipfile.lock': lock({ python_version: '3.6' }) }
    ]) {
      const other = await plan(files as Files);
      expect(other.environmentDockerfile).not.toContain('unlocked');
      expect(Object.keys(other.generatedFiles)).toEqual([
        '.envhub-requirements.txt'
      ]);
    }
  });

  test('a Pipfile without a lock is resolved, by uv and by pip alike (pipenv --skip-lock)', async () => {
    const p = await plan({
      'binder/Pipfile':
        '[packages]\npandas = "==0.24.*"\n[dev-packages]\npytest = "*"\n'
    });
    const req = '/tmp/envhub-env/binder/.envhub-requirements.txt';
    expect(p.generatedFiles['binder/.envhub-requirements.txt']).toContain(
      'pandas==0.24.*\npytest\n'
    );
    expect(p.environmentDockerfile).not.toContain('--no-deps');
    expectInOrder(p.environmentDockerfile!, [
      `--compile-bytecode -r ${req} 2>&1;`,
      'uv refused a package in binder/Pipfile ',
      `/srv/venv/bin/python -m pip install --no-cache-dir -r ${req};`
    ]);
  });

  test('a lock entry without hashes (git, path) means no hash is checked, with a warning; malformed hashes are refused', async () => {
    const p = await plan({
      'Pipfile.lock': JSON.stringify({
        default: {
          six: { hashes: [sha(1)], version: '==1.16.0' },
          mylib: { git: 'https://example.org/mylib.git', ref: 'abc123' }
        }
      })
    });
    expect(p.generatedFiles['.envhub-requirements.txt']).not.toContain(
      '--hash'
    );
    expect(p.warnings).toEqual([
      "Pipfile.lock: mylib has no hashes, so the packages are installed without checking the lock's hashes"
    ]);
    await expect(
      plan({
        'Pipfile.lock': JSON.stringify({
          default: {
            six: {
              hashes: ['sha256:abc --index-url http://x'],
              version: '==1.16.0'
            }
          }
        })
      })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'Pipfile.lock [default] six hashes must be a list of "sha256:<hex>" strings'
      )
    );
  });

  test('"index" naming a PyPI source is not worth a warning; another index is', async () => {
    const p = await plan({
      'Pipfile.lock': JSON.stringify({
        _meta: {
          sources: [
            { name: 'pypi', url: 'https://pypi.org/simple' },
            { name: 'lab', url: 'https://pypi.lab.example/simple' }
          ]
        },
        default: {
          six: { index: 'pypi', version: '==1.16.0' },
          labtools: { index: 'lab', version: '==1.0' }
        }
      })
    });
    expect(p.warnings).toEqual([
      'Pipfile.lock: labtools names the package index "lab"; this hub installs from its configured index',
      'Pipfile.lock names package indexes https://pypi.lab.example/simple; this hub installs from its configured index'
    ]);
  });

  describe('the install step, run by a shell with stand-ins for uv and pip', () => {
    /** Runs the plan's install RUN command as Docker would, with /tmp and /srv/venv redirected. */
    async function runInstall(
      uv: { output: string; status: number },
      pipStatus = 0
    ) {
      const p = await plan({ 'Pipfile.lock': lock() });
      // The install is the environment stage's last instruction.
      const dockerfile = p.environmentDockerfile!;
      const run = dockerfile.slice(dockerfile.lastIndexOf('\nRUN ') + 5);
      const dir = await mkdtemp(join(tmpdir(), 'envhub-install-'));
      dirs.push(dir);
      await mkdir(join(dir, 'bin'));
      await mkdir(join(dir, 'tmp/envhub-env'), { recursive: true });
      await writeFile(join(dir, 'uv.out'), uv.output);
      await writeFile(
        join(dir, 'bin/uv'),
        `#!/bin/sh\necho "uv $*" > ${dir}/uv.args\ncat ${dir}/uv.out >&2\nexit ${uv.status}\n`
      );
      await writeFile(
        join(dir, 'python'),
        `#!/bin/sh\necho "$*" > ${dir}/pip.args\necho 'Successfully installed pandas-0.24.2'\nexit ${pipStatus}\n`
      );
      await chmod(join(dir, 'bin/uv'), 0o755);
      await chmod(join(dir, 'python'), 0o755);
      // Docker joins continuation lines by removing each backslash-newline.
      const command = run
        .replace(/\\\n/g, '')
        .replaceAll('/tmp/', `${dir}/tmp/`)
        .replaceAll('/srv/venv/bin/python', `${dir}/python`);
      const result = spawnSync('/bin/sh', ['-c', command], {
        env: { PATH: `${dir}/bin:/usr/bin:/bin` },
        encoding: 'utf8'
      });
      const read = (f: string) =>
        readFile(join(dir, f), 'utf8').catch(() => null);
      return {
        status: result.status,
        output: result.stdout + result.stderr,
        uvArgs: await read('uv.args'),
        pipArgs: await read('pip.args'),
        leftovers: await readdir(join(dir, 'tmp'))
      };
    }

    const ISSUE_14 = [
      'Using Python 3.11.2 environment at: /srv/venv',
      'error: No solution found when resolving dependencies',
      '  cause: Because pandas==0.24.2 has invalid metadata and you require pandas==0.24.2, we can conclude that your requirements are unsatisfiable.',
      '',
      'hint: Metadata for `pandas` (v0.24.2) could not be parsed:',
      '  after parsing `2011`, found `k`, which is not part of a valid version',
      '  pytz (>=2011k)',
      '        ^^^^^^^',
      ''
    ].join('\n');

    test('uv refusing a legacy version string: its error, the warning, then pip installs the lock without resolving', async () => {
      const r = await runInstall({ output: ISSUE_14, status: 1 });
      expect(r.status).toBe(0);
      expect(r.uvArgs).toContain('--no-deps -r ');
      expect(r.pipArgs).toMatch(
        /^-m pip install --no-cache-dir --no-deps -r \S+\/tmp\/envhub-env\/\.envhub-requirements\.txt\n$/
      );
      expectInOrder(r.output, [
        'found `k`, which is not part of a valid version',
        '[envhub] warning: uv refused a package in Pipfile.lock',
        'Successfully installed pandas-0.24.2'
      ]);
      expect(r.leftovers).toEqual([]);
    });

    test('uv skipping a release whose files carry a Requires-Python it cannot read ("there is no version of x==1.1")', async () => {
      const r = await runInstall({
        output:
          'error: No solution found when resolving dependencies\n  cause: Because there is no version of python-networkdays==1.1 and you require python-networkdays==1.1, we can conclude that your requirements are unsatisfiable.\n',
        status: 1
      });
      expect(r.status).toBe(0);
      expect(r.pipArgs).not.toBeNull();
    });

    test.each([
      [
        'a package the index does not have',
        'error: No solution found when resolving dependencies\n  cause: Because envhub-no-such-package-zz was not found in the package registry and you require envhub-no-such-package-zz==1.0, we can conclude that your requirements are unsatisfiable.\n',
        1
      ],
      [
        'a hash that does not match',
        'error: Failed to download `pytz==2019.1`\n  Caused by: Hash mismatch for `pytz==2019.1`\n',
        1
      ],
      ['uv killed at the memory limit', '', 137]
    ])(
      'uv failing otherwise (%s) fails the step with its exit code, and pip is not tried',
      async (_what, output, status) => {
        const r = await runInstall({ output, status });
        expect(r.status).toBe(status);
        expect(r.pipArgs).toBeNull();
        expect(r.output).not.toContain('[envhub] warning');
      }
    );

    test('pip failing too fails the step', async () => {
      const r = await runInstall({ output: ISSUE_14, status: 1 }, 1);
      expect(r.status).toBe(1);
      expect(r.output).toContain('[envhub] warning: uv refused');
    });

    test('uv succeeding is the whole step', async () => {
      const r = await runInstall({
        output: 'Installed 4 packages in 20ms\n',
        status: 0
      });
      expect(r.status).toBe(0);
      expect(r.pipArgs).toBeNull();
      expect(r.output).toBe('Installed 4 packages in 20ms\n');
      expect(r.leftovers).toEqual([]);
    });
  });
});

describe('Python versions', () => {
  const lock = (requires: Record<string, string>) =>
    JSON.stringify({
      _meta: { requires },
      default: { six: { version: '==1.16.0' } }
    });

  test("Pipfile.lock's python_version: the available one is silent, another warns naming both versions", async () => {
    expect(
      (await plan({ 'Pipfile.lock': lock({ python_version: '3.11' }) }))
        .warnings
    ).toEqual([]);
    expect(
      (await plan({ 'Pipfile.lock': lock({ python_full_version: '3.11.4' }) }))
        .warnings
    ).toEqual([]);
    expect(
      (await plan({ 'binder/Pipfile.lock': lock({ python_version: '3.7' }) }))
        .warnings
    ).toEqual([
      'binder/Pipfile.lock asks for Python 3.7, but this hub provides only Python 3.11: using Python 3.11 instead'
    ]);
  });

  test('strict mode refuses a Pipfile.lock or Pipfile asking for another Python', async () => {
    await expect(
      plan(
        { 'Pipfile.lock': lock({ python_version: '3.7' }) },
        { strictRuntime: true }
      )
    ).rejects.toMatchObject(
      rejection(
        'unsupported_config',
        'Pipfile.lock asks for Python 3.7, but this hub provides only Python 3.11 (strict runtime mode)',
        'ask for Python 3.11 there'
      )
    );
    await expect(
      plan(
        {
          Pipfile:
            '[packages]\nsix = "*"\n[requires]\npython_version = "3.12"\n'
        },
        { strictRuntime: true }
      )
    ).rejects.toMatchObject(
      rejection(
        'unsupported_config',
        'Pipfile asks for Python 3.12, but this hub provides only Python 3.11'
      )
    );
  });

  test("a lock that names no Python: the Pipfile's [requires] counts (as repo2docker reads both)", async () => {
    const p = await plan({
      Pipfile: '[packages]\nsix = "*"\n[requires]\npython_version = "3.8"\n',
      'Pipfile.lock': lock({})
    });
    expect(p.warnings).toEqual([
      'Pipfile asks for Python 3.8, but this hub provides only Python 3.11: using Python 3.11 instead'
    ]);
  });

  test('runtime.txt beside a Pipfile is ignored, as on Binder, and the warning says what it asked and what is used', async () => {
    const p = await plan(
      {
        'binder/runtime.txt': 'python-3.8\n',
        'binder/Pipfile.lock': lock({ python_version: '3.11' })
      },
      { strictRuntime: true }
    );
    expect(p.warnings).toEqual([
      'binder/runtime.txt asks for Python 3.8, but it is ignored because binder/Pipfile.lock is present (as on Binder), so this build uses Python 3.11: set python_version under [requires] in binder/Pipfile instead'
    ]);
    expect(p.environmentFiles).toEqual(['binder/Pipfile.lock']);
  });

  test('environment.yml: python=x.y is checked like runtime.txt, naming both versions', async () => {
    expect(
      (await plan({ 'environment.yml': 'dependencies:\n  - python=3.11\n' }))
        .warnings
    ).toEqual([]);
    await expect(
      plan(
        { 'environment.yml': 'dependencies:\n  - python=3.12\n  - six\n' },
        { strictRuntime: true }
      )
    ).rejects.toMatchObject(
      rejection(
        'unsupported_config',
        'environment.yml asks for Python ==3.12.*, but this hub provides only Python 3.11 (strict runtime mode)'
      )
    );
  });
});

describe('environment.yml', () => {
  const yml = [
    'name: demo',
    'channels:',
    '  - conda-forge',
    '  - bioconda',
    'dependencies:',
    '  - python=3.11',
    '  - numpy=1.26',
    '  - pandas==2.1.0',
    '  - scipy>=1.10,<2',
    '  - requests',
    '  - matplotlib-base',
    '  - conda-forge::xarray 2023.1.*',
    '  - pip',
    '  - pip:',
    '    - six==1.16.0',
    '    - --pre',
    ''
  ].join('\n');

  test('conda dependencies map to pip requirements; the pip: list is kept; python is checked, not installed', async () => {
    const p = await plan({ 'binder/environment.yml': yml });
    expect(p.buildPack).toBe('environment.yml');
    expect(p.environmentFiles).toEqual(['binder/environment.yml']);
    expect(p.generatedFiles['binder/.envhub-requirements.txt']).toBe(
      [
        '# Generated by envhub from binder/environment.yml: conda dependencies as PyPI requirements, then its pip: list',
        'numpy==1.26.*',
        'pandas==2.1.0',
        'scipy>=1.10,<2',
        'requests',
        'matplotlib',
        'xarray==2023.1.*',
        'six==1.16.0',
        '--pre',
        ''
      ].join('\n')
    );
    expect(p.warnings).toEqual([
      expect.stringContaining(
        'names conda channels bioconda; conda channels are unreachable from this hub'
      )
    ]);
    expectInOrder(p.environmentDockerfile!, [
      'COPY --chown=1000:100 ["binder/.envhub-requirements.txt","/tmp/envhub-env/binder/.envhub-requirements.txt"]',
      '-r /tmp/envhub-env/binder/.envhub-requirements.txt'
    ]);
  });

  test('environment.yml beats requirements.txt and Pipfile, and makes runtime.txt ignored', async () => {
    const p = await plan({
      'environment.yml': 'dependencies:\n  - python=3.9\n  - six\n',
      'requirements.txt': 'toolz\n',
      Pipfile: '[packages]\nflask = "*"\n',
      'runtime.txt': 'python-3.11\n'
    });
    expect(p.buildPack).toBe('environment.yml');
    expect(p.generatedFiles['.envhub-requirements.txt']).not.toContain('toolz');
    expect(p.warnings).toEqual([
      'runtime.txt asks for Python 3.11, but it is ignored because environment.yml is present (as on Binder), so this build uses Python 3.11: pin python in its dependencies instead',
      'environment.yml asks for Python ==3.9.*, but this hub provides only Python 3.11: using Python 3.11 instead'
    ]);
  });

  test('conda-only packages are refused by name, with the file and apt.txt alternatives', async () => {
    const promise = plan({
      'binder/environment.yml':
        'dependencies:\n  - numpy\n  - r-base=4.3\n  - nodejs\n  - r-ggplot2\n'
    });
    await expect(promise).rejects.toMatchObject(
      rejection(
        'unsupported_config',
        'binder/environment.yml',
        'no PyPI equivalent (r-base, nodejs, r-ggplot2)',
        'conda channels are unreachable',
        'apt.txt instead: nodejs'
      )
    );
  });

  test('pip: -r includes are followed next to environment.yml; -e makes the install content-dependent', async () => {
    const p = await plan({
      'binder/environment.yml':
        'dependencies:\n  - pip:\n    - -r requirements-pip.txt\n    - -e ..\n',
      'binder/requirements-pip.txt': 'six\n'
    });
    expect(p.environmentFiles).toEqual([
      'binder/environment.yml',
      'binder/requirements-pip.txt'
    ]);
    expectInOrder(p.environmentDockerfile!, [
      'COPY --chown=1000:100 ["binder/.envhub-requirements.txt","/tmp/envhub-env/binder/.envhub-requirements.txt"]',
      'COPY --chown=1000:100 ["binder/requirements-pip.txt","/tmp/envhub-env/binder/requirements-pip.txt"]'
    ]);
    expect(p.environmentDockerfile).not.toContain('uv pip install');
    expect(p.warnings).toEqual([
      expect.stringContaining(
        'binder/environment.yml refers to files in the repository (binder/environment.yml pip entry 2: -e ..)'
      )
    ]);
    expectInOrder(content(p), [
      'COPY --chown=1000:100 repo/ /home/jovyan/',
      'RUN cd /home/jovyan/binder',
      '-r /tmp/envhub-env/binder/.envhub-requirements.txt'
    ]);
  });

  test('malformed YAML and conda "or" specs are clear errors', async () => {
    await expect(
      plan({ 'environment.yml': 'dependencies: [numpy\n' })
    ).rejects.toMatchObject(
      rejection('invalid_config', 'environment.yml is not valid YAML')
    );
    await expect(
      plan({ 'environment.yml': 'dependencies:\n  - numpy 1.2|1.3\n' })
    ).rejects.toMatchObject(
      rejection('unsupported_config', 'conda\'s "|" (or)')
    );
  });
});

describe('precedence and configuration folders', () => {
  test('a Dockerfile beats everything and is built as it is, with Binder build args', async () => {
    const p = await plan({
      Dockerfile: 'FROM envhub-base:latest\nCOPY . /home/jovyan\n',
      'environment.yml': 'dependencies: [six]\n',
      'requirements.txt': 'six\n',
      'apt.txt': 'vim\n',
      postBuild: { content: EXEC, mode: 0o644 } // not executable, and it does not matter
    });
    expect(p).toMatchObject({
      buildPack: 'dockerfile',
      configDir: '',
      environmentFiles: [],
      generatedFiles: {},
      environmentDockerfile: null,
      dockerfile: {
        path: 'Dockerfile',
        buildArgs: { NB_USER: 'jovyan', NB_UID: '1000' },
        fromImages: ['envhub-base:latest']
      }
    });
    expect(p.contentDockerfile('x:y')).toBeNull();
    expect(p.warnings).toEqual([
      'Dockerfile builds the image, so environment.yml, requirements.txt, apt.txt, postBuild are ignored (as on Binder)'
    ]);
  });

  test('binder/ hides every root configuration file, including a root Dockerfile and setup.py', async () => {
    const p = await plan({
      Dockerfile: 'FROM ubuntu\n',
      'setup.py': 'from setuptools import setup\nsetup()\n',
      'requirements.txt': 'toolz\n',
      'binder/requirements.txt': 'six\n'
    });
    expect(p).toMatchObject({
      buildPack: 'requirements.txt',
      configDir: 'binder',
      environmentFiles: ['binder/requirements.txt']
    });
    expect(content(p)).not.toContain('uv pip install');
    expect(p.warnings).toEqual([
      'binder/ exists, so requirements.txt, setup.py, Dockerfile at the repository root are ignored (as on Binder)'
    ]);
  });

  test('setup.py counts only at the root: binder/setup.py is not installed', async () => {
    const p = await plan({
      'binder/setup.py': 'from setuptools import setup\nsetup()\n'
    });
    expect(p.buildPack).toBe('python');
    expect(content(p)).not.toContain('uv pip install');
  });

  test('a Dockerfile in binder/ is used, with its path', async () => {
    const p = await plan({
      'binder/Dockerfile': 'FROM envhub-base:latest\n',
      'binder/requirements.txt': 'six\n'
    });
    expect(p.dockerfile?.path).toBe('binder/Dockerfile');
    expect(p.warnings).toEqual([
      'binder/Dockerfile builds the image, so binder/requirements.txt is ignored (as on Binder)'
    ]);
  });

  test('both binder/ and .binder/ is an error naming both', async () => {
    await expect(
      plan({
        'binder/requirements.txt': 'six\n',
        '.binder/requirements.txt': 'six\n'
      })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'both binder/ and .binder/ exist',
        'delete the other'
      )
    );
  });
});

describe('scripts', () => {
  test('a postBuild without the executable bit is refused with the git command that fixes it', async () => {
    await expect(
      plan({ 'binder/postBuild': { content: EXEC, mode: 0o644 } })
    ).rejects.toMatchObject({
      status: 422,
      code: 'invalid_config',
      message:
        'binder/postBuild is not executable: run `git update-index --chmod=+x binder/postBuild` and commit'
    });
  });

  test('a start without the executable bit, or without a #! line, is refused', async () => {
    await expect(
      plan({ start: { content: EXEC + 'exec "$@"\n', mode: 0o644 } })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'start is not executable: run `git update-index --chmod=+x start`'
      )
    );
    await expect(
      plan({ start: { content: 'exec "$@"\n', mode: 0o755 } })
    ).rejects.toMatchObject(
      rejection('invalid_config', 'start has no #! line')
    );
  });
});

describe('apt.txt', () => {
  test('a line that is not a package name is refused, naming the line', async () => {
    await expect(
      plan({ 'apt.txt': 'vim\n# ok\ncurl; rm -rf /\n' })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'apt.txt line 3: "curl; rm -rf /" is not a Debian package name'
      )
    );
    await expect(plan({ 'apt.txt': '$(reboot)\n' })).rejects.toMatchObject(
      rejection('invalid_config', 'apt.txt line 1')
    );
  });

  test('versions and several names per line are accepted, duplicates dropped', async () => {
    const p = await plan({ 'apt.txt': 'graphviz=2.42.2-7 libgl1\nlibgl1\n' });
    expect(p.environmentDockerfile).toContain(
      '--no-install-recommends graphviz=2.42.2-7 libgl1 \\\n'
    );
  });

  test('an apt mirror rewrites the sources in the same RUN, before apt-get update', async () => {
    const p = await plan(
      { 'apt.txt': 'vim\n' },
      { aptMirror: 'http://mirror.example:3142/debian/' }
    );
    expectInOrder(p.environmentDockerfile!, [
      "RUN find /etc/apt -maxdepth 2 -type f \\( -name '*.list' -o -name '*.sources' \\) -exec sed -i -E 's#https?://[^[:space:]]*/debian(-security)?/?([[:space:]]|$)#http://mirror.example:3142/debian\\1\\2#g' {} +",
      '&& apt-get update'
    ]);
  });
});

describe('runtime.txt', () => {
  test('the available Python is silent; another one warns and falls back', async () => {
    expect((await plan({ 'runtime.txt': 'python-3.11.4\n' })).warnings).toEqual(
      []
    );
    const p = await plan({
      'binder/runtime.txt': 'python-3.8\n',
      'binder/requirements.txt': 'six\n'
    });
    expect(p.warnings).toEqual([
      'binder/runtime.txt asks for Python 3.8, but this hub provides only Python 3.11: using Python 3.11 instead'
    ]);
    expect(p.environmentFiles).toEqual([
      'binder/requirements.txt',
      'binder/runtime.txt'
    ]);
  });

  test('strict mode turns the fallback into an error', async () => {
    await expect(
      plan({ 'runtime.txt': 'python-3.8\n' }, { strictRuntime: true })
    ).rejects.toMatchObject(
      rejection(
        'unsupported_config',
        'runtime.txt asks for Python 3.8, but this hub provides only Python 3.11 (strict runtime mode)'
      )
    );
  });

  test('malformed content is refused', async () => {
    await expect(plan({ 'runtime.txt': 'python3.10\n' })).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'runtime.txt reads "python3.10"',
        'python-X.Y'
      )
    );
  });
});

describe('what this hub cannot fetch fails fast', () => {
  test.each([
    [
      { 'Project.toml': '[deps]\n', 'requirements.txt': 'six\n' },
      'Project.toml asks for a Julia environment'
    ],
    [
      { 'binder/default.nix': '{}\n' },
      'binder/default.nix asks for a Nix environment'
    ]
  ])('%o', async (files, message) => {
    await expect(plan(files)).rejects.toMatchObject(
      rejection('unsupported_config', message)
    );
  });

  test('DESCRIPTION is only R at the root without a binder folder (as repo2docker)', async () => {
    expect(
      (await plan({ DESCRIPTION: 'x', 'binder/requirements.txt': 'six\n' }))
        .buildPack
    ).toBe('requirements.txt');
  });
});

describe('requirements files', () => {
  test('-r and -c includes are followed relative to the including file and copied into the environment context', async () => {
    const p = await plan({
      'binder/requirements.txt':
        '-r ../reqs/base.txt\n--constraint=constraints.txt\nsix\n',
      'reqs/base.txt': '-r more.txt\ntoolz\n',
      'reqs/more.txt': '-r base.txt\nattrs # a cycle is fine\n',
      'binder/constraints.txt': 'six<2\n'
    });
    expect(p.environmentFiles).toEqual([
      'binder/requirements.txt',
      'reqs/base.txt',
      'reqs/more.txt',
      'binder/constraints.txt'
    ]);
    for (const f of p.environmentFiles)
      expect(p.environmentDockerfile).toContain(
        `COPY --chown=1000:100 ["${f}","/tmp/envhub-env/${f}"]`
      );
  });

  test('a file of comments and constraints installs nothing', async () => {
    const p = await plan({
      'requirements.txt': '# nothing yet\n-c constraints.txt\n',
      'constraints.txt': 'six<2\n'
    });
    expect(p.buildPack).toBe('requirements.txt');
    expect(p.environmentDockerfile).not.toContain('uv pip install');
    const q = await plan({
      'requirements.txt': '-c constraints.txt\ntoolz\n',
      'constraints.txt': 'six<2\n'
    });
    expect(q.environmentDockerfile).toContain('uv pip install');
  });

  test('includes that leave the repository, are absolute, or do not exist are refused', async () => {
    await expect(
      plan({ 'requirements.txt': 'six\n-r ../../etc/passwd\n' })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'requirements.txt line 2: -r ../../etc/passwd points outside the repository'
      )
    );
    await expect(
      plan({ 'requirements.txt': '-c /etc/passwd\n' })
    ).rejects.toMatchObject(
      rejection('invalid_config', 'points outside the repository')
    );
    await expect(
      plan({ 'requirements.txt': '-r missing.txt\n' })
    ).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'includes missing.txt, which is not in the repository'
      )
    );
  });

  test('a requirements file linked to a host file is refused', async () => {
    const dir = await repo({ 'README.md': 'x' });
    await mkdir(join(dir, 'binder'));
    await symlink('/etc/hostname', join(dir, 'binder', 'requirements.txt'));
    await expect(planBuild(dir, options)).rejects.toMatchObject(
      rejection(
        'invalid_config',
        'binder/requirements.txt is a symbolic link to a path outside the repository'
      )
    );
  });

  test('local paths make the install content-dependent: it moves to the content stage, from the repository root', async () => {
    const p = await plan({
      'binder/requirements.txt': 'six\n-e .\n',
      'setup.py': 'x'
    });
    expect(p.warnings).toEqual([
      'binder/ exists, so setup.py at the repository root is ignored (as on Binder)',
      expect.stringContaining(
        'binder/requirements.txt refers to files in the repository (binder/requirements.txt line 2: -e .), so it is installed with the repository content'
      )
    ]);
    expect(p.environmentFiles).toEqual([]);
    expect(p.environmentDockerfile).not.toContain('uv pip install');
    expectInOrder(content(p), [
      'COPY --chown=1000:100 repo/ /home/jovyan/',
      'RUN cd /home/jovyan',
      '-r /home/jovyan/binder/requirements.txt'
    ]);
  });

  test.each([
    './pkg',
    'pkg/sub',
    'dist/demo-1.0-py3-none-any.whl',
    'demo @ file:///home/jovyan/pkg',
    '--find-links ./wheels',
    '-e ./src'
  ])('%s is local', async line => {
    const p = await plan({ 'requirements.txt': `${line}\n` });
    expect(content(p)).toContain('-r /home/jovyan/requirements.txt');
  });

  test.each([
    'numpy>=1.26 ; python_version >= "3.9"',
    'demo @ https://example.org/demo.whl',
    '-e git+https://example.org/x.git#egg=x',
    '--index-url https://example.org/simple'
  ])('%s is not local', async line => {
    const p = await plan({ 'requirements.txt': `${line}\nsix\n` });
    expect(p.environmentDockerfile).toContain(
      '-r /tmp/envhub-env/requirements.txt'
    );
  });

  test('an include whose name Docker would read as a glob is refused', async () => {
    await expect(
      plan({ 'requirements.txt': '-r req[1].txt\n', 'req[1].txt': 'six\n' })
    ).rejects.toMatchObject(
      rejection('invalid_config', 'req[1].txt: envhub cannot copy')
    );
  });
});

describe('Dockerfile FROM parsing', () => {
  test('ARG defaults are substituted; stage names, scratch and duplicates are left out; COPY --from images count', async () => {
    const dockerfile = [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=python:3.11-slim',
      'ARG TAG="bookworm"',
      'FROM ${BASE} AS Build',
      'RUN pip install \\',
      '    six',
      'FROM --platform=linux/amd64 debian:$TAG AS runtime',
      'COPY --from=build /x /x',
      'COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv',
      'FROM build',
      'FROM scratch',
      'from python:3.11-slim',
      'ARG LATE=ignored',
      ''
    ].join('\n');
    const p = await plan({ Dockerfile: dockerfile });
    expect(p.dockerfile?.fromImages).toEqual([
      'python:3.11-slim',
      'debian:bookworm',
      'ghcr.io/astral-sh/uv:0.4'
    ]);
  });

  test('Binder build args and ${VAR:-default} forms are used', async () => {
    const p = await plan({
      Dockerfile:
        'ARG NB_USER\nARG REG\nFROM ${REG:-docker.io}/jupyter/base-notebook:${NB_USER}\n'
    });
    expect(p.dockerfile?.fromImages).toEqual([
      'docker.io/jupyter/base-notebook:jovyan'
    ]);
  });

  test('a FROM with an ARG that has no value, or no FROM at all, is refused', async () => {
    await expect(
      plan({ Dockerfile: 'ARG BASE\nFROM $BASE\n' })
    ).rejects.toMatchObject(
      rejection('invalid_config', 'Dockerfile line 2: $BASE has no value')
    );
    await expect(plan({ Dockerfile: 'RUN echo hi\n' })).rejects.toMatchObject(
      rejection('invalid_config', 'Dockerfile has no FROM line')
    );
  });
});

describe('the build-of label in every stage', () => {
  test('comes right after each FROM, continuation lines and stage names included, and nowhere else', () => {
    const dockerfile = [
      '# escape=\\',
      'ARG BASE=envhub-base:latest',
      'FROM ${BASE} AS build',
      'RUN echo one \\',
      '    two',
      'FROM \\',
      '  build',
      '# FROM in a comment',
      'from build as again',
      'COPY --from=build /x /x'
    ].join('\n');
    expect(labelStages(dockerfile, 'org.envhub.build-of', 'envhub')).toBe(
      [
        '# escape=\\',
        'ARG BASE=envhub-base:latest',
        'FROM ${BASE} AS build',
        'LABEL org.envhub.build-of="envhub"',
        'RUN echo one \\',
        '    two',
        'FROM \\',
        '  build',
        'LABEL org.envhub.build-of="envhub"',
        '# FROM in a comment',
        'from build as again',
        'LABEL org.envhub.build-of="envhub"',
        'COPY --from=build /x /x'
      ].join('\n')
    );
  });

  test('generated Dockerfiles get it in both stages', async () => {
    const p = await plan({
      'requirements.txt': 'six\n',
      postBuild: { content: EXEC, mode: 0o755 }
    });
    for (const text of [
      p.environmentDockerfile!,
      p.contentDockerfile('envhub-environment:abc')!
    ]) {
      const labelled = labelStages(text, 'org.envhub.build-of', 'envhub').split(
        '\n'
      );
      expect(labelled[1]).toBe('LABEL org.envhub.build-of="envhub"');
      expect(labelled.filter(l => l.startsWith('LABEL'))).toHaveLength(1);
    }
  });

  test('a value that would need quoting is refused', () => {
    expect(() =>
      labelStages('FROM x\n', 'org.envhub.build-of', 'a" b')
    ).toThrow('needs quoting');
  });
});

describe('options', () => {
  test('a package index is a build ARG in both stages, declared only where something installs', async () => {
    const url = 'https://pypi.internal.example/simple/';
    const p = await plan(
      {
        'requirements.txt': 'six\n',
        postBuild: { content: EXEC, mode: 0o755 }
      },
      { pipIndexUrl: url }
    );
    expectInOrder(p.environmentDockerfile!, [
      'COPY',
      `ARG PIP_INDEX_URL=${url}`,
      `ARG UV_INDEX_URL=${url}`,
      'RUN uv pip install'
    ]);
    expectInOrder(content(p), [
      'COPY --chown=1000:100 repo/',
      `ARG PIP_INDEX_URL=${url}`,
      'RUN ./postBuild'
    ]);
    expect(p.environmentDockerfile).not.toMatch(/^ENV .*INDEX/m);

    const bare = await plan({}, { pipIndexUrl: url });
    expect(bare.environmentDockerfile).not.toContain('ARG');
    expect(content(bare)).not.toContain('ARG');
  });

  test('options that could break the Dockerfile are refused as server configuration errors', async () => {
    await expect(
      plan({}, { pipIndexUrl: 'https://x/simple\nRUN reboot' })
    ).rejects.toMatchObject({ status: 500, code: 'server_config' });
    await expect(
      plan({}, { aptMirror: "http://x/debian' ; reboot" })
    ).rejects.toMatchObject({ status: 500, code: 'server_config' });
    await expect(
      plan({}, { baseImage: 'base\nRUN reboot' })
    ).rejects.toMatchObject({ status: 500, code: 'server_config' });
    const p = await plan({});
    expect(() => p.contentDockerfile('env\nRUN reboot')).toThrow(
      'is not an image reference'
    );
  });
});
