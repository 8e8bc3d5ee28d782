import { parse } from 'yaml';
import { invalidConfig, unsupportedConfig } from './repoFiles.js';

/**
 * environment.yml on a hub without conda: conda packages become PyPI requirements where PyPI has
 * the same package, the `pip:` list is kept as it is, and everything else is refused by name.
 */

/** conda name → PyPI name, where they differ. */
const PYPI_NAME: Record<string, string> = {
  pytorch: 'torch',
  'pytorch-cpu': 'torch',
  'matplotlib-base': 'matplotlib',
  'numpy-base': 'numpy',
  'dask-core': 'dask',
  'py-opencv': 'opencv-python',
  opencv: 'opencv-python',
  pytables: 'tables',
  'msgpack-python': 'msgpack',
  'python-graphviz': 'graphviz',
  'python-kaleido': 'kaleido',
  ruamel_yaml: 'ruamel.yaml',
  pyqt: 'PyQt5',
  'tensorflow-base': 'tensorflow'
};

/** Libraries of a conda installation that the base image's Debian and venv already provide. */
const PROVIDED = new Set([
  'ca-certificates',
  'openssl',
  'zlib',
  'libzlib',
  'xz',
  'bzip2',
  'tk',
  'readline',
  'ncurses',
  'sqlite',
  'libsqlite',
  'libffi',
  'tzdata',
  'libuuid',
  'libnsl',
  'ld_impl_linux-64',
  'libgcc-ng',
  'libgcc',
  'libstdcxx-ng',
  'libstdcxx',
  'libgomp',
  'libexpat',
  'expat',
  'libxcrypt',
  'libmpdec'
]);

/** Conda tooling that means nothing outside conda. */
const CONDA_TOOLING = new Set([
  'conda',
  'mamba',
  'conda-build',
  'nb_conda',
  'nb_conda_kernels',
  'conda-forge-pinning'
]);

/** Non-Python conda packages: none on PyPI. The value is what to put in apt.txt instead, if anything. */
const CONDA_ONLY: Record<string, string | null> = {
  nodejs: 'nodejs',
  git: 'git',
  'git-lfs': 'git-lfs',
  ffmpeg: 'ffmpeg',
  graphviz: 'graphviz',
  make: 'make',
  compilers: 'build-essential',
  'c-compiler': 'gcc',
  'cxx-compiler': 'g++',
  'fortran-compiler': 'gfortran',
  gcc: 'gcc',
  gxx: 'g++',
  gfortran: 'gfortran',
  openjdk: 'default-jdk',
  pandoc: 'pandoc',
  imagemagick: 'imagemagick',
  poppler: 'poppler-utils',
  tesseract: 'tesseract-ocr',
  'texlive-core': 'texlive',
  gdal: 'gdal-bin',
  libgdal: 'libgdal-dev',
  proj: 'proj-bin',
  geos: 'libgeos-dev',
  hdf5: 'libhdf5-dev',
  libnetcdf: 'libnetcdf-dev',
  openblas: 'libopenblas-dev',
  libblas: 'libblas-dev',
  liblapack: 'liblapack-dev',
  r: null,
  julia: null,
  cudatoolkit: null,
  'cuda-toolkit': null,
  cudnn: null,
  'xeus-cling': null
};

