import { Ajv, type AnySchemaObject, type ErrorObject } from 'ajv';
import schema from '../environment.schema.json' with { type: 'json' };
import membersSchema from '../volume-members.schema.json' with { type: 'json' };
import classSchema from '../class.schema.json' with { type: 'json' };
import uploadSchema from '../exchange-upload.schema.json' with { type: 'json' };
import credentialSchema from '../credential.schema.json' with { type: 'json' };
import type { CredentialBody } from './generated/credentialBody.js';
import type { ClassBody } from './generated/classBody.js';
import type { ExchangeUpload } from './generated/exchangeUpload.js';
import type { EnvironmentSpec } from './generated/environment.js';
import type { ValidEnvironmentSpec } from './generated/validEnvironment.js';
import type { VolumeMembers } from './generated/volumeMembers.js';
import { fieldName, type FieldError } from './launchUrl.js';
import {
  isGitPullPath,
  isWithin,
  materialPathProblem,
  repositoryName
} from './materials.js';

/** The environment spec's JSON Schema, the single source of truth for its fields. */
export const environmentSchema = schema;
/** The JSON Schema of a shared volume's members. */
export const volumeMembersSchema = membersSchema;
/** The JSON Schema of a class as it is created and changed. */
export const classBodySchema = classSchema;
/** The JSON Schema of files sent to the nbgrader exchange. */
export const exchangeUploadSchema = uploadSchema;
/** The JSON Schema of a stored credential as it is sent. */
export const credentialBodySchema = credentialSchema;

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

/** The outcome of validating a candidate spec: the spec with its defaults filled in, or what is wrong. */
export type Validation =
  | { ok: true; spec: ValidEnvironmentSpec }
  | { ok: false; errors: FieldError[] };

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
  const choices = node?.oneOf as AnySchemaObject[] | undefined;
  if (error.keyword === 'oneOf' && choices?.every(c => 'const' in c)) {
    const values = choices.map(choice => JSON.stringify(choice.const));
    return {
      field,
      message: withHint(
        `${field} must be ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`,
        node
      )
    };
  }
  // ajv's pattern message shows the regular expression; the description says the same for people.
  const what =
    error.keyword === 'pattern'
      ? 'does not have the expected form'
      : error.keyword === 'uniqueItems'
        ? `must list each entry once (${field}.${error.params.j} and ${field}.${error.params.i} are the same)`
        : (error.message ?? 'is invalid');
  return { field, message: withHint(`${field} ${what}`, node) };
}

// A value that is none of a field's choices fails each choice's `const` too; oneOf's error says it all.
const describeAll = (errors: ErrorObject[] | null | undefined): FieldError[] =>
  (errors ?? [])
    .filter(
      e => !(e.keyword === 'const' && /\/oneOf\/\d+\/const$/.test(e.schemaPath))
    )
    .map(describe);

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

const HOME = '/home/jovyan/';
const quoted = (text: string): string =>
  JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

/**
 * Where each material is pulled: a folder inside the home (materials.ts says why; a pattern
 * cannot name the rule broken), of its own, and not where a volume is mounted (every student
 * would pull into the same shared files). A folder left out is the repository's name.
 */
function materialFolders(spec: unknown): FieldError[] {
  const { materials, mounts } = (spec ?? {}) as {
    materials?: unknown;
    mounts?: unknown;
  };
  if (!Array.isArray(materials)) return [];
  const errors: FieldError[] = [];
  // The folders of the entries before, by index: [folder, index].
  const folders: Array<[string, number]> = [];
  materials.forEach((material: unknown, index) => {
    const { repo, path } = (material ?? {}) as {
      repo?: unknown;
      path?: unknown;
    };
    const field = fieldName(['materials', index, 'path']);
    const refuse = (text: string) =>
      void errors.push({
        field,
        message: withHint(
          `${field} ${text}`,
          schema.properties.materials.items.properties.path
        )
      });
    let folder: string;
    if (typeof path === 'string') {
      const problem = materialPathProblem(path);
      if (problem) return refuse(`${quoted(path)} ${problem}`);
      folder = path;
    } else if (path === undefined && typeof repo === 'string') {
      folder = repositoryName(repo);
      const problem = materialPathProblem(folder);
      if (problem)
        return refuse(
          `is left out, and the repository's name ${quoted(folder)}, which it defaults to, ${problem}; give a path`
        );
    } else {
      return;
    }
    const relation = (other: string) =>
      folder === other
        ? 'is'
        : isWithin(folder, other)
          ? 'is inside'
          : 'contains';
    const taken = folders.find(
      ([other]) => isWithin(folder, other) || isWithin(other, folder)
    );
    if (taken)
      return refuse(
        `${quoted(folder)} ${relation(taken[0])} the folder of materials.${taken[1]} (${quoted(taken[0])}); pull each into a folder of its own, side by side`
      );
    folders.push([folder, index]);
    (Array.isArray(mounts) ? mounts : []).forEach((mount: unknown, at) => {
      const { target, source } = (mount ?? {}) as {
        target?: unknown;
        source?: unknown;
      };
      if (typeof target !== 'string' || !target.startsWith(HOME)) return;
      const mounted = target.slice(HOME.length);
      if (isWithin(folder, mounted) || isWithin(mounted, folder))
        refuse(
          `${quoted(folder)} ${relation(mounted)} where mounts.${at} mounts volume ${String(source)} (${target}); pull materials into a folder of the home that no volume is mounted on`
        );
    });
  });
  return errors;
}

