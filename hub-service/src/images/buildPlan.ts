import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { EnvhubError } from '../errors.js';
import { parseEnvironmentYml } from './buildPacks/conda.js';
import { dockerfileImages } from './buildPacks/dockerfile.js';
import {
  checkPython,
  parseAptTxt,
  pythonSatisfies,
  parseRuntimeTxt,
  runtimeIgnored
} from './buildPacks/extras.js';
import {
  lockFallbackWarning,
  parsePipfile,
  parsePipfileLock,
  pipFallbackWarning,
  pipfilePython,
  type PipfileRequirements
} from './buildPacks/pipfile.js';
import {
  RepoFiles,
  invalidConfig,
  unsupportedConfig
} from './buildPacks/repoFiles.js';
import { readREnvironment, rBuildSteps, R_SCRIPT } from './buildPacks/r.js';
import { scanRequirements } from './buildPacks/requirements.js';

/** How this hub builds: the base image and where packages come from. */
export interface BuildPlanOptions {
  /** e.g. 'envhub-base:latest' */
  baseImage: string;
  /** Passed to uv/pip (UV_INDEX_URL / PIP_INDEX_URL) when set. */
  pipIndexUrl?: string;
  /** When set (http://host/debian), apt sources are rewritten to it before apt.txt is installed. */
  aptMirror?: string;
  /** runtime.txt asking for an unavailable Python: fail instead of warn. */
  strictRuntime?: boolean;
  /** What the base image provides, e.g. '3.11'. */
  availablePython: string;
}

/** The build pack repo2docker would pick. */
export type BuildPack =
  | 'dockerfile'
  | 'environment.yml'
  | 'pipfile'
  | 'requirements.txt'
  | 'setup.py'
  | 'pyproject.toml'
  | 'python'
  | 'r';

/** How to build one checkout: an environment stage that depends only on environment files, then a content stage. */
export interface BuildPlan {
  buildPack: BuildPack;
  configDir: '' | 'binder' | '.binder';
  /** Shown in the build log (e.g. runtime.txt fallback). */
  warnings: string[];
  /**
   * Repo-relative files the environment stage depends on; its build context holds only these (at the
   * same relative paths) plus `generatedFiles`. Copy them dereferenced: the planner has checked that
   * symbolic links among them stay inside the repository. Empty for 'dockerfile'.
   */
  environmentFiles: string[];
  /**
   * Files the environment context needs that aren't in the repository (context path → content),
   * e.g. requirements derived from environment.yml or Pipfile.lock. Part of the fingerprint.
   */
  generatedFiles: Record<string, string>;
  /** Dockerfile of the environment stage, `FROM <baseImage>`; null for 'dockerfile'. */
  environmentDockerfile: string | null;
  /**
   * Dockerfile of the content stage, FROM the environment image; its context has the whole
   * repository under `repo/`. null for 'dockerfile' repos (their own Dockerfile is built as it is).
   */
  contentDockerfile(environmentImage: string): string | null;
  /** For 'dockerfile' repos: build it with the repository root as context, as repo2docker does. */
  dockerfile?: {
    path: string;
    buildArgs: Record<string, string>;
    fromImages: string[];
  };
}

const HOME = '/home/jovyan';
/** Where the environment stage puts environment files; removed once installed. */
const ENV_DIR = '/tmp/envhub-env';
const START = '/srv/envhub/start';
/** `--no-cache` keeps layers small; pip compiles bytecode by default, so uv should too. */
const UV =
  'uv pip install --python /srv/venv/bin/python --no-cache --link-mode=copy --compile-bytecode';
const BINDER_BUILD_ARGS = { NB_USER: 'jovyan', NB_UID: '1000' };
/** The venv's own pip, for what uv refuses but pip (and so pipenv) installs. */
const PIP = '/srv/venv/bin/python -m pip install --no-cache-dir';
const UV_LOG = '/tmp/envhub-uv.log';
const UV_STATUS = '/tmp/envhub-uv.status';
/**
 * uv's words for metadata it refuses and pip reads: a legacy version string in a package's metadata
 * (`pytz (>=2011k)`: "after parsing `2011`, found `k`, which is not part of a valid version"), or, for
 * an exact pin, "there is no version of x==1.1" when it skipped the release's files for one.
 */
