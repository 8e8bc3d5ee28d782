import type { ErrorBody, ErrorCode } from '@envhub/schema';

/**
 * The one error type of the service: an HTTP status, a stable machine-readable code and a message
 * that tells a person what was wrong and how to fix it.
 */
export class EnvhubError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'EnvhubError';
  }

  toJSON(): ErrorBody {
    return { status: this.status, code: this.code, message: this.message };
  }
}

/** What body-parser (through raw-body and http-errors) says about a body it refused, by its `type`. */
const BODY_ERRORS: Record<string, ErrorBody> = {
  'entity.too.large': {
    status: 413,
    code: 'body_too_large',
    message: 'the request body is over the limit of this route'
  },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported_encoding',
    message:
      'the request body has a Content-Encoding this service does not read (send identity, gzip, deflate or br)'
  },
  'charset.unsupported': {
    status: 415,
    code: 'unsupported_charset',
    message:
      'the request body has a charset this service does not read (send utf-8)'
  },
  'request.size.invalid': {
    status: 400,
    code: 'invalid_body',
    message: 'the request body is shorter or longer than its Content-Length'
  },
  'request.aborted': {
    status: 400,
    code: 'invalid_body',
    message: 'the request body was cut off'
  },
  'parameters.too.many': {
    status: 413,
    code: 'body_too_large',
    message: 'the form has too many fields'
  }
};

/**
 * Turns anything thrown into an EnvhubError: client errors raised by express and its body parser
 * keep their 4xx status with a message of ours, everything else is a 500 that hides internals.
 */
export function asEnvhubError(err: unknown): EnvhubError {
  if (err instanceof EnvhubError) return err;
  // express decodes path parameters with decodeURIComponent.
  if (err instanceof URIError)
    return new EnvhubError(
      400,
      'invalid_path',
      'the URL has a malformed percent-escape (%XX)'
    );
  const { status, type, code } = (err ?? {}) as {
    status?: unknown;
    type?: unknown;
    code?: unknown;
  };
  // zlib's errors, from a body whose Content-Encoding does not match its bytes.
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new EnvhubError(
      400,
      'invalid_body',
      'the request body cannot be decompressed: it does not match its Content-Encoding'
    );
  }
  if (typeof type === 'string' && BODY_ERRORS[type]) {
    const known = BODY_ERRORS[type];
    return new EnvhubError(known.status, known.code, known.message);
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new EnvhubError(
      status,
      'bad_request',
      `the request was refused (${status}): ${(err as Error).message}`
    );
  }
  return new EnvhubError(
    500,
    'internal',
    'envhub hit an unexpected error; the service log has the details'
  );
}
