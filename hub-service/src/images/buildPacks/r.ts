import { RepoFiles, invalidConfig, unsupportedConfig } from './repoFiles.js';

/**
 * R comes from the Debian release of the base image (bookworm: r-base-core 4.2), and R packages
 * from its `r-cran-*` packages: CRAN itself cannot be reached from this hub.
 */
export const DEBIAN_R = '4.2';
const DEBIAN = 'Debian bookworm';

/** Where the environment stage puts warning lines it finds; the content stage prints them. */
export const BUILD_WARNINGS = '/srv/envhub/build-warnings';
/** Context path of the generated install script. */
export const R_SCRIPT = '.envhub-r-packages.sh';

/** Packages that come with R itself (`R` is how DESCRIPTION names R's version). */
const BASE_PACKAGES = new Set([
  'R',
  'base',
  'compiler',
  'datasets',
  'graphics',
  'grDevices',
  'grid',
  'methods',
  'parallel',
  'splines',
  'stats',
  'stats4',
  'tcltk',
  'tools',
  'utils'
]);

/** A CRAN package name ("Writing R Extensions" 1.1.1): letters, digits and dots. */
const R_NAME = /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$/;

/** The Debian package of a CRAN package: `data.table` → `r-cran-data.table`. */
export function debianPackage(name: string): string {
  return `r-cran-${name.toLowerCase()}`;
}

/** What a runtime.txt `r-…` line asks for, as repo2docker reads it. */
export interface RRuntime {
  version: string | null;
  /** The CRAN snapshot date, YYYY-MM-DD. */
  date: string | null;
}

function isDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return (
    !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text
  );
}

/** `r-YYYY-MM-DD`, `r-X.Y[.Z]-YYYY-MM-DD` or `r-X.Y[.Z]`, as repo2docker accepts them. */
export function parseRRuntime(text: string, file: string): RRuntime {
  const value = text.trim();
  const m =
    /^r-(?:(\d+\.\d+(?:\.\d+)?)|(\d{4}-\d{2}-\d{2})|(\d+\.\d+(?:\.\d+)?)-(\d{4}-\d{2}-\d{2}))$/.exec(
      value
    );
  const date = m?.[2] ?? m?.[4] ?? null;
  if (!m || (date !== null && !isDate(date))) {
    throw invalidConfig(
      `${file} reads "${value.slice(0, 80)}", which is not an R runtime: write r-X.Y-YYYY-MM-DD on one line (e.g. r-${DEBIAN_R}-2023-01-10)`
    );
  }
  return { version: m[1] ?? m[3] ?? null, date };
}

/** What install.R or DESCRIPTION asks for. */
export interface RRequest {
  /** CRAN package names, in the order found, base packages dropped. */
  packages: string[];
  /** What envhub cannot read, as `line <n>: <code>`; left out of the build. */
  unreadable: string[];
}

type Token = {
  kind: 'string' | 'name' | 'number' | 'op' | 'newline';
  value: string;
  line: number;
  start: number;
  end: number;
};

const OPERATORS = [
  '<<-',
  '->>',
  ':::',
  '::',
  '<-',
  '->',
  '|>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||'
];

