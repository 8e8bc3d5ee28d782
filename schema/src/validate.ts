import { Ajv, type AnySchemaObject, type ErrorObject } from 'ajv';
import schema from '../environment.schema.json' with { type: 'json' };
import membersSchema from '../volume-members.schema.json' with { type: 'json' };
import type { EnvironmentSpec } from './generated/environment.js';
import type { ValidEnvironmentSpec } from './generated/validEnvironment.js';
import type { VolumeMembers } from './generated/volumeMembers.js';

/** The environment spec's JSON Schema, the single source of truth for its fields. */
export const environmentSchema = schema;
/** The JSON Schema of a shared volume's members. */
export const volumeMembersSchema = membersSchema;

// verbose: each error carries the schema it failed against, whose description is the hint.
// multipleOfPrecision: 0.29 is a multiple of 0.01 although 0.29 / 0.01 is not an integer in floating point.
const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  strict: true,
  verbose: true,
  multipleOfPrecision: 9
});
const check = ajv.compile<ValidEnvironmentSpec>(schema);
const checkMembers = ajv.compile<VolumeMembers>(membersSchema);

/** One problem with one field, said so that a person can fix it. */
export interface FieldError {
  /** The field in dotted form, e.g. `name`, `resources.memory`, `mounts.0.target`. */
  field: string;
  message: string;
}

/** The outcome of validating a candidate spec: the spec with its defaults filled in, or what is wrong. */
export type Validation =
  | { ok: true; spec: ValidEnvironmentSpec }
  | { ok: false; errors: FieldError[] };

/** Joins a path into the dotted field name used in errors and diffs. */
export const fieldName = (path: ReadonlyArray<string | number>): string =>
  path.join('.');

function pathOf(instancePath: string): string[] {
  return instancePath
    .split('/')
    .slice(1)
    .map(part => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const withHint = (text: string, node: AnySchemaObject | undefined): string =>
  node?.description ? `${text} (${node.description})` : text;

function describe(error: ErrorObject): FieldError {
  const path = pathOf(error.instancePath);
  const node = error.parentSchema;
  if (error.keyword === 'additionalProperties') {
    const field = fieldName([...path, String(error.params.additionalProperty)]);
    const known = Object.keys(node?.properties ?? {}).join(', ');
    return {
      field,
      message: `unknown field "${field}"; known fields: ${known}`
    };
  }
  if (error.keyword === 'required') {
    const field = fieldName([...path, String(error.params.missingProperty)]);
    const hint = node?.properties?.[error.params.missingProperty]?.description;
    return {
      field,
      message: hint ? `${field} is required: ${hint}` : `${field} is required`
    };
  }
  const field = fieldName(path) || '(spec)';
  // ajv's pattern message shows the regular expression; the description says the same for people.
  const what =
    error.keyword === 'pattern'
      ? 'does not have the expected form'
      : error.keyword === 'uniqueItems'
        ? `must list each entry once (${field}.${error.params.j} and ${field}.${error.params.i} are the same)`
        : (error.message ?? 'is invalid');
  return { field, message: withHint(`${field} ${what}`, node) };
}

// ajv cannot require an array's objects to differ in one property only.
function duplicateTargets(spec: unknown): FieldError[] {
  const mounts = (spec as { mounts?: unknown } | null)?.mounts;
  if (!Array.isArray(mounts)) return [];
  const seen = new Map<string, number>();
  const errors: FieldError[] = [];
  mounts.forEach((mount: unknown, index) => {
    const target = (mount as { target?: unknown } | null)?.target;
    if (typeof target !== 'string') return;
    const first = seen.get(target);
    if (first === undefined) return void seen.set(target, index);
    const field = fieldName(['mounts', index, 'target']);
    errors.push({
      field,
      message: withHint(
        `${field} "${target}" is already the target of mounts.${first}; give each mount a path of its own`,
        schema.properties.mounts.items.properties.target
      )
    });
  });
  return errors;
}

/**
 * Validates a candidate spec and returns a copy with every default filled in.
 * Every error names its field (dotted for nested fields) and says what a valid value looks like.
 */
export function validateSpec(candidate: unknown): Validation {
  const copy = structuredClone(candidate);
  const valid = check(copy);
  const errors = [
    ...(valid ? [] : (check.errors ?? []).map(describe)),
    ...duplicateTargets(copy)
  ].filter(
    // One message per field: a value that is both too short and malformed needs only the hint once.
    (error, index, all) =>
      all.findIndex(other => other.field === error.field) === index
  );
  return errors.length === 0
    ? { ok: true, spec: copy as ValidEnvironmentSpec }
    : { ok: false, errors };
}

/** A copy of `spec` with the schema's defaults filled in, valid or not (for comparing specs). */
export function withDefaults(spec: EnvironmentSpec): ValidEnvironmentSpec {
  const copy = structuredClone(spec);
  check(copy);
  return copy as ValidEnvironmentSpec;
}

/** The outcome of validating a volume's members: with defaults filled in, or what is wrong. */
export type MembersValidation =
  { ok: true; members: VolumeMembers } | { ok: false; errors: FieldError[] };

/** Validates a volume's members against its schema; each user and each group may be listed once. */
export function validateVolumeMembers(candidate: unknown): MembersValidation {
  const copy = structuredClone(candidate);
  const errors = checkMembers(copy)
    ? []
    : (checkMembers.errors ?? []).map(describe);
  for (const kind of ['users', 'groups'] as const) {
    const list = (copy as Partial<VolumeMembers> | null)?.[kind];
    if (!Array.isArray(list)) continue;
    const names = list.map(
      member => (member as { name?: unknown } | null)?.name
    );
    names.forEach((name, index) => {
      const first = names.indexOf(name);
      if (typeof name === 'string' && first !== index)
        errors.push({
          field: fieldName([kind, index, 'name']),
          message: `${kind}.${index}.name "${name}" is already listed as ${kind}.${first}; list each once`
        });
    });
  }
  return errors.length === 0
    ? { ok: true, members: copy as VolumeMembers }
    : { ok: false, errors };
}
