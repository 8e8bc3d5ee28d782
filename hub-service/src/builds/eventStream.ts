import type { Response } from 'express';
import type { Channel } from './channel.js';
import { isFinal, type BuildEvent } from './events.js';

const KEEPALIVE_MS = 25_000;

/**
 * Sends a launch's events as a BinderHub-style event stream (`data: <json>` blocks), ending the
 * response right after the final event (`ready` or `failed`): clients close on that event, as
 * BinderHub's do, so there is nothing to wait for.
 */
export async function sendEventStream(
  res: Response,
  events: Channel<BuildEvent>
): Promise<void> {
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no'
  });
  res.flushHeaders();
  let closed = false;
  res.on('close', () => (closed = true));
  const keepalive = setInterval(
    () => res.write(':keepalive\n\n'),
    KEEPALIVE_MS
  );
  try {
    for await (const event of events.subscribe()) {
      if (closed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (isFinal(event)) break;
    }
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}
