/**
 * The one error type of the service: an HTTP status, a stable machine-readable code and a message
 * that tells a person what was wrong and how to fix it.
 */
export class EnvhubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'EnvhubError';
  }

  toJSON(): { status: number; code: string; message: string } {
    return { status: this.status, code: this.code, message: this.message };
  }
}

/** Turns anything thrown into an EnvhubError, hiding internals of unexpected errors. */
export function asEnvhubError(err: unknown): EnvhubError {
  if (err instanceof EnvhubError) return err;
  return new EnvhubError(500, 'internal', 'envhub hit an unexpected error; the service log has the details');
}
