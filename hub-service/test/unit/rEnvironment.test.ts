import { execFile } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  BUILD_WARNINGS,
  R_SCRIPT,
  debianPackage,
  parseDescription,
  parseInstallR,
  parseRRuntime
} from '../../src/images/buildPacks/r.js';
import {
  planBuild,
  type BuildPlan,
  type BuildPlanOptions
} from '../../src/images/buildPlan.js';

const options: BuildPlanOptions = {
  baseImage: 'envhub-base:latest',
  availablePython: '3.11'
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-r-'));
  dirs.push(dir);
  return dir;
}

async function plan(
  files: Record<string, string>,
  extra: Partial<BuildPlanOptions> = {}
): Promise<BuildPlan> {
  const dir = await tempDir();
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return planBuild(dir, { ...options, ...extra });
}

function content(p: BuildPlan): string {
  return p.contentDockerfile('envhub-env-abc:fp1') ?? '';
}

/** The R package names the generated script looks up, in order. */
function wanted(p: BuildPlan): string[] {
  const loop = /^for pair in (.*); do$/m.exec(p.generatedFiles[R_SCRIPT]);
  if (!loop)
    throw new Error(`no package loop in ${p.generatedFiles[R_SCRIPT]}`);
  return loop[1]
    .split(' ')
    .filter(Boolean)
    .map(pair => pair.split(':')[0]);
}

describe('which files select R (as repo2docker, and install.R alone)', () => {
  test.each([
    ['runtime.txt r-<date>', { 'runtime.txt': 'r-2023-01-10\n' }],
    [
      'runtime.txt r-<version>-<date> in binder/',
      { 'binder/runtime.txt': 'r-4.2-2023-01-10\n' }
    ],
    ['a root DESCRIPTION', { DESCRIPTION: 'Package: demo\n' }],
    ['install.R alone', { 'install.R': 'install.packages("jsonlite")\n' }],
    ['.binder/install.R', { '.binder/install.R': 'library(jsonlite)\n' }]
  ])('%s', async (_, files) => {
    const p = await plan(files);
    expect(p.buildPack).toBe('r');
    expect(p.environmentDockerfile).toContain(`RUN sh /tmp/${R_SCRIPT}`);
    expect(p.generatedFiles[R_SCRIPT]).toContain(
      'apt-get install -y --no-install-recommends r-base-core r-cran-irkernel $present'
    );
    expect(p.environmentFiles).toEqual(Object.keys(files));
  });

  test('R comes on top of the Python build: requirements.txt is still installed', async () => {
    const p = await plan({
      'binder/runtime.txt': 'r-4.2-2023-01-10\n',
      'binder/install.R': 'install.packages("jsonlite")\n',
      'binder/requirements.txt': 'six\n'
    });
    expect(p.buildPack).toBe('r');
    expect(p.environmentFiles).toEqual([
      'binder/requirements.txt',
      'binder/runtime.txt',
      'binder/install.R'
    ]);
    const env = p.environmentDockerfile!;
    expect(env.indexOf(`RUN sh /tmp/${R_SCRIPT}`)).toBeLessThan(
      env.indexOf('-r /tmp/envhub-env/binder/requirements.txt')
    );
  });

  test('a dated runtime.txt or DESCRIPTION wins over environment.yml and Pipfile, which are ignored', async () => {
    const p = await plan({
      'runtime.txt': 'r-4.2-2023-01-10\n',
      'install.R': 'library(jsonlite)\n',
      'environment.yml': 'dependencies: [six]\n',
      Pipfile: '[packages]\nsix = "*"\n'
    });
    expect(p.buildPack).toBe('r');
    expect(p.warnings).toContain(
      'runtime.txt selects R, so environment.yml, Pipfile are ignored (as on Binder)'
    );
    expect(p.generatedFiles['.envhub-requirements.txt']).toBeUndefined();
  });

  test('install.R or an undated runtime.txt beside environment.yml is ignored, as on Binder', async () => {
    const p = await plan({
      'binder/install.R': 'install.packages("x")\n',
      'binder/environment.yml': 'dependencies: [six]\n'
    });
    expect(p.buildPack).toBe('environment.yml');
    expect(p.generatedFiles[R_SCRIPT]).toBeUndefined();
    expect(p.warnings).toContain(
      'binder/install.R is ignored: binder/environment.yml describes the environment, and only a runtime.txt r-X.Y-YYYY-MM-DD or a DESCRIPTION selects R (as on Binder)'
    );
    expect(
      (
        await plan({
          'runtime.txt': 'r-4.2\n',
          'Pipfile.lock': '{"default": {}, "develop": {}}'
        })
      ).buildPack
    ).toBe('pipfile');
  });

  test('DESCRIPTION selects R only at the root without a configuration folder', async () => {
    const p = await plan({
      DESCRIPTION: 'Package: demo\n',
      'binder/requirements.txt': 'six\n'
    });
    expect(p.buildPack).toBe('requirements.txt');
  });
});

