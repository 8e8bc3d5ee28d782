/**
 * The codec between environment specs and Binder-compatible launch URLs:
 * `v2/<provider>/<spec>?name=…&urlpath=…&memory=…`.
 *
 * The launch parameters are derived from the schema: every field except `repo` and `ref` (which live
 * in the path) is a parameter named after the field, with nested objects flattened
 * (`resources.memory` → `memory`) and lists given as repeated parameters under a singular name.
 */
import type { EnvironmentSpec, Mount } from './generated/environment.js';
import { decodeMount, encodeMount } from './mounts.js';
import { gitProviderPath, parseProviderSpec } from './providers.js';
import {
  environmentSchema,
  fieldName,
  validateSpec,
  withDefaults,
  type FieldError,
  type Validation
} from './validate.js';

/** The part of a JSON Schema node the codec and forms read. */
export interface SchemaNode {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
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

/** Lists are repeated under a singular name: `user=a&user=b`, `mount=…`. */
const listParamNames: Record<string, string> = {
  mounts: 'mount',
  'collaborators.users': 'user',
  'collaborators.groups': 'group'
};

/** Binder's ways of saying which file to open, mapped to `urlpath` (JupyterLab is the default UI here). */
const pathParams: Record<string, (value: string) => string> = {
  urlpath: value => value,
  labpath: value => `lab/tree/${value.replace(/^\/+/, '')}`,
  filepath: value => `lab/tree/${value.replace(/^\/+/, '')}`
};

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
      dotted !== 'mounts'
    ) {
      throw new Error(
        `the launch-URL codec cannot encode the list of objects "${dotted}"`
      );
    }
    return [{ name, path: childPath, node: child }];
  });
}

const rootSchema = environmentSchema as unknown as SchemaNode;
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

const encodeScalar = (value: unknown): string =>
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

const equal = (a: unknown, b: unknown): boolean =>
  canonicalJson(a) === canonicalJson(b);

function getPath(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (at, key) =>
      at && typeof at === 'object'
        ? (at as Record<string, unknown>)[key]
        : undefined,
    value
  );
}

function setPath(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown
): void {
  let at = target;
  for (const key of path.slice(0, -1))
    at = (at[key] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1]] = value;
}

/**
 * The spec's fields other than `repo` and `ref` as launch parameters, in schema order; fields left at
 * their default and empty lists are left out. Booleans are `1`/`0`, lists are repeated parameters,
 * mounts are `source:target` or `source:target:ro`.
 */
export function launchQuery(spec: EnvironmentSpec): URLSearchParams {
  const query = new URLSearchParams();
  for (const { name, path, node } of launchParams) {
    const value = getPath(spec, path);
    if (
      value === undefined ||
      (node.default !== undefined && equal(value, node.default))
    )
      continue;
    if (Array.isArray(value)) {
      for (const item of value)
        query.append(
          name,
          name === 'mount' ? encodeMount(item as Mount) : String(item)
        );
    } else {
      query.append(name, encodeScalar(value));
    }
  }
  return query;
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
 * `filepath` become `urlpath=lab/tree/<path>`; BinderHub's `build_only` and `_xsrf` are ignored.
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
  for (const [key, values] of entriesOf(query)) {
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
        message: `unknown launch parameter "${key}"; known: ${launchParameterNames.join(', ')}`
      });
      continue;
    }
    const field = fieldName(param.path);
    const hint = param.node.description ? ` (${param.node.description})` : '';
    if (param.node.type === 'array') {
      const items = values.map((value, index) => {
        if (param.name !== 'mount') return value;
        const mount = decodeMount(value);
        if (!mount) {
          errors.push({
            field: fieldName([...param.path, index]),
            message: `launch parameter mount=${shown(value)} must be volume:path or volume:path:ro, e.g. course-data:/mnt/data:ro`
          });
        }
        return mount ?? value;
      });
      setPath(candidate, param.path, items);
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
    if (param.node.type === 'number' || param.node.type === 'integer') {
      if (!NUMBER.test(value.trim())) {
        errors.push({
          field,
          message: `launch parameter ${key}=${shown(value)} is not a number${hint}`
        });
        continue;
      }
      setPath(candidate, param.path, Number(value));
    } else if (param.node.type === 'boolean') {
      const flag = flags.get(value);
      if (flag === undefined) {
        errors.push({
          field,
          message: `launch parameter ${key}=${shown(value)} must be 1 or 0${hint}`
        });
        continue;
      }
      setPath(candidate, param.path, flag);
    } else {
      setPath(candidate, param.path, value);
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
    candidate.urlpath = pathParams[key](value);
  }
  return { candidate, errors };
}

/**
 * Reads and validates a launch: `parseLaunch('v2/gh/org/repo/main?name=x')`, or the provider path
 * and the query separately (as a web framework hands them over). A leading `/` and `v2/` are optional.
 * For every valid spec S, `parseLaunch(launchPath(S))` gives back S with its defaults.
 */
export function parseLaunch(path: string, query?: LaunchQuery): Validation {
  let providerPath = path.split('#')[0];
  if (query === undefined) {
    const mark = providerPath.indexOf('?');
    query = new URLSearchParams(mark < 0 ? '' : providerPath.slice(mark + 1));
    providerPath = mark < 0 ? providerPath : providerPath.slice(0, mark);
  }
  providerPath = providerPath.replace(/^\/+/, '').replace(/^v2\//, '');
  const { candidate, errors } = specFromLaunch(providerPath, query);
  const validation = validateSpec(candidate);
  if (validation.ok && errors.length === 0) return validation;
  // A field the URL already got wrong is not reported a second time by validation.
  const covered = (field: string) =>
    errors.some(e => field === e.field || field.startsWith(`${e.field}.`));
  return {
    ok: false,
    errors: [
      ...errors,
      ...(validation.ok ? [] : validation.errors.filter(e => !covered(e.field)))
    ]
  };
}

/** One field that differs between two specs. */
export interface SpecDifference {
  /** Dotted field name, e.g. `ref`, `resources.memory`, `mounts`. */
  field: string;
  from: unknown;
  to: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function compare(
  a: unknown,
  b: unknown,
  node: SchemaNode | undefined,
  path: string[],
  into: SpecDifference[]
): void {
  const objectLike = (value: unknown) => value === undefined || isRecord(value);
  if (
    path.length > 0 &&
    !(node?.type === 'object' && objectLike(a) && objectLike(b))
  ) {
    if (!equal(a, b)) into.push({ field: fieldName(path), from: a, to: b });
    return;
  }
  const from = isRecord(a) ? a : {};
  const to = isRecord(b) ? b : {};
  const known = Object.keys(node?.properties ?? {});
  const extra = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter(
    key => !known.includes(key)
  );
  for (const key of [...known, ...extra])
    compare(from[key], to[key], node?.properties?.[key], [...path, key], into);
}

/**
 * The fields in which `b` differs from `a`, in schema order, after filling in both specs' defaults.
 * Nested fields are compared one by one (`resources.memory`); lists are compared as wholes (`mounts`).
 */
export function specDiff(
  a: EnvironmentSpec,
  b: EnvironmentSpec
): SpecDifference[] {
  const differences: SpecDifference[] = [];
  compare(withDefaults(a), withDefaults(b), rootSchema, [], differences);
  return differences;
}