/** R's tokens, enough to find calls and their literal arguments; `#` comments dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const start = i;
    const at = line;
    if (c === '\n') {
      tokens.push({ kind: 'newline', value: '\n', line, start, end: ++i });
      line++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\n') line++;
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i++];
      }
      i++; // the closing quote (an unterminated string runs to the end)
      tokens.push({
        kind: c === '`' ? 'name' : 'string',
        value,
        line: at,
        start,
        end: i
      });
    } else if (/[A-Za-z]/.test(c) || (c === '.' && !/\d/.test(text[i + 1]))) {
      const value = /^[A-Za-z0-9._]+/.exec(text.slice(i))![0];
      i += value.length;
      tokens.push({ kind: 'name', value, line, start, end: i });
    } else if (/[\d.]/.test(c)) {
      const value = /^[\d.]+(?:[eE][+-]?\d+)?[Li]?/.exec(text.slice(i))![0];
      i += value.length;
      tokens.push({ kind: 'number', value, line, start, end: i });
    } else {
      const percent = c === '%' ? /^%[^%\n]*%/.exec(text.slice(i))?.[0] : null;
      const value =
        percent ?? OPERATORS.find(op => text.startsWith(op, i)) ?? c;
      i += value.length;
      tokens.push({ kind: 'op', value, line, start, end: i });
    }
  }
  return tokens;
}

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

/** Whether an R statement goes on to the next line: it ends in an operator or a control-flow head. */
function continues(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  if (last.kind === 'op' && !CLOSE.has(last.value)) return true;
  if (last.value !== ')') return false;
  let depth = 0;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i].kind !== 'op') continue;
    if (CLOSE.has(tokens[i].value)) depth++;
    else if (OPEN.has(tokens[i].value) && --depth === 0)
      return /^(if|for|while|function)$/.test(tokens[i - 1]?.value ?? '');
  }
  return false;
}

/** Top-level statements: split at newlines and `;` outside brackets, as R's parser does. */
function statements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const token of tokens) {
    const separator =
      token.kind === 'newline' || (token.kind === 'op' && token.value === ';');
    if (separator && depth === 0) {
      if (current.length && (token.value === ';' || !continues(current))) {
        out.push(current);
        current = [];
      }
      continue;
    }
    if (token.kind === 'op' && OPEN.has(token.value)) depth++;
    if (token.kind === 'op' && CLOSE.has(token.value))
      depth = Math.max(0, depth - 1);
    current.push(token);
  }
  if (current.length) out.push(current);
  return out;
}

type Expr =
  | { kind: 'string' | 'name' | 'constant'; value: string }
  | { kind: 'not'; expr: Expr }
  | { kind: 'call'; fn: string; args: Arg[] }
  | { kind: 'block'; statements: Token[][] };
type Arg = { name?: string; value: Expr };

/** Thrown for code outside the small part of R that envhub reads. */
class Unreadable extends Error {}

/** A recursive-descent parser for calls with literal arguments, `!`, `{…}` and names. */
class Parser {
  private i = 0;

  /** `tokens` keep their newlines, so that a `{…}` block can be split into statements again. */
  constructor(private readonly tokens: Token[]) {}

  /** The `n`th token from here, newlines skipped. */
  private index(n = 0): number {
    let i = this.i;
    for (;;) {
      while (this.tokens[i]?.kind === 'newline') i++;
      if (n-- === 0) return i;
      i++;
    }
  }

  get done(): boolean {
    return this.index() >= this.tokens.length;
  }

  peek(value?: string, n = 0): Token | undefined {
    const t = this.tokens[this.index(n)];
    return value === undefined || t?.value === value ? t : undefined;
  }

  take(value?: string): Token {
    const t = this.peek(value);
    if (!t) throw new Unreadable();
    this.i = this.index() + 1;
    return t;
  }

  expr(): Expr {
    const t = this.take();
    if (t.kind === 'string') return { kind: 'string', value: t.value };
    if (t.kind === 'number') return { kind: 'constant', value: t.value };
    if (t.kind === 'op' && t.value === '!')
      return { kind: 'not', expr: this.expr() };
    if (t.kind === 'op' && t.value === '{') return this.block();
    if (t.kind !== 'name') throw new Unreadable();
    let fn = t.value;
    const qualifier = this.peek('::') ?? this.peek(':::');
    if (qualifier) {
      this.take();
      fn += qualifier.value + this.take().value;
    }
    if (!this.peek('(')) {
      return /^(TRUE|FALSE|NULL|NA|T|F)$/.test(fn)
        ? { kind: 'constant', value: fn }
        : { kind: 'name', value: fn };
    }
    this.take('(');
    const args: Arg[] = [];
    while (!this.peek(')')) {
      const named =
        (this.peek()?.kind === 'name' || this.peek()?.kind === 'string') &&
        this.peek('=', 1);
      const name = named ? this.take().value : undefined;
      if (named) this.take('=');
      args.push({ name, value: this.expr() });
      if (!this.peek(')')) this.take(',');
    }
    this.take(')');
    return { kind: 'call', fn, args };
  }

