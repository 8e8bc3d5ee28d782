import type { EnvironmentSpec } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import { parseSize } from '../units.js';
import {
  effectiveResources,
  type Resources,
  type SiteConfig
} from './siteConfig.js';

const LIMITS: Array<{
  key: keyof Resources;
  measure: (v: Resources[keyof Resources]) => number;
}> = [
  { key: 'memory', measure: v => parseSize(String(v)) },
  { key: 'cpus', measure: v => Number(v) },
  { key: 'idleTimeout', measure: v => Number(v) },
  { key: 'maxAge', measure: v => Number(v) }
];

/**
 * The hub's rules for a spec: resources get the admin's defaults and must stay between the minima and maxima.
 * Returns the resources the server will get.
 */
export function applyLaunchPolicy(
  spec: EnvironmentSpec,
  site: SiteConfig
): Resources {
  const asked = effectiveResources(spec, site);
  const { minima, maxima } = site.resources;
  // 0 is "no limit": never below a minimum, always over a cap.
  const under = LIMITS.filter(
    ({ key, measure }) =>
      measure(asked[key]) > 0 && measure(asked[key]) < measure(minima[key])
  );
  if (under.length > 0) {
    throw new EnvhubError(
      422,
      'under_minimum',
      under
        .map(
          ({ key }) =>
            `resources.${key} ${asked[key]} is below the ${minima[key]} a server needs on this hub; ask for at least ${minima[key]}`
        )
        .join('; ')
    );
  }
  const over = LIMITS.filter(({ key, measure }) => {
    const cap = maxima[key];
    return (
      measure(cap) > 0 &&
      (measure(asked[key]) > measure(cap) || measure(asked[key]) === 0)
    );
  });
  if (over.length > 0) {
    throw new EnvhubError(
      422,
      'over_cap',
      over
        .map(
          ({ key }) =>
            `resources.${key} ${asked[key]} is over this hub's cap of ${maxima[key]}`
        )
        .join('; ') + '; ask for less'
    );
  }
  return asked;
}
