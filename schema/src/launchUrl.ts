/**
 * The codec between environment specs and Binder-compatible launch URLs:
 * `v2/<provider>/<spec>?name=…&urlpath=…&memory=…`.
 *
 * The launch parameters are derived from the schema: every field except `repo` and `ref` (which live
 * in the path) is a parameter named after the field, with nested objects flattened
 * (`resources.memory` → `memory`) and lists given as repeated parameters under a singular name.
 *
 * Browser-safe: it imports only the schema's JSON and modules without imports, so the home page's
 * script loads it as it is. Reading a launch into a validated spec is `parseLaunch` (launchSpec.ts).
 */
import type {
  EnvironmentSpec,
  Material,
  Mount
} from './generated/environment.js';
import schema from '../environment.schema.json' with { type: 'json' };
import {
  decodeMaterial,
  encodeMaterial,
  readGitPull,
  type GitPull
} from './materials.js';
import { decodeMount, encodeMount } from './mounts.js';
import { gitProviderPath, parseProviderSpec } from './providers.js';

/** One problem with one field, said so that a person can fix it. */
export interface FieldError {
  /** The field in dotted form, e.g. `name`, `resources.memory`, `mounts.0.target`. */
  field: string;
  message: string;
}

/** Joins a path into the dotted field name used in errors and diffs. */
export const fieldName = (path: ReadonlyArray<string | number>): string =>
  path.join('.');

/** The part of a JSON Schema node the codec and forms read. */
export interface SchemaNode {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  /** The one value a choice stands for (a branch of `oneOf`). */
  const?: unknown;
  /** A field's choices, each a `const` with its title and description, e.g. `credentials`. */
  oneOf?: SchemaNode[];
}

/** A field's choices when its schema lists its values as `oneOf` constants; null otherwise. */
export function choicesOf(node: SchemaNode): readonly SchemaNode[] | null {
  const { oneOf } = node;
  return oneOf?.length && oneOf.every(choice => Object.hasOwn(choice, 'const'))
    ? oneOf
    : null;
}

/** A launch parameter and the spec field it carries. */
export interface LaunchParameter {
  /** The query parameter's name, e.g. `memory`. */
  name: string;
  /** The spec field it carries, e.g. `['resources', 'memory']`. */
  path: readonly string[];
  /** That field's schema: type, title, description, default. */
  node: SchemaNode;
}

/** Lists are repeated under a singular name: `user=a&user=b`, `mount=…`; `materials` is a mass noun. */
const listParamNames: Record<string, string> = {
  materials: 'materials',
  mounts: 'mount',
  'collaborators.users': 'user',
  'collaborators.groups': 'group'
};

/** How the objects of a list are written one per value: a link's repeated parameter, a form's line. */
export interface ListItemCodec {
  encode: (item: unknown) => string;
  /** The object a value stands for; null when the value cannot be read. */
  decode: (value: string) => object | null;
  /** What a value looks like, with an example, for the message when one cannot be read. */
  form: string;
}

/** The codecs of the lists of objects, by launch parameter name (`mount`, `materials`). */
export const listItemCodecs: Readonly<Record<string, ListItemCodec>> = {
  mount: {
    encode: mount => encodeMount(mount as Mount),
    decode: decodeMount,
    form: 'volume:path or volume:path:ro, e.g. course-data:/mnt/data:ro'
  },
  materials: {
    encode: material => encodeMaterial(material as Material),
    decode: decodeMaterial,
    form: 'a repository URL, optionally followed by #ref=<branch>&path=<folder>, e.g. https://forge.example.org/course/materials.git#ref=main&path=week1'
  }
};

/** Binder's ways of saying which file to open, mapped to `urlpath` (JupyterLab is the default UI here). */
const pathParams: Record<string, (value: string) => string> = {
  urlpath: value => value,
  labpath: value => `lab/tree/${value.replace(/^\/+/, '')}`,
  filepath: value => `lab/tree/${value.replace(/^\/+/, '')}`
};

/** nbgitpuller's parameters that a hand-written Binder link may leave outside its `urlpath=git-pull?…`. */
const GIT_PULL_OUTSIDE = new Set([
  'repo',
  'branch',
  'targetpath',
  'targetPath',
  'urlPath',
  'subpath',
  'subPath',
  'depth',
  'app'
]);

/** BinderHub's own query parameters, harmless here. */
const ignoredParams = new Set(['build_only', '_xsrf']);

function paramsOf(node: SchemaNode, path: string[]): LaunchParameter[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const childPath = [...path, key];
    if (child.type === 'object') return paramsOf(child, childPath);
    const dotted = fieldName(childPath);
    const name = child.type === 'array' ? listParamNames[dotted] : key;
    if (!name)
      throw new Error(
        `the launch-URL codec has no parameter name for the list "${dotted}"`
      );
    if (
      child.type === 'array' &&
      child.items?.type === 'object' &&
      !Object.hasOwn(listItemCodecs, name)
    ) {
      throw new Error(
        `the launch-URL codec cannot encode the list of objects "${dotted}"`
      );
    }
    return [{ name, path: childPath, node: child }];
  });
}