  /** The statements of a `{…}` block whose `{` was just taken. */
  private block(): Expr {
    let depth = 1;
    for (let j = this.i; j < this.tokens.length; j++) {
      const t = this.tokens[j];
      if (t.kind !== 'op') continue;
      if (OPEN.has(t.value)) depth++;
      if (CLOSE.has(t.value) && --depth === 0) {
        const inner = this.tokens.slice(this.i, j);
        this.i = j + 1;
        return { kind: 'block', statements: statements(inner) };
      }
    }
    throw new Unreadable();
  }
}

/** The argument `name`, or else the `position`th unnamed one. */
function argument(args: Arg[], name: string, position = 0): Expr | undefined {
  return (
    args.find(a => a.name === name)?.value ??
    args.filter(a => a.name === undefined)[position]?.value
  );
}

/** Reads install.R: the packages it installs or loads, and what it does besides. */
class InstallScript {
  readonly packages: string[] = [];
  /** Variables holding package names (`pkgs <- c("a", "b")`). */
  private readonly vectors = new Map<string, string[]>();

  /** Reads one statement; false when it is more than envhub can read. */
  read(tokens: Token[]): boolean {
    const before = this.packages.length;
    try {
      const p = new Parser(tokens);
      if (p.peek('if')) this.guarded(p);
      else this.statement(p);
      if (!p.done) throw new Unreadable();
      return true;
    } catch (err) {
      if (!(err instanceof Unreadable)) throw err;
      this.packages.length = before;
      return false;
    }
  }

  /** `if (!require(x)) install.packages("x")`, with or without braces. */
  private guarded(p: Parser): void {
    p.take('if');
    p.take('(');
    const condition = p.expr();
    p.take(')');
    if (
      condition.kind !== 'not' ||
      condition.expr.kind !== 'call' ||
      !/^(base::)?(require|requireNamespace)$/.test(condition.expr.fn)
    )
      throw new Unreadable();
    this.call(condition.expr);
    const body = p.expr();
    if (body.kind === 'block') {
      for (const statement of body.statements) {
        const inner = new Parser(statement);
        this.statement(inner);
        if (!inner.done) throw new Unreadable();
      }
    } else if (body.kind === 'call') {
      this.call(body);
    } else {
      throw new Unreadable();
    }
  }

  private statement(p: Parser): void {
    const first = p.expr();
    const arrow = p.peek('<-') ?? p.peek('=') ?? p.peek('->');
    if (!arrow) {
      if (first.kind !== 'call') throw new Unreadable();
      this.call(first);
      return;
    }
    p.take();
    const second = p.expr();
    const [target, value] =
      arrow.value === '->' ? [second, first] : [first, second];
    if (target.kind !== 'name') throw new Unreadable();
    this.vectors.set(target.value, this.names(value));
  }

  private call(call: Extract<Expr, { kind: 'call' }>): void {
    const fn = call.fn.replace(/^(base|utils)::/, '');
    if (fn === 'install.packages') {
      const repos = argument(call.args, 'repos', 2);
      // repos = NULL installs files from disk, which the environment stage doesn't have.
      if (repos?.kind === 'constant' && repos.value === 'NULL')
        throw new Unreadable();
      const pkgs = argument(call.args, 'pkgs');
      if (!pkgs) throw new Unreadable();
      this.packages.push(...this.names(pkgs));
    } else if (/^(library|require|requireNamespace)$/.test(fn)) {
      const pkg = argument(call.args, 'package');
      const byValue = call.args.find(a => a.name === 'character.only')?.value;
      // With character.only = TRUE a bare name is a variable, not the package.
      if (
        (pkg?.kind !== 'name' && pkg?.kind !== 'string') ||
        (pkg.kind === 'name' &&
          byValue?.kind === 'constant' &&
          /^(TRUE|T)$/.test(byValue.value))
      )
        throw new Unreadable();
      this.packages.push(checked(pkg.value));
    } else if (
      /^(suppressPackageStartupMessages|suppressMessages|suppressWarnings|invisible)$/.test(
        fn
      ) &&
      call.args.length === 1 &&
      call.args[0].value.kind === 'call'
    ) {
      this.call(call.args[0].value);
    } else if (fn !== 'options' && fn !== 'IRkernel::installspec') {
      // options() only configures the install session, and envhub registers the IR kernel itself.
      throw new Unreadable();
    }
  }