describe('package names', () => {
  test('CRAN names map to lower-case r-cran-* Debian packages', () => {
    expect(debianPackage('ggplot2')).toBe('r-cran-ggplot2');
    expect(debianPackage('data.table')).toBe('r-cran-data.table');
    expect(debianPackage('RColorBrewer')).toBe('r-cran-rcolorbrewer');
  });

  test('the script pairs each R name with its Debian package; IRkernel and base packages are not repeated', async () => {
    const p = await plan({
      'install.R':
        'install.packages(c("data.table", "RColorBrewer", "IRkernel"))\nlibrary(stats)\nlibrary(data.table)\n'
    });
    expect(p.generatedFiles[R_SCRIPT]).toContain(
      'for pair in data.table:r-cran-data.table RColorBrewer:r-cran-rcolorbrewer; do'
    );
  });
});

describe('install.R is read, not run', () => {
  test('install.packages, library and require in their usual forms', () => {
    const script = [
      '# Packages for the analysis (a # in a string is no comment below)',
      'install.packages("jsonlite")',
      'install.packages(c(\'dplyr\', "tidyr"),',
      '                 repos = "https://cran.r-project.org#x",',
      '                 dependencies = TRUE)',
      'utils::install.packages(pkgs = "zoo"); library(ggplot2)',
      'require("lubridate", quietly = TRUE)',
      'pkgs <- c("sf",',
      '          "terra")',
      'install.packages(pkgs)',
      'if (!require("xts")) install.packages("xts")',
      'if (!requireNamespace("R6", quietly = TRUE)) {',
      '  install.packages("R6")',
      '}',
      'suppressPackageStartupMessages(library(magrittr))',
      'options(repos = c(CRAN = "https://cloud.r-project.org"))',
      'IRkernel::installspec()',
      'library(methods); library(stats)'
    ].join('\n');
    expect(parseInstallR(script)).toEqual({
      packages: [
        'jsonlite',
        'dplyr',
        'tidyr',
        'zoo',
        'ggplot2',
        'lubridate',
        'sf',
        'terra',
        'xts',
        'R6',
        'magrittr'
      ],
      unreadable: []
    });
  });

  test('anything else is named with its line and left out', () => {
    const script = [
      'install.packages("jsonlite")',
      'devtools::install_github("user/thing")',
      'remotes::install_version("dplyr", version = "1.0.0")',
      'install.packages("pkg_1.0.tar.gz", repos = NULL, type = "source")',
      'for (p in c("a", "b")) {',
      '  install.packages(p)',
      '}',
      'source("setup.R")',
      'n <- 1 + 2',
      'library(pkg, character.only = TRUE)',
      'library(ggplot2)'
    ].join('\n');
    expect(parseInstallR(script)).toEqual({
      packages: ['jsonlite', 'ggplot2'],
      unreadable: [
        'line 2: devtools::install_github("user/thing")',
        'line 3: remotes::install_version("dplyr", version = "1.0.0")',
        'line 4: install.packages("pkg_1.0.tar.gz", repos = NULL, type = "source")',
        'line 5: for (p in c("a", "b")) { install.packages(p) }',
        'line 8: source("setup.R")',
        'line 9: n <- 1 + 2',
        'line 10: library(pkg, character.only = TRUE)'
      ]
    });
  });

  test('an unreadable guard leaves out its whole statement', () => {
    expect(
      parseInstallR(
        'if (Sys.getenv("CI") == "") install.packages("slow")\nlibrary(fast)\n'
      )
    ).toEqual({
      packages: ['fast'],
      unreadable: [
        'line 1: if (Sys.getenv("CI") == "") install.packages("slow")'
      ]
    });
  });

  test('the plan warns about unreadable lines, and strict mode refuses them', async () => {
    const files = {
      'install.R':
        'install.packages("jsonlite")\ndevtools::install_github("user/thing")\n'
    };
    expect((await plan(files)).warnings).toEqual([
      'install.R: envhub installs R packages from Debian bookworm and reads only install.packages(…), library(…) and require(…) calls with package names, so this is left out: line 2: devtools::install_github("user/thing")'
    ]);
    await expect(plan(files, { strictRuntime: true })).rejects.toMatchObject({
      status: 422,
      code: 'unsupported_config',
      message: expect.stringContaining(
        'line 2: devtools::install_github("user/thing") (strict runtime mode)'
      )
    });
  });
});