const UV_REFUSED =
  'invalid metadata|could not be parsed|not part of a valid version|there (is|are) no versions? of';

/** uv's and pip's words for files that do not match the pinned hashes. */
const HASH_MISMATCH = 'hash mismatch|do not match the hashes';

/** A word for a POSIX shell, quoted unless it is plainly safe. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(word)
    ? word
    : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A repo path goes into COPY's JSON form: no globs or `$` (Docker expands both there), no control characters. */
function copyable(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\0-\x1f\x7f*?[\]\\$]/.test(path)) {
    throw invalidConfig(
      `${path}: envhub cannot copy a file whose name contains * ? [ ] \\ $ or control characters: rename it`
    );
  }
  return path;
}

function serverConfig(message: string): EnvhubError {
  return new EnvhubError(500, 'server_config', message);
}

const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

function checkOptions(options: BuildPlanOptions): { mirror?: string } {
  if (!IMAGE_REF.test(options.baseImage))
    throw serverConfig(
      `base image "${options.baseImage}" is not an image reference`
    );
  if (!/^\d+\.\d+$/.test(options.availablePython))
    throw serverConfig(
      `availablePython "${options.availablePython}" must read X.Y`
    );
  if (
    options.pipIndexUrl !== undefined &&
    !/^https?:\/\/[^\s"'\\$`]+$/.test(options.pipIndexUrl)
  ) {
    throw serverConfig(
      'the package index URL must be an http(s) URL without spaces, quotes, backslashes or $'
    );
  }
  if (
    options.aptMirror !== undefined &&
    !/^https?:\/\/[A-Za-z0-9._~:@[\]-]+(\/[A-Za-z0-9._~%+-]+)*\/?$/.test(
      options.aptMirror
    )
  ) {
    throw serverConfig(
      'the apt mirror must be a plain http(s) URL such as http://mirror.example/debian'
    );
  }
  return { mirror: options.aptMirror?.replace(/\/$/, '') };
}

/** Commands that point apt at the mirror, when one is set, before `apt-get update`. */
function aptSources(mirror: string | undefined): string[] {
  return mirror
    ? [
        `find /etc/apt -maxdepth 2 -type f \\( -name '*.list' -o -name '*.sources' \\) -exec sed -i -E ${shQuote(
          `s#https?://[^[:space:]]*/debian(-security)?/?([[:space:]]|$)#${mirror}\\1\\2#g`
        )} {} +`
      ]
    : [];
}

/** What installs the Python packages, and in which stage. */
interface PythonInstall {
  /** The requirements file uv reads, as a path inside the image. */
  requirements: string;
  /** Environment-context files the environment stage copies into ENV_DIR. */
  copy: string[];
  /** 'content' when the requirements refer to files in the checkout (`-e .`). */
  stage: 'environment' | 'content';
  /** Where the install runs (local paths resolve against it), inside the image. */
  cwd: string;
  /**
   * Set for Pipfile(.lock): installed as pipenv would, with pip when uv refuses legacy metadata.
   * `fallback`: for a lock made for another Python, the Pipfile's requirements (a path inside the
   * image) and the warning, installed when the lock does not install on this one.
   */
  pipenv?: {
    source: string;
    lock: boolean;
    fallback?: { requirements: string; warning: string };
  };
}

/** Context path of a generated requirements file next to `source`, so its relative `-r` lines still resolve. */
function generatedPath(source: string): string {
  const dir = posix.dirname(source);
  return dir === '.'
    ? '.envhub-requirements.txt'
    : `${dir}/.envhub-requirements.txt`;
}

/**
 * The shell command of the RUN that installs `install`, then removes `cleanup`. A Pipfile installs
 * as pipenv would: a lock with `--no-deps` (it pins every package, and pipenv installs it so), and
 * when uv refuses a package's metadata, with pip, saying so in the build log. A lock made for
 * another Python that installs neither way gives way to its Pipfile's `fallback`, with a warning.
 */
function installSteps(install: PythonInstall, cleanup: string[]): string {
  const req = shQuote(install.requirements);
  const rm = (paths: string[]) =>
    paths.length ? ` \\\n && rm -rf ${paths.join(' ')}` : '';
  if (!install.pipenv) return `${UV} -r ${req}${rm(cleanup)}`;
  const { source, lock, fallback } = install.pipenv;
  const noDeps = lock ? ' --no-deps' : '';
  const uvFirst = [
    `{ ${UV}${noDeps} -r ${req} 2>&1; echo $? > ${UV_STATUS}; } | tee ${UV_LOG}`,
    ` && status=$(cat ${UV_STATUS})`
  ];
  const steps = fallback
    ? [
        ...uvFirst,
        ` && if [ "$status" != 0 ] && grep -qE ${shQuote(UV_REFUSED)} ${UV_LOG}; then`,
        `      echo ${shQuote(pipFallbackWarning(source))};`,
        `      { ${PIP}${noDeps} -r ${req} 2>&1; echo $? > ${UV_STATUS}; } | tee -a ${UV_LOG};`,
        `      status=$(cat ${UV_STATUS});`,
        '    fi',
        // Never past files that do not match the lock's hashes: that is no matter of Python versions.
        ' && if [ "$status" != 0 ]; then',
        `      grep -qiE ${shQuote(HASH_MISMATCH)} ${UV_LOG} && exit "$status";`,
        `      echo ${shQuote(fallback.warning)};`,
        `      ${UV} -r ${shQuote(fallback.requirements)};`,
        '    fi'
      ]
    : [
        ...uvFirst,
        ' && if [ "$status" != 0 ]; then',
        `      grep -qE ${shQuote(UV_REFUSED)} ${UV_LOG} || exit "$status";`,
        `      echo ${shQuote(pipFallbackWarning(source))};`,
        `      ${PIP}${noDeps} -r ${req};`,
        '    fi'
      ];
  return steps.join(' \\\n') + rm([...cleanup, UV_LOG, UV_STATUS]);
}

function homePath(rel: string): string {
  return rel ? `${HOME}/${rel}` : HOME;
}

function localWarning(source: string, refs: string[]): string {
  return `${source} refers to files in the repository (${refs[0]}${refs.length > 1 ? `, and ${refs.length - 1} more` : ''}), so it is installed with the repository content: every new commit reinstalls it`;
}

/**
 * Reads the checked-out repository in `dir` (a real directory, with git's executable bits on disk)
 * and plans its build. Throws EnvhubError for configurations that can't work here.
 */
export async function planBuild(
  dir: string,
  options: BuildPlanOptions
): Promise<BuildPlan> {
  const { mirror } = checkOptions(options);
  const repo = await RepoFiles.open(dir);

  const [binder, dotBinder] = await Promise.all([
    repo.isDir('binder'),
    repo.isDir('.binder')
  ]);
  if (binder && dotBinder) {
    throw invalidConfig(
      'both binder/ and .binder/ exist; repo2docker reads only one configuration folder: merge them into one and delete the other'
    );
  }
  const configDir: BuildPlan['configDir'] = binder
    ? 'binder'
    : dotBinder
      ? '.binder'
      : '';
  const cfg = (name: string) => (configDir ? `${configDir}/${name}` : name);
  /** Configuration files the chosen build pack does not read (R ignores environment.yml and Pipfile). */
  const unread = new Set<string>();
  const has = async (name: string) =>
    !unread.has(name) && (await repo.isFile(cfg(name)));
  const warnings: string[] = [];

  if (configDir) {
    const hidden: string[] = [];
    for (const name of [
      'environment.yml',
      'Pipfile',
      'Pipfile.lock',
      'requirements.txt',
      'setup.py',
      'pyproject.toml',
      'apt.txt',
      'postBuild',
      'start',
      'runtime.txt',
      'Dockerfile'
    ]) {
      if (await repo.isFile(name)) hidden.push(name);
    }
    if (hidden.length)
      warnings.push(
        `${configDir}/ exists, so ${hidden.join(', ')} at the repository root ${hidden.length > 1 ? 'are' : 'is'} ignored (as on Binder)`
      );
  }

  // 1. A Dockerfile is built as it is; nothing else applies.
  if (await has('Dockerfile')) {
    const path = cfg('Dockerfile');
    const fromImages = dockerfileImages(
      await repo.readText(path),
      path,
      BINDER_BUILD_ARGS
    );
    const ignored: string[] = [];
    for (const name of [
      'environment.yml',
      'Pipfile',
      'Pipfile.lock',
      'requirements.txt',
      'apt.txt',
      'runtime.txt',
      'postBuild',
      'start'
    ]) {
      if (await has(name)) ignored.push(cfg(name));
    }
    if (ignored.length)
      warnings.push(
        `${path} builds the image, so ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored (as on Binder)`
      );
    return {
      buildPack: 'dockerfile',
      configDir,
      warnings,
      environmentFiles: [],
      generatedFiles: {},
      environmentDockerfile: null,
      contentDockerfile: () => null,
      dockerfile: { path, buildArgs: { ...BINDER_BUILD_ARGS }, fromImages }
    };
  }

  // 2. Environments this hub cannot fetch fail before anything is built.
  for (const name of ['Project.toml', 'JuliaProject.toml', 'REQUIRE']) {
    if (await has(name)) {
      throw unsupportedConfig(
        `${cfg(name)} asks for a Julia environment, but Julia and its packages cannot be fetched from this hub: use a Python environment, or a Binder service with Julia`
      );
    }
  }
  if (await has('default.nix')) {
    throw unsupportedConfig(
      `${cfg('default.nix')} asks for a Nix environment, but Nix and its channels cannot be fetched from this hub: describe the environment with requirements.txt or environment.yml`
    );
  }
  const runtimeFile = cfg('runtime.txt');
  const runtime = (await has('runtime.txt'))
    ? parseRuntimeTxt(await repo.readText(runtimeFile), runtimeFile)
    : null;
  // R and CRAN packages from Debian's archive, on top of the Python environment (as repo2docker's
  // R build pack extends its Python one).
  const r = await readREnvironment(
    repo,
    {
      cfg,
      configDir,
      runtime: runtime?.language === 'r' ? runtime.text : null,
      strictRuntime: options.strictRuntime
    },
    warnings
  );
  for (const name of r?.ignored ?? []) unread.add(name);

  const python = runtime?.language === 'python' ? runtime.version : null;

  // 3. Extras applied on top of every other build pack.
  const aptFile = cfg('apt.txt');
  const apt = (await has('apt.txt'))
    ? parseAptTxt(await repo.readText(aptFile), aptFile)
    : [];
  const postBuild = (await has('postBuild')) ? cfg('postBuild') : null;
  const start = (await has('start')) ? cfg('start') : null;
  for (const script of [postBuild, start]) {
    if (script && !(await repo.isExecutable(script))) {
      throw invalidConfig(
        `${script} is not executable: run \`git update-index --chmod=+x ${script}\` and commit`
      );
    }
  }
  if (start && !(await repo.readText(start)).startsWith('#!')) {
    throw invalidConfig(
      `${start} has no #! line, so it cannot be executed: make its first line \`#!/bin/bash\` (and end it with \`exec "$@"\`)`
    );
  }

  // 4. The Python environment.
  let buildPack: BuildPack;
  const environmentFiles: string[] = [];
  const generatedFiles: Record<string, string> = {};
  let install: PythonInstall | null = null;
  let rootPackage = false;

  const generated = (
    source: string,
    lines: string[],
    what: string,
    path = generatedPath(source)
  ): string => {
    generatedFiles[path] = [
      `# Generated by envhub from ${source}: ${what}`,
      ...lines,
      ''
    ].join('\n');
    return path;
  };

  if (await has('environment.yml')) {
    buildPack = 'environment.yml';
    const file = cfg('environment.yml');
    const env = parseEnvironmentYml(await repo.readText(file), file);
    warnings.push(...env.warnings);
    if (python)
      warnings.push(
        runtimeIgnored(
          runtimeFile,
          python,
          file,
          'pin python in its dependencies instead',
          options
        )
      );
    if (env.python) checkPython(env.python, file, options, warnings);
    const scan = await scanRequirements(repo, [], { file, lines: env.pip });
    environmentFiles.push(file, ...scan.files);
    if (env.requirements.length || scan.installsSomething) {
      const gen = generated(
        file,
        [...env.requirements, ...env.pip.map(p => p.line)],
        'conda dependencies as PyPI requirements, then its pip: list'
      );
      install = {
        requirements: `${ENV_DIR}/${gen}`,
        copy: [gen, ...scan.files],
        stage: scan.localRefs.length ? 'content' : 'environment',
        cwd: homePath(configDir) // conda runs the pip: list in the file's folder
      };
      if (scan.localRefs.length)
        warnings.push(localWarning(file, scan.localRefs));
    }
  } else if ((await has('Pipfile.lock')) || (await has('Pipfile'))) {
    buildPack = 'pipfile';
    const locked = await has('Pipfile.lock');
    const file = cfg(locked ? 'Pipfile.lock' : 'Pipfile');
    const text = await repo.readText(file);
    const pip: PipfileRequirements = locked
      ? parsePipfileLock(text, file)
      : parsePipfile(text, file);
    warnings.push(...pip.warnings);
    // As repo2docker: the lock's python_version, else the Pipfile's; runtime.txt is not read.
    const pipfile = cfg('Pipfile');
    const pin =
      pip.python !== undefined
        ? { request: pip.python, source: file }
        : locked && (await has('Pipfile'))
          ? {
              request: pipfilePython(await repo.readText(pipfile), pipfile),
              source: pipfile
            }
          : null;
    if (python)
      warnings.push(
        runtimeIgnored(
          runtimeFile,
          python,
          file,
          `set python_version under [requires] in ${pipfile} instead`,
          options
        )
      );
    if (pin?.request !== undefined)
      checkPython(pin.request, pin.source, options, warnings);
    environmentFiles.push(file);
    if (pip.requirements.length) {
      // The file's own digest keys Docker's layer cache on it, as the environment's fingerprint is:
      // a changed lock installs again, and the pip fallback's warning is printed again.
      const digest = createHash('sha256').update(text).digest('hex');
      const gen = generated(
        file,
        pip.requirements,
        `${locked ? 'the default and develop packages, pinned' : 'packages and dev-packages'} (sha256 ${digest.slice(0, 16)})`
      );
      install = {
        requirements: `${ENV_DIR}/${gen}`,
        copy: [gen],
        stage: pip.localRefs.length ? 'content' : 'environment',
        cwd: homePath(configDir), // pipenv resolves paths against the Pipfile's folder
        pipenv: { source: file, lock: locked }
      };
      // A lock made for another Python may pin releases without files for this one (wheels for
      // Python 3.6 only): then the Pipfile's packages, resolved again, as pipenv would lock them here.
      const lockedFor = pip.python;
      if (
        locked &&
        lockedFor !== undefined &&
        !pythonSatisfies(options.availablePython, lockedFor) &&
        (await has('Pipfile'))
      ) {
        const fromPipfile = parsePipfile(await repo.readText(pipfile), pipfile);
        if (fromPipfile.requirements.length && !fromPipfile.localRefs.length) {
          const fallback = generated(
            pipfile,
            fromPipfile.requirements,
            `packages and dev-packages, for when ${file} does not install`,
            generatedPath(pipfile).replace(/\.txt$/, '-unlocked.txt')
          );
          install.copy.push(fallback);
          install.pipenv!.fallback = {
            requirements: `${ENV_DIR}/${fallback}`,
            warning: lockFallbackWarning(
              file,
              lockedFor,
              pipfile,
              options.availablePython
            )
          };
        }
      }
      if (pip.localRefs.length)
        warnings.push(localWarning(file, pip.localRefs));
    }
  } else {
    if (python) checkPython(python, runtimeFile, options, warnings);
    const rootSetup = !configDir && (await repo.isFile('setup.py'));
    const rootPyproject =
      !configDir && !rootSetup && (await repo.isFile('pyproject.toml'));
    if (
      rootPyproject &&
      !isInstallable(await repo.readText('pyproject.toml'))
    ) {
      warnings.push(
        'pyproject.toml has neither a [project] nor a [build-system] table, so the repository is not installed as a package'
      );
    } else {
      rootPackage = rootSetup || rootPyproject;
    }
    if (await has('requirements.txt')) {
      buildPack = 'requirements.txt';
      const file = cfg('requirements.txt');
      const scan = await scanRequirements(repo, [file]);
      if (scan.localRefs.length) {
        // The environment stage then holds no Python files: the install needs the checkout.
        warnings.push(localWarning(file, scan.localRefs));
        install = {
          requirements: homePath(file),
          copy: [],
          stage: 'content',
          cwd: HOME
        };
      } else if (scan.installsSomething) {
        environmentFiles.push(...scan.files);
        install = {
          requirements: `${ENV_DIR}/${file}`,
          copy: scan.files,
          stage: 'environment',
          cwd: HOME
        };
      }
    } else {
      buildPack = !rootPackage
        ? 'python'
        : rootSetup
          ? 'setup.py'
          : 'pyproject.toml';
    }
  }
  if (apt.length) environmentFiles.unshift(aptFile);
  const rBuild =
    r &&
    rBuildSteps(r, {
      strictRuntime: options.strictRuntime,
      aptSetup: aptSources(mirror)
    });
  if (r && rBuild) {
    buildPack = 'r';
    environmentFiles.push(...r.files);
    generatedFiles[R_SCRIPT] = rBuild.script;
  }
  if (python && buildPack !== 'environment.yml' && buildPack !== 'pipfile')
    environmentFiles.push(runtimeFile);
  for (const f of [...environmentFiles, ...(install?.copy ?? [])]) copyable(f);

  const indexArgs = options.pipIndexUrl
    ? [
        `ARG PIP_INDEX_URL=${options.pipIndexUrl}`,
        `ARG UV_INDEX_URL=${options.pipIndexUrl}`
      ]
    : [];

  const env: string[] = [
    `FROM ${options.baseImage}`,
    '# envhub environment stage: built from the environment files only, so a commit that changes no',
    '# environment file reuses it. repo2docker sets these; postBuild scripts use them.',
    `ENV NB_USER=jovyan NB_UID=1000 REPO_DIR=${HOME} NB_PYTHON_PREFIX=/srv/venv KERNEL_PYTHON_PREFIX=/srv/venv`
  ];
  if (apt.length) {
    const steps = [
      ...aptSources(mirror),
      'apt-get update',
      `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${apt.map(shQuote).join(' ')}`,
      'apt-get clean',
      'rm -rf /var/lib/apt/lists/*'
    ];
    env.push(
      `# System packages from ${aptFile}`,
      'USER root',
      `RUN ${steps.join(' \\\n && ')}`,
      'USER jovyan'
    );
  }
  if (rBuild) env.push(...rBuild.environment);
  env.push(`# Python ${options.availablePython}: /srv/venv of the base image`);
  if (install) {
    if (install.copy.length) env.push(`# Environment files`);
    for (const f of install.copy)
      env.push(
        `COPY --chown=1000:100 ${JSON.stringify([f, `${ENV_DIR}/${f}`])}`
      );
    if (install.stage === 'environment')
      env.push(...indexArgs, `RUN ${installSteps(install, [ENV_DIR])}`);
  }
  const environmentDockerfile = env.join('\n') + '\n';

  const contentDockerfile = (environmentImage: string): string => {
    if (!IMAGE_REF.test(environmentImage))
      throw serverConfig(
        `environment image "${environmentImage}" is not an image reference`
      );
    const runs: string[] = [];
    if (install?.stage === 'content') {
      runs.push(
        `RUN cd ${shQuote(install.cwd)} \\\n && ${installSteps(install, install.copy.length ? [ENV_DIR] : [])}`
      );
    }
    if (rootPackage)
      runs.push(`# The repository is a Python package`, `RUN ${UV} ${HOME}`);
    if (postBuild) runs.push(`RUN ./${postBuild}`);
    const lines = [
      `FROM ${environmentImage}`,
      '# envhub content stage: the repository, then what depends on it.',
      `COPY --chown=1000:100 repo/ ${HOME}/`,
      ...(rBuild ? rBuild.content : []),
      ...(runs.length ? indexArgs : []),
      ...runs
    ];
    if (start) {
      // Outside the home: the home is the user's volume, and the wrapper must be the repository's.
      lines.push(
        'USER root',
        `COPY ${JSON.stringify([`repo/${start}`, START])}`,
        `RUN ["chmod", "0755", "${START}"]`,
        'USER jovyan',
        `ENTRYPOINT ["tini", "--", "${START}"]`,
        // Setting ENTRYPOINT clears the inherited CMD.
        'CMD ["jupyterhub-singleuser"]'
      );
    }
    return lines.join('\n') + '\n';
  };

  return {
    buildPack,
    configDir,
    warnings,
    environmentFiles,
    generatedFiles,
    environmentDockerfile,
    contentDockerfile
  };
}

/** Whether a pyproject.toml describes something pip can install, not just tool settings. */
function isInstallable(text: string): boolean {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw invalidConfig(
      `pyproject.toml is not valid TOML (${(err as Error).message.split('\n')[0]}): fix the syntax`
    );
  }
  return 'project' in doc || 'build-system' in doc;
}