  /** A package name vector: "x", c("x", "y") or a variable holding one. */
  private names(expr: Expr): string[] {
    if (expr.kind === 'string') return [checked(expr.value)];
    if (expr.kind === 'name') {
      const known = this.vectors.get(expr.value);
      if (known) return known;
    }
    if (expr.kind === 'call' && expr.fn === 'c')
      return expr.args.flatMap(a => this.names(a.value));
    throw new Unreadable();
  }
}

function checked(name: string): string {
  if (!R_NAME.test(name)) throw new Unreadable();
  return name;
}

function shorten(code: string): string {
  const flat = code.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
}

function request(names: string[], unreadable: string[]): RRequest {
  const packages = [...new Set(names.filter(n => !BASE_PACKAGES.has(n)))];
  return { packages, unreadable };
}

/**
 * The packages an install.R installs (`install.packages("x")`, `install.packages(c("x", "y"))`)
 * or loads (`library(x)`, `require(x)`). It is read, not run: anything else is listed as unreadable.
 */
export function parseInstallR(text: string): RRequest {
  const script = new InstallScript();
  const unreadable: string[] = [];
  for (const statement of statements(tokenize(text))) {
    if (!script.read(statement)) {
      const first = statement[0];
      const last = statement[statement.length - 1];
      unreadable.push(
        `line ${first.line}: ${shorten(text.slice(first.start, last.end))}`
      );
    }
  }
  return request(script.packages, unreadable);
}

/** A DESCRIPTION's fields (Debian control format: continuation lines start with white space). */
function descriptionFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const field = /^([A-Za-z0-9@/._-]+):(.*)$/.exec(line);
    if (field) {
      current = field[1];
      fields.set(current, field[2]);
    } else if (current && /^\s+\S/.test(line)) {
      fields.set(current, `${fields.get(current)}\n${line}`);
    } else if (line.trim()) {
      current = null;
    }
  }
  return fields;
}

/** The packages a DESCRIPTION's `Depends:` and `Imports:` name; `Remotes:` are unreadable. */
export function parseDescription(text: string): RRequest {
  const fields = descriptionFields(text);
  const names: string[] = [];
  const unreadable: string[] = [];
  for (const field of ['Depends', 'Imports']) {
    for (const entry of (fields.get(field) ?? '').split(',')) {
      const name = entry.replace(/\([^)]*\)/g, '').trim();
      if (!name || BASE_PACKAGES.has(name)) continue;
      if (R_NAME.test(name)) names.push(name);
      else unreadable.push(`${field}: ${shorten(entry)}`);
    }
  }
  for (const remote of (fields.get('Remotes') ?? '').split(',')) {
    if (remote.trim()) unreadable.push(`Remotes: ${shorten(remote)}`);
  }
  return request(names, unreadable);
}

/** An R environment: R, the IR kernel and the `r-cran-*` packages asked for. */
export interface REnvironment {
  /** The repository files it comes from (runtime.txt, install.R, DESCRIPTION). */
  files: string[];
  /** CRAN names in the order asked, IRkernel left out (always installed). */
  packages: string[];
  /** Configuration files this build pack does not read, as repo2docker's R build pack ignores them. */
  ignored: string[];
}

/** Where the R configuration lives, as the planner found it. */
export interface RConfig {
  /** A repository path in the configuration folder. */
  cfg: (name: string) => string;
  configDir: string;
  /** runtime.txt's text when it asks for R (`r-…`), else null. */
  runtime: string | null;
  strictRuntime?: boolean;
}