function condaOnly(name: string): boolean {
  return (
    name in CONDA_ONLY ||
    name.startsWith('r-') ||
    name.startsWith('_') ||
    /_linux-(64|aarch64)$/.test(name)
  );
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const VERSION = /^[A-Za-z0-9.*+!_-]+$/;

/** One conda dependency as a pip requirement: the name, and a PEP 440 specifier ('' for any). */
interface CondaSpec {
  name: string;
  channel?: string;
  specifier: string;
  droppedBuild: boolean;
}

/** conda's `1.2*` / `1.2.*` / `1.2` (no operator) → a PEP 440 clause. */
function bareVersion(version: string): string {
  if (version === '*') return '';
  if (version.endsWith('*')) return `==${version.replace(/\.?\*$/, '')}.*`;
  return `==${version}`;
}

function conditions(version: string, where: string): string {
  if (version.includes('|')) {
    throw unsupportedConfig(
      `${where}: "${version}" uses conda's "|" (or), which pip requirements cannot express: pin one range`
    );
  }
  return version
    .split(',')
    .map(c => {
      const m = /^(==|>=|<=|!=|~=|>|<)?(.+)$/.exec(c.trim());
      if (!m || !VERSION.test(m[2]))
        throw invalidConfig(
          `${where}: "${version}" is not a version conda or pip understand`
        );
      if (!m[1]) return bareVersion(m[2]);
      return m[2].endsWith('*') && m[1] === '=='
        ? bareVersion(m[2])
        : `${m[1]}${m[2]}`;
    })
    .filter(Boolean)
    .join(',');
}

/** Parses a conda match spec (`name`, `name=1.2`, `name==1.2`, `name>=1,<2`, `name 1.2.*`, `chan::name=1.2=build`). */
function parseSpec(raw: string, where: string): CondaSpec {
  const m = /^(?:([^:\s]+)::)?([^\s=<>!~[]+)\s*(.*)$/.exec(raw.trim());
  if (!m || !NAME.test(m[2]))
    throw invalidConfig(
      `${where}: "${raw}" is not a conda package spec (name, name=1.2 or name>=1.2)`
    );
  const [, channel, name] = m;
  let rest = m[3].trim();
  if (rest.startsWith('[')) {
    throw unsupportedConfig(
      `${where}: "${raw}" uses conda's [key=value] spec syntax, which envhub does not translate: write it as ${name}>=1.0`
    );
  }
  let droppedBuild = false;
  let specifier = '';
  if (rest.startsWith('==')) {
    const [version, build] = rest.slice(2).split('=');
    droppedBuild = build !== undefined;
    specifier = conditions(`==${version}`, where);
  } else if (rest.startsWith('=')) {
    // conda's single `=` is a prefix match: numpy=1.2 means 1.2.*; a second `=` adds a build string.
    const [version, build] = rest.slice(1).split('=');
    droppedBuild = build !== undefined;
    if (!VERSION.test(version))
      throw invalidConfig(
        `${where}: "${raw}" is not a version conda or pip understand`
      );
    specifier = version === '*' ? '' : `==${version.replace(/\.?\*$/, '')}.*`;
  } else if (rest) {
    const [version, build] = rest.split(/\s+/);
    droppedBuild = build !== undefined;
    rest = version;
    specifier = conditions(rest, where);
  }
  return { name, channel, specifier, droppedBuild };
}

/** environment.yml translated for pip. */
export interface CondaEnvironment {
  /** Requirement lines from the conda dependencies, in PEP 508 syntax. */
  requirements: string[];
  /** The `pip:` list as written, with a label for messages. */
  pip: Array<{ line: string; where: string }>;
  /** The `python` dependency's version constraint, if any ('' when unversioned). */
  python?: string;
  warnings: string[];
}

const OK_CHANNELS = new Set([
  'defaults',
  'conda-forge',
  'main',
  'pkgs/main',
  'anaconda',
  'nodefaults'
]);

/** Reads an environment.yml and translates it, refusing what cannot come from PyPI. */
export function parseEnvironmentYml(
  text: string,
  file: string
): CondaEnvironment {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw invalidConfig(
      `${file} is not valid YAML (${(err as Error).message.split('\n')[0]}): fix the syntax`
    );
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalidConfig(
      `${file} must be a YAML mapping with a "dependencies" list (see conda's environment.yml format)`
    );
  }
  const env = doc as Record<string, unknown>;
  const result: CondaEnvironment = { requirements: [], pip: [], warnings: [] };

  const channels = env.channels ?? [];
  if (!Array.isArray(channels))
    throw invalidConfig(`${file}: "channels" must be a list`);
  const odd = channels.map(String).filter(c => !OK_CHANNELS.has(c));
  const specChannels = new Set<string>();

  const deps = env.dependencies ?? [];
  if (!Array.isArray(deps))
    throw invalidConfig(`${file}: "dependencies" must be a list`);
  const refused: string[] = [];
  const provided: string[] = [];
  const tooling: string[] = [];
  let droppedBuilds = 0;
  deps.forEach((dep: unknown, i: number) => {
    const where = `${file} dependency ${i + 1}`;
    if (dep !== null && typeof dep === 'object' && !Array.isArray(dep)) {
      const entries = Object.entries(dep as Record<string, unknown>);
      if (
        entries.length !== 1 ||
        entries[0][0] !== 'pip' ||
        !Array.isArray(entries[0][1])
      ) {
        throw invalidConfig(
          `${where}: only a "pip:" list may appear as a mapping in dependencies`
        );
      }
      (entries[0][1] as unknown[]).forEach((line, j) => {
        if (typeof line !== 'string' || /[\r\n]/.test(line)) {
          throw invalidConfig(
            `${file} pip entry ${j + 1}: each pip entry must be one line of text`
          );
        }
        if (line.trim())
          result.pip.push({
            line: line.trim(),
            where: `${file} pip entry ${j + 1}`
          });
      });
      return;
    }
    if (typeof dep !== 'string' && typeof dep !== 'number') {
      throw invalidConfig(
        `${where}: expected a package spec such as numpy=1.26`
      );
    }
    const spec = parseSpec(String(dep), where);
    const name = spec.name.toLowerCase();
    if (spec.channel && !OK_CHANNELS.has(spec.channel))
      specChannels.add(spec.channel);
    if (name === 'python') {
      result.python = spec.specifier;
      return;
    }
    if (name === 'pip') return; // the venv has pip; repo2docker's environments always list it
    if (PROVIDED.has(name)) return void provided.push(name);
    if (CONDA_TOOLING.has(name)) return void tooling.push(name);
    if (condaOnly(name)) return void refused.push(spec.name);
    if (spec.droppedBuild) droppedBuilds++;
    result.requirements.push(
      `${PYPI_NAME[name] ?? spec.name}${spec.specifier}`
    );
  });

  if (refused.length) {
    const apt = refused
      .map(n => CONDA_ONLY[n.toLowerCase()])
      .filter((a): a is string => !!a);
    const shown =
      refused.length > 10
        ? `${refused.slice(0, 10).join(', ')} and ${refused.length - 10} more`
        : refused.join(', ');
    throw unsupportedConfig(
      `${file} asks for conda packages that have no PyPI equivalent (${shown}); conda channels are unreachable from this hub, so packages come from PyPI: ` +
        'remove them' +
        (apt.length
          ? ` (system tools can go in apt.txt instead: ${[...new Set(apt)].join(', ')})`
          : '') +
        (droppedBuilds || refused.some(n => n.startsWith('_'))
          ? '; this looks like `conda env export` output: export with --from-history, or list the packages you import'
          : '')
    );
  }
  const allChannels = [...new Set([...odd, ...specChannels])];
  if (allChannels.length) {
    result.warnings.push(
      `${file} names conda channels ${allChannels.join(', ')}; conda channels are unreachable from this hub, so its packages are installed from PyPI`
    );
  }
  if (provided.length)
    result.warnings.push(
      `${file}: ${provided.join(', ')} come from the base image, not conda`
    );
  if (tooling.length)
    result.warnings.push(
      `${file}: ${tooling.join(', ')} skipped: there is no conda on this hub`
    );
  if (droppedBuilds)
    result.warnings.push(
      `${file}: conda build strings (name=version=build) are ignored; versions are taken from PyPI`
    );
  const extra = Object.keys(env).filter(
    k => !['name', 'channels', 'dependencies', 'prefix'].includes(k)
  );
  if (extra.length)
    result.warnings.push(
      `${file}: ${extra.join(', ')} ignored (envhub reads name, channels and dependencies)`
    );
  return result;
}