// nbgitpuller's own routes pull into whatever folder a link names (its issue #330), so a urlpath
// that opens one is refused; a launch link's urlpath=git-pull?… was read as materials before this.
function pullingUrlpath(spec: unknown): FieldError[] {
  const urlpath = (spec as { urlpath?: unknown } | null)?.urlpath;
  if (typeof urlpath !== 'string' || !isGitPullPath(urlpath)) return [];
  return [
    {
      field: 'urlpath',
      message: `urlpath ${quoted(urlpath)} opens nbgitpuller, which pulls into any folder, unchecked; give the repository as materials instead (a launch link's urlpath=git-pull?repo=… is read as materials)`
    }
  ];
}

/**
 * Validates a candidate spec and returns a copy with every default filled in.
 * Every error names its field (dotted for nested fields) and says what a valid value looks like.
 */
export function validateSpec(candidate: unknown): Validation {
  const copy = structuredClone(candidate);
  const valid = check(copy);
  const folders = materialFolders(copy);
  const errors = [
    ...(valid ? [] : describeAll(check.errors)).filter(
      // A materials folder's own message says which rule it breaks; the pattern's only that it fails.
      error => !folders.some(other => other.field === error.field)
    ),
    ...duplicateTargets(copy),
    ...folders,
    ...pullingUrlpath(copy)
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
  const errors = checkMembers(copy) ? [] : describeAll(checkMembers.errors);
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

/** The outcome of validating a body against one of the schemas: the body with defaults, or what is wrong. */
export type BodyValidation<T> =
  { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** A validator of bodies against `schema`: a copy with defaults filled in, or what is wrong. */
function validator<T>(
  schema: AnySchemaObject
): (candidate: unknown) => BodyValidation<T> {
  const compiled = ajv.compile<T>(schema);
  return (candidate): BodyValidation<T> => {
    const copy: unknown = structuredClone(candidate);
    return compiled(copy)
      ? { ok: true, value: copy as T }
      : { ok: false, errors: describeAll(compiled.errors) };
  };
}

/** Validates the body of `POST api/classes` or `PUT api/classes/<id>/members`. */
export const validateClassBody = validator<ClassBody>(classSchema);

/** Validates the body of `PUT api/credentials/<host>` (its messages never quote the values). */
export const validateCredentialBody =
  validator<CredentialBody>(credentialSchema);

const uploadShape = validator<ExchangeUpload>(uploadSchema);

/** Validates files sent to the exchange (a release, a submission, feedback); each path once. */
export function validateUpload(
  candidate: unknown
): BodyValidation<ExchangeUpload> {
  const result = uploadShape(candidate);
  if (!result.ok) return result;
  const seen = new Map<string, number>();
  const errors: FieldError[] = [];
  result.value.files.forEach(({ path }, index) => {
    // A file and a folder of the same name cannot both be written.
    const clash = [...seen].find(
      ([other]) =>
        other === path ||
        other.startsWith(`${path}/`) ||
        path.startsWith(`${other}/`)
    );
    if (clash)
      errors.push({
        field: fieldName(['files', index, 'path']),
        message: `files.${index}.path "${path}" clashes with files.${clash[1]}.path "${clash[0]}"; send each file once`
      });
    seen.set(path, index);
  });
  return errors.length === 0 ? result : { ok: false, errors };
}