/**
 * Reads the R configuration of a repository, or returns null when it asks for no R. As repo2docker,
 * a runtime.txt `r-…-YYYY-MM-DD` or a root DESCRIPTION selects R and then environment.yml and
 * Pipfile are ignored; envhub also builds R for install.R or an undated `r-X.Y` (which Binder
 * ignores) unless environment.yml or Pipfile describes the environment. Pushes warnings; in strict
 * runtime mode what would be a warning about the request itself is an error.
 */
export async function readREnvironment(
  repo: RepoFiles,
  config: RConfig,
  warnings: string[]
): Promise<REnvironment | null> {
  const { cfg } = config;
  const runtimeFile = cfg('runtime.txt');
  const runtime =
    config.runtime === null ? null : parseRRuntime(config.runtime, runtimeFile);
  const installR = (await repo.isFile(cfg('install.R')))
    ? cfg('install.R')
    : null;
  const description =
    !config.configDir && (await repo.isFile('DESCRIPTION'))
      ? 'DESCRIPTION'
      : null;
  if (!runtime && !installR && !description) return null;

  const python: string[] = [];
  for (const name of ['environment.yml', 'Pipfile', 'Pipfile.lock'])
    if (await repo.isFile(cfg(name))) python.push(name);
  const files = [
    ...(runtime ? [runtimeFile] : []),
    ...(installR ? [installR] : []),
    ...(description ? [description] : [])
  ];
  const listed = (names: string[]) =>
    `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'}`;
  if (!runtime?.date && !description && python.length) {
    warnings.push(
      `${listed(files)} ignored: ${cfg(python[0])} describes the environment, and only a runtime.txt r-X.Y-YYYY-MM-DD or a DESCRIPTION selects R (as on Binder)`
    );
    return null;
  }
  if (python.length) {
    const selecting = files.filter(
      f => f === description || (f === runtimeFile && runtime?.date)
    );
    warnings.push(
      `${selecting.join(' and ')} ${selecting.length > 1 ? 'select' : 'selects'} R, so ${listed(python.map(cfg))} ignored (as on Binder)`
    );
  }

  if (runtime) checkRuntime(runtime, runtimeFile, config, warnings);
  const packages: string[] = [];
  for (const [file, read] of [
    [installR, parseInstallR],
    [description, parseDescription]
  ] as const) {
    if (!file) continue;
    const wanted = read(await repo.readText(file));
    packages.push(...wanted.packages);
    if (wanted.unreadable.length) {
      const what = `${file}: envhub installs R packages from ${DEBIAN} and reads only ${file === 'DESCRIPTION' ? 'its Depends and Imports fields' : 'install.packages(…), library(…) and require(…) calls with package names'}, so this is left out: ${wanted.unreadable.join('; ')}`;
      if (config.strictRuntime)
        throw unsupportedConfig(
          `${what} (strict runtime mode): install those packages another way (apt.txt names Debian packages, postBuild runs commands), or remove the lines`
        );
      warnings.push(what);
    }
  }
  if (description)
    warnings.push(
      'DESCRIPTION: its dependencies are installed, not the package itself (Binder installs it with remotes::install_local())'
    );
  return {
    files,
    packages: [...new Set(packages)].filter(
      n => debianPackage(n) !== 'r-cran-irkernel'
    ),
    ignored: python
  };
}

/** R is Debian's: another version is a warning (an error in strict mode); a CRAN snapshot date cannot be had. */
function checkRuntime(
  runtime: RRuntime,
  file: string,
  options: { strictRuntime?: boolean },
  warnings: string[]
): void {
  const other =
    runtime.version !== null &&
    runtime.version.split('.').slice(0, 2).join('.') !== DEBIAN_R;
  if (other && options.strictRuntime) {
    throw unsupportedConfig(
      `${file} asks for R ${runtime.version}, but this hub provides only R ${DEBIAN_R} (${DEBIAN}'s) (strict runtime mode): ask for r-${DEBIAN_R}${runtime.date ? `-${runtime.date}` : ''} there`
    );
  }
  const parts: string[] = [];
  if (other)
    parts.push(
      `${file} asks for R ${runtime.version}, but this hub provides only R ${DEBIAN_R} (${DEBIAN}'s): using R ${DEBIAN_R} instead`
    );
  if (runtime.date)
    parts.push(
      `${other ? 'its' : file} CRAN snapshot date ${runtime.date} cannot be honoured: R packages come from ${DEBIAN}'s archive, at the versions it has`
    );
  if (parts.length) warnings.push(parts.join('; '));
}