describe('DESCRIPTION', () => {
  const description = [
    'Package: demo',
    'Version: 0.1.0',
    'Depends: R (>= 3.5.0), methods',
    'Imports:',
    '    ggplot2 (>= 3.0.0),',
    '    data.table,',
    '    stats,',
    'Suggests: testthat',
    'Remotes: github::user/thing',
    ''
  ].join('\n');

  test('Depends and Imports without R, base packages and version constraints; Remotes are unreadable', () => {
    expect(parseDescription(description)).toEqual({
      packages: ['ggplot2', 'data.table'],
      unreadable: ['Remotes: github::user/thing']
    });
  });

  test('the plan says the package itself is not installed', async () => {
    const p = await plan({ DESCRIPTION: description });
    expect(wanted(p)).toEqual(['ggplot2', 'data.table']);
    expect(p.warnings).toEqual([
      'DESCRIPTION: envhub installs R packages from Debian bookworm and reads only its Depends and Imports fields, so this is left out: Remotes: github::user/thing',
      'DESCRIPTION: its dependencies are installed, not the package itself (Binder installs it with remotes::install_local())'
    ]);
  });
});

describe('the R version is Debian’s', () => {
  test('runtime.txt forms', () => {
    expect(parseRRuntime('r-2023-01-10', 'runtime.txt')).toEqual({
      version: null,
      date: '2023-01-10'
    });
    expect(parseRRuntime('r-4.1.3-2022-01-01\n', 'runtime.txt')).toEqual({
      version: '4.1.3',
      date: '2022-01-01'
    });
    expect(parseRRuntime('r-3.6', 'runtime.txt')).toEqual({
      version: '3.6',
      date: null
    });
    for (const bad of ['r-4.2-', 'r-4', 'r-2023-02-30', 'r-latest'])
      expect(() => parseRRuntime(bad, 'binder/runtime.txt')).toThrow(
        `binder/runtime.txt reads "${bad}", which is not an R runtime: write r-X.Y-YYYY-MM-DD`
      );
  });

  test('another version warns naming both, and the snapshot date cannot be honoured', async () => {
    expect(
      (await plan({ 'runtime.txt': 'r-4.1-2022-01-01\n' })).warnings
    ).toEqual([
      "runtime.txt asks for R 4.1, but this hub provides only R 4.2 (Debian bookworm's): using R 4.2 instead; its CRAN snapshot date 2022-01-01 cannot be honoured: R packages come from Debian bookworm's archive, at the versions it has"
    ]);
    expect((await plan({ 'runtime.txt': 'r-3.6\n' })).warnings).toEqual([
      "runtime.txt asks for R 3.6, but this hub provides only R 4.2 (Debian bookworm's): using R 4.2 instead"
    ]);
    expect((await plan({ 'runtime.txt': 'r-4.2.3\n' })).warnings).toEqual([]);
    expect((await plan({ 'runtime.txt': 'r-2023-01-10\n' })).warnings).toEqual([
      "runtime.txt CRAN snapshot date 2023-01-10 cannot be honoured: R packages come from Debian bookworm's archive, at the versions it has"
    ]);
  });

  test('strict mode refuses another version, but not a date', async () => {
    await expect(
      plan({ 'runtime.txt': 'r-4.1-2022-01-01\n' }, { strictRuntime: true })
    ).rejects.toMatchObject({
      status: 422,
      code: 'unsupported_config',
      message:
        "runtime.txt asks for R 4.1, but this hub provides only R 4.2 (Debian bookworm's) (strict runtime mode): ask for r-4.2-2022-01-01 there"
    });
    expect(
      (
        await plan(
          { 'runtime.txt': 'r-4.2-2023-01-10\n' },
          { strictRuntime: true }
        )
      ).buildPack
    ).toBe('r');
  });
});

