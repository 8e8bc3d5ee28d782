import type { HubClient } from '../../src/hub/hubClient.js';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { Launcher } from '../../src/launches/launcher.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import { Store } from '../../src/store/store.js';

// The Hub and the builder are not reached by spawnConfig; the store is the real SQLite one.
const store = new Store(':memory:');
const launcher = new Launcher({} as HubClient, store, {} as ImageBuilder, {
  namePrefix: 'envhub',
  baseImage: 'envhub-base:latest',
  allowedRepoHosts: [],
  prefix: '/services/envhub/',
  site: DEFAULT_SITE_CONFIG
});
const commit = 'c'.repeat(40);
store.saveServer({
  owner: 'alice',
  name: 'x',
  repo: 'https://forge.example.org/a.git',
  ref: 'main',
  commit,
  image: `envhub-a:${commit}`,
  ticket: 'ticket-of-alice-x',
  spec: { repo: 'https://forge.example.org/a.git', ref: 'main', name: 'x', resources: { memory: '1G', cpus: 0.5 } },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
});

test('a ticket yields the recorded image, the server home volume and the environment', () => {
  expect(launcher.spawnConfig('alice', 'x', 'ticket-of-alice-x')).toEqual({
    image: `envhub-a:${commit}`,
    volumes: { 'envhub-home-alice--x': { bind: '/home/jovyan', mode: 'rw' } },
    environment: expect.objectContaining({ ENVHUB_COMMIT: commit, BINDER_REPO_URL: 'https://forge.example.org/a.git' }),
    mem_limit: 1024 ** 3,
    cpu_limit: 0.5
  });
});

test('without a ticket a server gets the base image and its own home, nothing else', () => {
  expect(launcher.spawnConfig('bob', 'y', undefined)).toEqual({
    image: 'envhub-base:latest',
    volumes: { 'envhub-home-bob--y': { bind: '/home/jovyan', mode: 'rw' } },
    environment: {},
    mem_limit: 2 * 1024 ** 3,
    cpu_limit: 1
  });
});

test.each([
  ['bob', 'x', 'ticket-of-alice-x'],
  ['alice', 'y', 'ticket-of-alice-x'],
  ['alice', 'x', 'forged']
])('a ticket is refused for %s/%s when it is not theirs', (user, server, ticket) => {
  expect(() => launcher.spawnConfig(user, server, ticket)).toThrow(`not valid for ${user}/${server}`);
});