/**
 * The environment stage's R step: a root shell script that installs r-base-core, r-cran-irkernel
 * (whose Debian package ships the kernel spec in /usr/share/jupyter/kernels/ir, on the Jupyter
 * path of /srv/venv) and the `r-cran-*` packages the archive has. The ones it lacks are found with
 * apt-cache at build time: named in BUILD_WARNINGS and left out, or in strict mode the build fails
 * naming them.
 */
export function rInstallScript(
  env: REnvironment,
  options: { strictRuntime?: boolean; aptSetup: string[] }
): string {
  const source = env.files.filter(f => !/runtime\.txt$/.test(f)).join(', ');
  const lacking = `${source || 'the R configuration'} asks for R packages ${DEBIAN} does not have:`;
  const pairs = env.packages.map(n => `${n}:${debianPackage(n)}`);
  return [
    '#!/bin/sh',
    `# Generated by envhub from ${env.files.join(', ')}: R ${DEBIAN_R} and R packages from ${DEBIAN}.`,
    'set -e',
    `warnings=${BUILD_WARNINGS}`,
    ...options.aptSetup,
    'apt-get update',
    'present=',
    'missing=',
    `for pair in ${pairs.join(' ')}; do`,
    '  name=${pair%%:*} deb=${pair#*:}',
    // A purely virtual package exits 0 too, but has no stanza: apt-get could not install it.
    '  if apt-cache show "$deb" 2>/dev/null | grep -q "^Package: "; then',
    '    present="$present $deb"',
    '  else',
    '    missing="${missing:+$missing, }$name"',
    '  fi',
    'done',
    'install -d -m 0755 "${warnings%/*}"',
    ': > "$warnings"',
    'if [ -n "$missing" ]; then',
    ...(options.strictRuntime
      ? [
          `  echo "${lacking} $missing (strict runtime mode): remove them, or install them another way (apt.txt, postBuild)" >&2`,
          '  exit 1'
        ]
      : [
          `  echo "[envhub] warning: ${lacking} $missing; they are left out" >> "$warnings"`
        ]),
    'fi',
    '# $present unquoted: one word per package',
    'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends r-base-core r-cran-irkernel $present',
    'apt-get clean',
    'rm -rf /var/lib/apt/lists/*',
    "# HOME=/root: the check must leave nothing in the home, which becomes the user's volume",
    'if ! HOME=/root /srv/venv/bin/jupyter kernelspec list | grep -q "^ *ir "; then',
    '  echo "the IR kernel is not on the Jupyter path of /srv/venv" >&2',
    '  exit 1',
    'fi',
    ''
  ].join('\n');
}

/** The R steps of both stages, and the generated script they need. */
export function rBuildSteps(
  env: REnvironment,
  options: { strictRuntime?: boolean; aptSetup: string[] }
): { script: string; environment: string[]; content: string[] } {
  return {
    script: rInstallScript(env, options),
    environment: [
      `# R ${DEBIAN_R} and R packages from ${DEBIAN} (${env.files.join(', ')})`,
      'USER root',
      `COPY ${JSON.stringify([R_SCRIPT, `/tmp/${R_SCRIPT}`])}`,
      `RUN sh /tmp/${R_SCRIPT} && rm /tmp/${R_SCRIPT}`,
      'USER jovyan'
    ],
    // After the repository's COPY, so never cached: a reused environment's warnings reach every log.
    content: [`RUN cat ${BUILD_WARNINGS}`]
  };
}
