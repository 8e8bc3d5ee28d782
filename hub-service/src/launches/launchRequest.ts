import { parseLaunch } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import { serverNameFromRepo } from '../naming.js';
import type { LaunchRequest } from './launcher.js';

/** Query parameters that steer a launch rather than describe the environment: `1`/`true` or `0`/`false`. */
const CONTROLS = ['update', 'relaunch', 'restart'] as const;
const SWITCH = new Map([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false]
]);

/** A control parameter's value; anything but one of SWITCH's values, or given twice, is a 400. */
function control(
  query: URLSearchParams,
  name: (typeof CONTROLS)[number]
): boolean {
  const values = query.getAll(name);
  if (values.length === 0) return false;
  const value = SWITCH.get(values[0]);
  if (values.length > 1 || value === undefined) {
    throw new EnvhubError(
      400,
      'invalid_spec',
      `${name} must be given once, as 1 or 0 (got ${values.map(v => JSON.stringify(v)).join(', ')})`
    );
  }
  return value;
}

/**
 * Reads a launch from a URL's provider path (`git/<escaped url>/<ref>`, still percent-encoded)
 * and its query string, as `/build/…` and `/v2/…` receive them. Bad input is a 400 naming every field.
 * The query is read from the URL itself, not a framework's parsed object, so that no parameter
 * (`__proto__` included) is dropped on the way and every unknown one is refused.
 */
export function launchRequestFrom(
  providerPath: string,
  query: URLSearchParams,
  owner: string,
  publicOrigin: string
): LaunchRequest {
  const specQuery = new URLSearchParams(query);
  CONTROLS.forEach(name => specQuery.delete(name));
  const validation = parseLaunch(providerPath, specQuery);
  if (!validation.ok) {
    throw new EnvhubError(
      400,
      'invalid_spec',
      validation.errors.map(e => e.message).join('; ')
    );
  }
  const spec = validation.spec;
  return {
    owner,
    spec: { ...spec, name: spec.name ?? serverNameFromRepo(spec.repo) },
    publicOrigin,
    update: control(query, 'update'),
    relaunch: control(query, 'relaunch'),
    restart: control(query, 'restart')
  };
}