/** The environment schema as the codec reads it. */
export const rootSchema = schema as unknown as SchemaNode;
const launchParams = paramsOf(
  {
    properties: Object.fromEntries(
      Object.entries(rootSchema.properties ?? {}).filter(
        ([key]) => key !== 'repo' && key !== 'ref'
      )
    )
  },
  []
);
/**
 * The launch parameters that carry spec fields, in schema order, each with its field's schema node
 * (for rendering forms). Binder's `labpath` and `filepath` are read too, as `urlpath`; see {@link launchParameterNames}.
 */
export const launchParameters: readonly LaunchParameter[] = launchParams;

const paramsByName = new Map(launchParams.map(param => [param.name, param]));
if (
  paramsByName.size !== launchParams.length ||
  launchParams.some(
    p => Object.hasOwn(pathParams, p.name) && p.name !== 'urlpath'
  )
) {
  throw new Error('two spec fields share a launch parameter name');
}

/** Every launch parameter envhub reads, in the order launch URLs carry them, Binder's `labpath` and `filepath` last. */
export const launchParameterNames: readonly string[] = [
  ...launchParams.map(param => param.name),
  ...Object.keys(pathParams).filter(name => !paramsByName.has(name))
];

/** A single value as a launch link writes it: booleans as `1`/`0`, anything else as text. */
export const encodeScalar = (value: unknown): string =>
  typeof value === 'boolean' ? (value ? '1' : '0') : String(value);

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Equality of JSON values, whatever the order of their keys. */
export const equal = (a: unknown, b: unknown): boolean =>
  canonicalJson(a) === canonicalJson(b);

/** The value at `path` in a spec (or any JSON object); undefined where there is none. */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (at, key) =>
      at && typeof at === 'object'
        ? (at as Record<string, unknown>)[key]
        : undefined,
    value
  );
}

