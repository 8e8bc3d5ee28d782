import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentSpec } from '@envhub/schema';
import { applyLaunchPolicy } from '../../src/policy/launchPolicy.js';
import {
  DEFAULT_SITE_CONFIG,
  loadSiteConfig,
  type SiteConfig
} from '../../src/policy/siteConfig.js';

const spec = (resources: EnvironmentSpec['resources']): EnvironmentSpec => ({
  repo: 'https://forge.example.org/a.git',
  ref: 'main',
  resources
});
const site = DEFAULT_SITE_CONFIG;

describe('resources between the minima and the maxima', () => {
  test.each([
    ['the defaults', undefined],
    ['exactly the minima', { memory: '256M', cpus: 0.25 }],
    [
      'exactly the maxima',
      { memory: '8G', cpus: 2, idleTimeout: 24 * 3600, maxAge: 7 * 24 * 3600 }
    ]
  ])('%s: admitted', (_, resources) => {
    expect(() => applyLaunchPolicy(spec(resources), site)).not.toThrow();
  });

  test.each([
    [
      'memory Docker refuses',
      { memory: '1M' },
      'resources.memory 1M is below the 256M a server needs on this hub; ask for at least 256M'
    ],
    [
      'memory JupyterLab cannot start in',
      { memory: '100M' },
      'resources.memory 100M is below the 256M a server needs on this hub; ask for at least 256M'
    ],
    [
      'a sliver of a CPU',
      { cpus: 0.01 },
      'resources.cpus 0.01 is below the 0.25 a server needs on this hub; ask for at least 0.25'
    ],
    [
      'both',
      { memory: '255M', cpus: 0.05 },
      'resources.memory 255M is below the 256M a server needs on this hub; ask for at least 256M; resources.cpus 0.05 is below the 0.25 a server needs on this hub; ask for at least 0.25'
    ]
  ])('%s: refused with 422, naming the minimum', (_, resources, message) => {
    expect(() => applyLaunchPolicy(spec(resources), site)).toThrow(
      expect.objectContaining({ status: 422, code: 'under_minimum', message })
    );
  });

  test('over a cap is still refused as such', () => {
    expect(() => applyLaunchPolicy(spec({ memory: '64G' }), site)).toThrow(
      expect.objectContaining({ status: 422, code: 'over_cap' })
    );
  });

  test("a site's own minima apply, and 0 (no limit) is never below one", () => {
    const strict: SiteConfig = {
      ...site,
      resources: {
        ...site.resources,
        minima: { memory: '1G', cpus: 0.5, idleTimeout: 600, maxAge: 0 },
        maxima: { ...site.resources.maxima, idleTimeout: 0 }
      }
    };
    expect(() => applyLaunchPolicy(spec({ memory: '512M' }), strict)).toThrow(
      'resources.memory 512M is below the 1G a server needs on this hub'
    );
    expect(() => applyLaunchPolicy(spec({ idleTimeout: 60 }), strict)).toThrow(
      'resources.idleTimeout 60 is below the 600'
    );
    expect(() =>
      applyLaunchPolicy(spec({ idleTimeout: 0 }), strict)
    ).not.toThrow();
  });
});

describe('site configuration', () => {
  const write = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'envhub-site-')), 'site.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  test('no swap and the measured minima unless the admin says otherwise', () => {
    expect(loadSiteConfig(write({})).resources).toMatchObject({
      allowSwap: false,
      minima: { memory: '256M', cpus: 0.25, idleTimeout: 0, maxAge: 0 }
    });
  });

  test('an admin may allow swap and change a minimum, keeping the other defaults', () => {
    const loaded = loadSiteConfig(
      write({ resources: { allowSwap: true, minima: { memory: '512M' } } })
    );
    expect(loaded.resources).toMatchObject({
      allowSwap: true,
      minima: { memory: '512M', cpus: 0.25 },
      maxima: site.resources.maxima
    });
  });

  test('allowSwap must be a boolean', () => {
    expect(() =>
      loadSiteConfig(write({ resources: { allowSwap: 'yes' } }))
    ).toThrow('/resources/allowSwap must be boolean');
  });
});
