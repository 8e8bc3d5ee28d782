import { log } from './log.js';

/**
 * Runs `task` every `intervalMs`, counted from the end of the previous run (runs never overlap),
 * logging a failure as `event`, until the returned function is called. The timer alone never keeps
 * the process alive.
 */
export function every(
  intervalMs: number,
  event: string,
  task: () => Promise<unknown>
): () => void {
  let timer: NodeJS.Timeout | null = null;
  let running = true;
  const next = () => {
    timer = setTimeout(() => {
      task()
        .catch((err: unknown) =>
          log.error(event, { error: (err as Error).message })
        )
        .finally(() => running && next());
    }, intervalMs);
    timer.unref();
  };
  next();
  return () => {
    running = false;
    if (timer) clearTimeout(timer);
  };
}
