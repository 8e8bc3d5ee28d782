/** Structured logs: one JSON line per event. Never pass secrets (tokens, tickets) in fields. */
export type LogFields = Record<string, unknown>;

function write(level: string, event: string, fields: LogFields): void {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    event,
    ...fields
  });
  (level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}

export const log = {
  info: (event: string, fields: LogFields = {}) => write('info', event, fields),
  warn: (event: string, fields: LogFields = {}) => write('warn', event, fields),
  error: (event: string, fields: LogFields = {}) =>
    write('error', event, fields)
};
