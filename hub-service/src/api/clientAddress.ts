import type { Request } from 'express';
import { networkInterfaces } from 'node:os';

/** The host's own addresses, which the proxy's connections to the service come from. */
const hostAddresses = () =>
  new Set(
    Object.values(networkInterfaces())
      .flat()
      .map(i => i?.address)
  );

/**
 * The address of the browser behind a request: the last hop the proxy added to X-Forwarded-For when
 * the request came from this host (the proxy), else the peer itself (a container that calls the
 * service directly cannot claim another address).
 */
export function clientAddress(req: Request): string {
  const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  const forwarded = req.get('X-Forwarded-For');
  if (forwarded && hostAddresses().has(peer))
    return forwarded.split(',').pop()!.trim();
  return peer;
}