/** Sets the value at `path`, making the objects on the way; `undefined` removes the key. */
export function setValueAt(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown
): void {
  let at = target;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/**
 * The spec's fields other than `repo` and `ref` as launch parameters, in schema order; fields left at
 * their default and empty lists are left out. Booleans are `1`/`0`, choices their value (`1`, `0` or
 * `env` for `credentials`), lists are repeated parameters, mounts are `source:target` or
 * `source:target:ro`, materials `repo#ref=…&path=…` (materials.ts).
 */
export function launchQuery(spec: EnvironmentSpec): URLSearchParams {
  const query = new URLSearchParams();
  for (const { name, path, node } of launchParams) {
    const value = valueAt(spec, path);
    if (
      value === undefined ||
      (node.default !== undefined && equal(value, node.default))
    )
      continue;
    if (Array.isArray(value)) {
      const codec = listItemCodecs[name];
      for (const item of value)
        query.append(name, codec ? codec.encode(item) : String(item));
    } else {
      query.append(name, encodeScalar(value));
    }
  }
  return query;
}

/** The query that fills envhub's launch form with a spec: its launch parameters, `repo` and `ref`. */
export function editQuery(spec: EnvironmentSpec): string {
  const query = launchQuery(spec);
  query.set('repo', spec.repo);
  query.set('ref', spec.ref ?? 'HEAD');
  return query.toString();
}

// Query values keep '/' and ':' readable (RFC 3986 allows them there); URLSearchParams reads both forms.
/** Encodes a launch-link query key or value, keeping '/' and ':' readable. */
export const encodeQueryPart = (text: string): string =>
  encodeURIComponent(text).replace(/%2F/g, '/').replace(/%3A/g, ':');

/**
 * The canonical launch path of a spec, relative to the service's prefix:
 * `v2/git/<url-escaped repo>/<ref>` plus `?<launchQuery>` when there are parameters.
 * The same spec (defaults given or not) always gives the same string.
 */
export function launchPath(spec: EnvironmentSpec): string {
  const path = `v2/${gitProviderPath(spec.repo, spec.ref ?? 'HEAD')}`;
  const query = [...launchQuery(spec)]
    .map(([key, value]) => `${encodeQueryPart(key)}=${encodeQueryPart(value)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

/** Query parameters as they come: from a URL, or from a web framework's parsed query. */
export type LaunchQuery =
  URLSearchParams | Record<string, string | string[] | undefined>;

function entriesOf(query: LaunchQuery): Array<[string, string[]]> {
  const grouped = new Map<string, string[]>();
  const add = (key: string, value: string) =>
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  if (query instanceof URLSearchParams) {
    query.forEach((value, key) => add(key, value));
  } else {
    for (const [key, value] of Object.entries(query)) {
      for (const item of value === undefined
        ? []
        : Array.isArray(value)
          ? value
          : [value])
        add(key, String(item));
    }
  }
  return [...grouped];
}

const shown = (value: string): string =>
  JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
const flags = new Map([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false]
]);

/**
 * The choice of `node` that a launch parameter's `text` stands for (`credentials=env`), a boolean
 * choice read as 1/0 or true/false; undefined when `node` has no such choice.
 */
export function choiceOf(
  node: SchemaNode,
  text: string
): SchemaNode | undefined {
  return choicesOf(node)?.find(
    choice =>
      encodeScalar(choice.const) === text ||
      (typeof choice.const === 'boolean' && flags.get(text) === choice.const)
  );
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A candidate spec read from a launch URL, and what could not be read. */
export interface LaunchCandidate {
  /** The spec the URL asks for, not validated yet. */
  candidate: Record<string, unknown>;
  /** Problems with the URL itself: its provider path, unknown or malformed parameters. */
  errors: FieldError[];
}

/**
 * Reads a launch URL's provider path (`<provider>/<spec>`, any of BinderHub's providers, still
 * percent-encoded) and query into a candidate spec, without validating it. Binder's `labpath` and
 * `filepath` become `urlpath=lab/tree/<path>`; a Binder + nbgitpuller `urlpath=git-pull?…` becomes
 * one more material and the urlpath inside it; BinderHub's `build_only` and `_xsrf` are ignored.
 */
export function specFromLaunch(
  providerPath: string,
  query: LaunchQuery
): LaunchCandidate {
  const candidate: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  try {
    const { repo, ref } = parseProviderSpec(providerPath);
    Object.assign(candidate, { repo, ref });
  } catch (err) {
    errors.push({ field: 'repo', message: (err as Error).message });
  }

  const paths: Array<[string, string]> = [];
  const entries = entriesOf(query);
  const pulls = entries.some(
    ([key, values]) =>
      key === 'urlpath' && values.some(value => /^\/*git-pull/.test(value))
  );
  for (const [key, values] of entries) {
    if (ignoredParams.has(key)) continue;
    if (Object.hasOwn(pathParams, key)) {
      values
        .filter(value => value !== '')
        .forEach(value => paths.push([key, value]));
      continue;
    }
    const param = paramsByName.get(key);
    if (!param) {
      errors.push({
        field: key,
        message: `unknown launch parameter "${key}"; known: ${launchParameterNames.join(', ')}${pulls && GIT_PULL_OUTSIDE.has(key) ? `. If ${key} belongs to urlpath=git-pull?…, percent-encode that urlpath as a whole (git-pull%3Frepo%3D…%26${key}%3D…)` : ''}`
      });
      continue;
    }
    const field = fieldName(param.path);
    const hint = param.node.description ? ` (${param.node.description})` : '';
    if (param.node.type === 'array') {
      const codec = listItemCodecs[param.name];
      const items = values.map((value, index) => {
        if (!codec) return value;
        const item = codec.decode(value);
        if (!item) {
          errors.push({
            field: fieldName([...param.path, index]),
            message: `launch parameter ${param.name}=${shown(value)} must be ${codec.form}`
          });
        }
        return item ?? value;
      });
      setValueAt(candidate, param.path, items);
      continue;
    }
    if (values.length > 1) {
      errors.push({
        field,
        message: `launch parameter "${key}" is given ${values.length} times; give it once`
      });
      continue;
    }
    const [value] = values;
    const choices = choicesOf(param.node);
    if (choices) {
      const choice = choiceOf(param.node, value);
      if (!choice) {
        const forms = choices.map(c => encodeScalar(c.const));
        errors.push({
          field,
          message: `launch parameter ${key}=${shown(value)} must be ${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}${hint}`
        });
        continue;
      }
      setValueAt(candidate, param.path, choice.const);
    } else if (param.node.type === 'number' || param.node.type === 'integer') {
      if (!NUMBER.test(value.trim())) {
        errors.push({
          field,
          message: `launch parameter ${key}=${shown(value)} is not a number${hint}`
        });
        continue;
      }
      setValueAt(candidate, param.path, Number(value));
    } else if (param.node.type === 'boolean') {
      const flag = flags.get(value);
      if (flag === undefined) {
        errors.push({
          field,
          message: `launch parameter ${key}=${shown(value)} must be 1 or 0${hint}`
        });
        continue;
      }
      setValueAt(candidate, param.path, flag);
    } else {
      setValueAt(candidate, param.path, value);
    }
  }

  if (paths.length > 1) {
    const given = paths.map(([key]) => key).join(', ');
    errors.push({
      field: 'urlpath',
      message: `give only one of urlpath, labpath and filepath (got ${given})`
    });
  } else if (paths.length === 1) {
    const [key, value] = paths[0];
    let gitPull: GitPull | null = null;
    try {
      gitPull = key === 'urlpath' ? readGitPull(value) : null;
    } catch (err) {
      errors.push({ field: 'urlpath', message: (err as Error).message });
    }
    // A Binder + nbgitpuller link: the pull is one more material, its urlpath the one to open.
    if (gitPull) {
      const materials = candidate.materials;
      candidate.materials = [
        ...(Array.isArray(materials) ? materials : []),
        gitPull.material
      ];
    }
    candidate.urlpath = gitPull ? gitPull.urlpath : pathParams[key](value);
  }
  return { candidate, errors };
}
