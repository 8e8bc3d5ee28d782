import type { Response } from 'express';
import type { Channel } from './channel.js';
import { isFinal, type BuildEvent } from './events.js';

const KEEPALIVE_MS = 25_000;
/** How long the stream stays open after the last event, so EventSource does not reconnect at once. */
const LINGER_MS = 1_000;

/** Sends a launch's events as a BinderHub-style event stream (`data: <json>` blocks). */
export async function sendEventStream(res: Response, events: Channel<BuildEvent>): Promise<void> {
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no'
  });
  res.flushHeaders();
  let closed = false;
  res.on('close', () => (closed = true));
  const keepalive = setInterval(() => res.write(':keepalive\n\n'), KEEPALIVE_MS);
  try {
    for await (const event of events.subscribe()) {
      if (closed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (isFinal(event)) break;
    }
    await new Promise(resolve => setTimeout(resolve, LINGER_MS));
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}
