/**
 * Mounts as launch links, forms and the home page write them: `volume:path` or `volume:path:ro`.
 * Only a type import, which compiles away, so the home page's script loads this module as it is.
 */
import type { Mount } from './generated/environment.js';

/** `volume:path`, or `volume:path:ro` when read-only. */
export const encodeMount = (mount: Mount): string =>
  `${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}`;

/** Reads `volume:path`, `volume:path:ro` or `volume:path:rw`; null for anything else. */
export function decodeMount(value: string): Mount | null {
  const [source, target, mode, ...rest] = value.split(':');
  if (!source || !target || rest.length > 0) return null;
  if (mode === undefined) return { source, target };
  if (mode === 'ro' || mode === 'rw')
    return { source, target, readOnly: mode === 'ro' };
  return null;
}
