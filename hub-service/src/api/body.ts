import express, {
  type NextFunction,
  type Request,
  type Response
} from 'express';
import { EnvhubError } from '../errors.js';

const JSON_LIMIT = '1mb';
const FORM_LIMIT_BYTES = 64 * 1024;
const FORM_MAX_FIELDS = 100;
/** Deeper than any body envhub takes (a spec nests four levels); refused before parsing. */
const MAX_DEPTH = 32;

type BodyKind = 'json' | 'form';
const kinds = new WeakMap<Request, BodyKind>();

/** The nesting depth of a JSON text, counted without parsing it, stopping past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) break;
    } else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

function decode(req: Request, raw: Buffer): { kind: BodyKind; value: unknown } {
  const [type, ...parameters] = (req.get('Content-Type') ?? '')
    .split(';')
    .map(part => part.trim().toLowerCase());
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) {
    throw new EnvhubError(
      415,
      'unsupported_media_type',
      'the request body has no valid Content-Type; send application/json'
    );
  }
  const charset = parameters
    .find(p => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new EnvhubError(
      415,
      'unsupported_charset',
      `the request body's charset "${charset}" is not read here; send utf-8`
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new EnvhubError(
      400,
      'invalid_body',
      'the request body is not valid UTF-8'
    );
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    if (jsonDepth(text, MAX_DEPTH) > MAX_DEPTH)
      throw new EnvhubError(
        400,
        'invalid_json',
        `the JSON body nests deeper than ${MAX_DEPTH} levels`
      );
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch (err) {
      throw new EnvhubError(
        400,
        'invalid_json',
        `the request body is not valid JSON: ${(err as Error).message}`
      );
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    if (raw.length > FORM_LIMIT_BYTES)
      throw new EnvhubError(
        413,
        'body_too_large',
        `the form is over ${FORM_LIMIT_BYTES / 1024} kB`
      );
    const fields = [...new URLSearchParams(text)];
    if (fields.length > FORM_MAX_FIELDS)
      throw new EnvhubError(
        413,
        'body_too_large',
        `the form has ${fields.length} fields; at most ${FORM_MAX_FIELDS} are read`
      );
    return { kind: 'form', value: Object.fromEntries(fields) };
  }
  throw new EnvhubError(
    415,
    'unsupported_media_type',
    `request bodies of type ${type} are not read here; send application/json`
  );
}

/**
 * The one place request bodies are read: JSON and forms in UTF-8, within size and depth limits
 * (anything else is a 4xx saying why). A missing or empty body leaves `req.body` undefined, never
 * `{}`: an empty PUT must not read as "no collaborators".
 */
export function parseBodies(
  uploads: { path: RegExp; bytes: number } = { path: /$^/, bytes: 0 }
) {
  const small = express.raw({ type: () => true, limit: JSON_LIMIT });
  // Files sent to the exchange travel as base64 in JSON: a third more than the files themselves.
  const large = express.raw({
    type: () => true,
    limit: Math.ceil((uploads.bytes * 4) / 3) + 1024 * 1024
  });
  return [
    (req: Request, res: Response, next: NextFunction) =>
      (uploads.path.test(req.path) && req.method !== 'GET' ? large : small)(
        req,
        res,
        next
      ),
    (req: Request, _res: Response, next: NextFunction) => {
      const raw: unknown = req.body;
      req.body = undefined;
      try {
        if (Buffer.isBuffer(raw) && raw.length > 0) {
          const { kind, value } = decode(req, raw);
          kinds.set(req, kind);
          req.body = value;
        }
        next();
      } catch (err) {
        next(err);
      }
    }
  ];
}

/**
 * The JSON body of a write that replaces something, checked to be a JSON `shape`; `example` shows
 * a caller what to send. Missing, empty, form-encoded or differently shaped bodies are a 400.
 */
export function jsonBody(
  req: Request,
  shape: 'object' | 'array',
  example: string
): unknown {
  const body: unknown = req.body;
  const isShape =
    shape === 'array'
      ? Array.isArray(body)
      : typeof body === 'object' && body !== null && !Array.isArray(body);
  if (kinds.get(req) !== 'json' || !isShape) {
    const got =
      body === undefined
        ? 'no body'
        : kinds.get(req) === 'form'
          ? 'a form'
          : `JSON ${Array.isArray(body) ? 'array' : body === null ? 'null' : typeof body}`;
    throw new EnvhubError(
      400,
      'invalid_body',
      `expected a JSON ${shape} (Content-Type: application/json) but got ${got}; send ${example}`
    );
  }
  return body;
}

/** A field of a form body (pages post forms), or undefined. */
export function formField(req: Request, name: string): string | undefined {
  const value =
    kinds.get(req) === 'form'
      ? (req.body as Record<string, string>)[name]
      : undefined;
  return typeof value === 'string' ? value : undefined;
}
