import { parseLaunch } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import { serverNameFromRepo } from '../naming.js';
import type { LaunchRequest } from './launcher.js';

/** Query parameters that steer a launch rather than describe the environment. */
const CONTROLS = ['update', 'relaunch', 'restart'] as const;

const truthy = (value: unknown) => value === '1' || value === 'true';

/**
 * Reads a launch from a URL's provider path (`git/<escaped url>/<ref>`, still percent-encoded)
 * and query, as `/build/…` and `/v2/…` receive them. Bad input is a 400 naming every field.
 */
export function launchRequestFrom(providerPath: string, query: Record<string, unknown>, owner: string, publicOrigin: string): LaunchRequest {
  const specQuery: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(query)) {
    if ((CONTROLS as readonly string[]).includes(key)) continue;
    if (typeof value === 'string' || (Array.isArray(value) && value.every(v => typeof v === 'string'))) specQuery[key] = value as string | string[];
  }
  const validation = parseLaunch(providerPath, specQuery);
  if (!validation.ok) {
    throw new EnvhubError(400, 'invalid_spec', validation.errors.map(e => e.message).join('; '));
  }
  const spec = validation.spec;
  return {
    owner,
    spec: { ...spec, name: spec.name ?? serverNameFromRepo(spec.repo) },
    publicOrigin,
    update: truthy(query.update),
    relaunch: truthy(query.relaunch),
    restart: truthy(query.restart)
  };
}