describe('the generated build', () => {
  test('environment stage: apt.txt, then R as root, then Python; the content stage prints the warnings', async () => {
    const p = await plan({
      'apt.txt': 'figlet\n',
      'install.R': 'install.packages("jsonlite")\n',
      'requirements.txt': 'six\n'
    });
    const env = p.environmentDockerfile!;
    const order = [
      'apt-get install -y --no-install-recommends figlet',
      '# R 4.2 and R packages from Debian bookworm (install.R)\nUSER root\n' +
        `COPY [".envhub-r-packages.sh","/tmp/.envhub-r-packages.sh"]\n` +
        `RUN sh /tmp/${R_SCRIPT} && rm /tmp/${R_SCRIPT}\nUSER jovyan\n`,
      'uv pip install'
    ].map(needle => env.indexOf(needle));
    expect(order.every(i => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(content(p)).toContain(
      `COPY --chown=1000:100 repo/ /home/jovyan/\nRUN cat ${BUILD_WARNINGS}\n`
    );
    // A Python-only plan has neither.
    const python = await plan({ 'requirements.txt': 'six\n' });
    expect(content(python)).not.toContain(BUILD_WARNINGS);
  });

  test('the script points apt at the mirror first, when there is one', async () => {
    const p = await plan(
      { 'install.R': 'library(jsonlite)\n' },
      { aptMirror: 'http://mirror.example/debian' }
    );
    const script = p.generatedFiles[R_SCRIPT];
    expect(
      script.indexOf('#http://mirror.example/debian\\1\\2#g')
    ).toBeLessThan(script.indexOf('apt-get update'));
    expect(script.indexOf('apt-get update')).toBeGreaterThan(0);
  });

  /**
   * Runs the generated script with apt-get, apt-cache and jupyter replaced by fakes that know
   * `available`, and BUILD_WARNINGS moved into a temporary folder.
   */
  async function runScript(
    files: Record<string, string>,
    available: string[],
    extra: Partial<BuildPlanOptions> = {},
    kernels = ['ir', 'python3']
  ) {
    const p = await plan(files, extra);
    const dir = await tempDir();
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const fake = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    await fake(
      'apt-cache',
      `case " ${available.join(' ')} " in *" $2 "*) echo "Package: $2";; *) echo "N: no $2" >&2; exit 100;; esac`
    );
    await fake('apt-get', `echo "$@" >> ${dir}/apt-get.log`);
    // The script's only other commands on the host's files.
    await fake('rm', `echo "rm $1" >> ${dir}/apt-get.log`);
    await fake('find', `echo "find $*" >> ${dir}/apt-get.log`);
    await fake(
      'jupyter',
      `echo "Available kernels:"${kernels.map(k => `; echo "  ${k}    /usr/share/jupyter/kernels/${k}"`).join('')}`
    );
    const warnings = join(dir, 'srv/build-warnings');
    const script = p.generatedFiles[R_SCRIPT].replace(
      `warnings=${BUILD_WARNINGS}\n`,
      `warnings=${warnings}\n`
    ).replace('/srv/venv/bin/jupyter', join(bin, 'jupyter'));
    await writeFile(join(dir, 'script.sh'), script);
    const run = await promisify(execFile)('sh', [join(dir, 'script.sh')], {
      env: { PATH: `${bin}:/usr/bin:/bin` }
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err
    );
    return {
      ...run,
      apt: await readFile(join(dir, 'apt-get.log'), 'utf8').catch(() => ''),
      warnings: await readFile(warnings, 'utf8').catch(() => null)
    };
  }

  test('packages Debian lacks are named in a warning line and left out', async () => {
    const result = await runScript(
      {
        'install.R':
          'install.packages(c("jsonlite", "envhubNoSuch", "data.table", "otherMissing"))\n'
      },
      ['r-cran-jsonlite', 'r-cran-data.table']
    );
    expect(result.code).toBe(0);
    expect(result.warnings).toBe(
      '[envhub] warning: install.R asks for R packages Debian bookworm does not have: envhubNoSuch, otherMissing; they are left out\n'
    );
    expect(result.apt).toBe(
      'update\n' +
        'install -y --no-install-recommends r-base-core r-cran-irkernel r-cran-jsonlite r-cran-data.table\n' +
        'clean\n' +
        'rm -rf\n'
    );
  });

  test('when Debian has them all, the warnings file is empty', async () => {
    const result = await runScript({ 'install.R': 'library(jsonlite)\n' }, [
      'r-cran-jsonlite'
    ]);
    expect(result.code).toBe(0);
    expect(result.warnings).toBe('');
  });

  test('strict mode fails the build naming the missing packages, before installing anything', async () => {
    const result = await runScript(
      {
        'binder/runtime.txt': 'r-4.2-2023-01-10\n',
        'binder/install.R': 'library(jsonlite)\nlibrary(envhubNoSuch)\n'
      },
      ['r-cran-jsonlite'],
      { strictRuntime: true }
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'binder/install.R asks for R packages Debian bookworm does not have: envhubNoSuch (strict runtime mode): remove them, or install them another way (apt.txt, postBuild)\n'
    );
    expect(result.apt).toBe('update\n');
  });

  test('an IR kernel that the Jupyter of /srv/venv does not list fails the build', async () => {
    const result = await runScript({ 'install.R': '' }, [], {}, ['python3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'the IR kernel is not on the Jupyter path of /srv/venv\n'
    );
  });
});
