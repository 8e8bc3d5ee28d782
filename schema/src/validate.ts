import { Ajv, type ErrorObject } from 'ajv';
import schema from '../environment.schema.json' with { type: 'json' };
import type { EnvironmentSpec } from './generated/environment.js';

/** The environment spec's JSON Schema, the single source of truth for its fields. */
export const environmentSchema = schema;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
const check = ajv.compile<EnvironmentSpec>(schema);

/** One problem with one field, said so that a person can fix it. */
export interface FieldError {
  field: string;
  message: string;
}

export type Validation =
  | { ok: true; spec: EnvironmentSpec }
  | { ok: false; errors: FieldError[] };

type FieldSchema = { title?: string; description?: string };
const fields = schema.properties as Record<string, FieldSchema>;

function describe(error: ErrorObject): FieldError {
  if (error.keyword === 'additionalProperties') {
    const field = String(error.params.additionalProperty);
    return { field, message: `unknown field "${field}"; known fields: ${Object.keys(fields).join(', ')}` };
  }
  if (error.keyword === 'required') {
    const field = String(error.params.missingProperty);
    return { field, message: `${field} is required: ${fields[field]?.description ?? ''}`.trim() };
  }
  const field = error.instancePath.replace(/^\//, '') || '(spec)';
  const hint = fields[field]?.description;
  return { field, message: `${field} ${error.message ?? 'is invalid'}${hint ? ` (${hint})` : ''}` };
}

/**
 * Validates (and fills defaults into a copy of) a candidate spec.
 * Every error names its field and says what a valid value looks like.
 */
export function validateSpec(candidate: unknown): Validation {
  const copy = structuredClone(candidate);
  if (check(copy)) return { ok: true, spec: copy };
  return { ok: false, errors: (check.errors ?? []).map(describe) };
}
