/**
 * Launch links read into validated specs, and the differences between two specs: the parts of
 * the launch-URL codec that need validation (launchUrl.ts is the rest, and runs in browsers too).
 */
import type { EnvironmentSpec } from './generated/environment.js';
import {
  equal,
  fieldName,
  rootSchema,
  specFromLaunch,
  type LaunchQuery,
  type SchemaNode
} from './launchUrl.js';
import { validateSpec, withDefaults, type Validation } from './validate.js';

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
