import type Docker from 'dockerode';
import type { HubClient } from '../../src/hub/hubClient.js';
import type { ImageBuilder } from '../../src/images/imageBuilder.js';
import { Launcher, NOT_LAUNCHED } from '../../src/launches/launcher.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import { Store } from '../../src/store/store.js';
import { Volumes } from '../../src/volumes/volumes.js';

// The builder and Docker are not reached by spawnConfig, and of the Hub only group membership is
// asked (a fixed table here); the store is the real SQLite one.
const store = new Store(':memory:');
const groups: Record<string, string[]> = {
  students: ['bob', 'carol'],
  staff: ['dave']
};
const hub = {
  groupMembers: async (group: string) => groups[group] ?? []
} as unknown as HubClient;
const volumes = new Volumes({} as Docker, store, hub, {
  namePrefix: 'envhub',
  baseImage: 'envhub-base:latest',
  volumesPerUser: 10,
  webdav: null,
  credentials: { find: async () => null, has: () => false }
});
const settings = {
  namePrefix: 'envhub',
  servers: { proxyUrl: 'http://127.0.0.1:1', token: 'service-token' },
  allowedRepoHosts: [],
  prefix: '/services/envhub/',
  site: DEFAULT_SITE_CONFIG
};
const launcher = new Launcher(
  hub,
  store,
  {} as ImageBuilder,
  volumes,
  settings
);
const commit = 'c'.repeat(40);
store.saveServer({
  owner: 'alice',
  name: 'x',
  repo: 'https://forge.example.org/a.git',
  ref: 'main',
  commit,
  image: `envhub-a:${commit}`,
  ticket: 'ticket-of-alice-x',
  spec: {
    repo: 'https://forge.example.org/a.git',
    ref: 'main',
    name: 'x',
    resources: { memory: '1G', cpus: 0.5 }
  },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
});

test('a ticket yields the recorded image, the server home volume, the environment and limits without swap', async () => {
  expect(
    await launcher.spawnConfig('alice', 'x', { ticket: 'ticket-of-alice-x' })
  ).toEqual({
    image: `envhub-a:${commit}`,
    volumes: { 'envhub-home-alice--x': { bind: '/home/jovyan', mode: 'rw' } },
    mounts: [],
    environment: expect.objectContaining({
      ENVHUB_COMMIT: commit,
      BINDER_REPO_URL: 'https://forge.example.org/a.git'
    }),
    mem_limit: 1024 ** 3,
    memswap_limit: 1024 ** 3,
    cpu_limit: 0.5
  });
});

test('a site that allows swap leaves the swap limit to Docker', async () => {
  const site = {
    ...DEFAULT_SITE_CONFIG,
    resources: { ...DEFAULT_SITE_CONFIG.resources, allowSwap: true }
  };
  const swapping = new Launcher(hub, store, {} as ImageBuilder, volumes, {
    ...settings,
    site
  });
  expect(
    await swapping.spawnConfig('alice', 'x', { ticket: 'ticket-of-alice-x' })
  ).toMatchObject({ mem_limit: 1024 ** 3, memswap_limit: null });
});

describe('a server envhub did not launch never starts, whatever user_options say', () => {
  test.each([
    ['no user_options', undefined],
    ['null', null],
    ['nothing', {}],
    ['an image', { image: 'envhub-base:latest' }],
    ["another server's ticket", { ticket: 'ticket-of-alice-x' }]
  ])('%s', async (_, options) => {
    const refusal = launcher.spawnConfig('bob', 'y', options);
    await expect(refusal).rejects.toMatchObject({
      status: 403,
      code: NOT_LAUNCHED
    });
    await expect(launcher.spawnConfig('bob', 'y', options)).rejects.toThrow(
      "envhub did not launch bob/y: servers on this hub start only through envhub; launch one from envhub's page or a launch link"
    );
  });

  test('the default server neither', async () => {
    await expect(launcher.spawnConfig('alice', '', {})).rejects.toThrow(
      'envhub did not launch alice/(the default server)'
    );
  });
});

describe('a server envhub launched starts only with its own ticket, and nothing else', () => {
  test.each([
    ['no user_options', undefined, 'bad_ticket'],
    ['no ticket', {}, 'bad_ticket'],
    ['a forged ticket', { ticket: 'forged' }, 'bad_ticket'],
    [
      'a forged ticket of the same length',
      { ticket: 'ticket-of-alice-y' },
      'bad_ticket'
    ],
    [
      'a ticket that is not a string',
      { ticket: ['ticket-of-alice-x'] },
      'bad_ticket'
    ],
    [
      'its ticket and an image',
      { ticket: 'ticket-of-alice-x', image: 'envhub-base:latest' },
      'user_options'
    ]
  ])(
    '%s: refused, saying to launch through envhub',
    async (_, options, code) => {
      const refusal = launcher.spawnConfig('alice', 'x', options);
      await expect(refusal).rejects.toMatchObject({ code });
      await expect(launcher.spawnConfig('alice', 'x', options)).rejects.toThrow(
        /launch (the server|servers) through envhub/
      );
    }
  );
});

describe('mounts', () => {
  const now = '2026-01-01T00:00:00Z';
  store.addVolume({
    name: 'course',
    owner: 'teacher',
    createdAt: now,
    members: {
      users: [{ name: 'erin', readOnly: false }],
      groups: [{ name: 'students', readOnly: true }]
    }
  });
  store.addVolume({
    name: 'shared',
    owner: 'teacher',
    createdAt: now,
    members: {
      users: [{ name: 'bob', readOnly: false }],
      groups: [{ name: 'students', readOnly: true }]
    }
  });
  store.addVolume({
    name: 'private',
    owner: 'teacher',
    createdAt: now,
    members: { users: [], groups: [] }
  });

  const serverWith = (
    owner: string,
    mounts: Array<{ source: string; target: string; readOnly: boolean }>
  ) => {
    const name = `m${Math.random().toString(36).slice(2, 8)}`;
    store.saveServer({
      owner,
      name,
      repo: 'https://forge.example.org/a.git',
      ref: 'main',
      commit,
      image: `envhub-a:${commit}`,
      ticket: `t-${name}`,
      spec: {
        repo: 'https://forge.example.org/a.git',
        ref: 'main',
        name,
        mounts
      },
      createdAt: now,
      updatedAt: now
    });
    return { name, ticket: `t-${name}` };
  };

  const volumeMount = (source: string, target: string, readOnly: boolean) => ({
    type: 'volume',
    source: `envhub-volume-${source}`,
    target,
    read_only: readOnly,
    no_copy: true
  });

  test('each mount mounts its Docker volume, never filled from the image; read access forces read-only', async () => {
    const { name, ticket } = serverWith('bob', [
      { source: 'course', target: '/mnt/course', readOnly: false },
      { source: 'shared', target: '/home/jovyan/shared', readOnly: false }
    ]);
    const config = await launcher.spawnConfig('bob', name, { ticket });
    expect(config.volumes).toEqual({
      [`envhub-home-bob--${name}`]: { bind: '/home/jovyan', mode: 'rw' }
    });
    // The widest grant wins: bob is a read-write member of "shared" and in the read-only group too.
    expect(config.mounts).toEqual([
      volumeMount('course', '/mnt/course', true),
      volumeMount('shared', '/home/jovyan/shared', false)
    ]);
    expect(store.getServer('bob', name)!.startedMounts).toBe(
      JSON.stringify(store.getServer('bob', name)!.spec.mounts)
    );
  });

  test('the owner and a writing member get what the mount asks for, one volume at several paths too', async () => {
    for (const owner of ['teacher', 'erin']) {
      const { name, ticket } = serverWith(owner, [
        { source: 'course', target: '/mnt/a', readOnly: false },
        { source: 'course', target: '/mnt/b', readOnly: true }
      ]);
      expect(
        (await launcher.spawnConfig(owner, name, { ticket })).mounts
      ).toEqual([
        volumeMount('course', '/mnt/a', false),
        volumeMount('course', '/mnt/b', true)
      ]);
    }
  });

  test('a volume that is not open to the owner, or does not exist, refuses the spawn naming each mount', async () => {
    const { name, ticket } = serverWith('dave', [
      { source: 'private', target: '/mnt/p', readOnly: true },
      { source: 'gone', target: '/mnt/g', readOnly: false }
    ]);
    const refusal = launcher.spawnConfig('dave', name, { ticket });
    await expect(refusal).rejects.toMatchObject({
      status: 403,
      code: 'volume_forbidden'
    });
    await expect(
      launcher.spawnConfig('dave', name, { ticket })
    ).rejects.toThrow(
      'mounts.0.source: dave may not mount volume "private" (ask its owner, teacher, to add them as a member); mounts.1.source: there is no volume "gone" (create it first)'
    );
    expect(store.getServer('dave', name)!.startedMounts).toBeNull();
  });

  test('effective mounts say how each binds and what would refuse it, without throwing', async () => {
    expect(
      await volumes.effectiveMounts('bob', [
        { source: 'course', target: '/mnt/course', readOnly: false },
        { source: 'private', target: '/mnt/p' },
        { source: 'gone', target: '/mnt/g', readOnly: true }
      ])
    ).toEqual([
      {
        source: 'course',
        target: '/mnt/course',
        webdav: null,
        readOnly: true,
        problem: null
      },
      {
        source: 'private',
        target: '/mnt/p',
        webdav: null,
        readOnly: false,
        problem: {
          code: 'volume_forbidden',
          message:
            'bob may not mount volume "private" (ask its owner, teacher, to add them as a member)'
        }
      },
      {
        source: 'gone',
        target: '/mnt/g',
        webdav: null,
        readOnly: true,
        problem: {
          code: 'no_such_volume',
          message: 'there is no volume "gone" (create it first)'
        }
      }
    ]);
  });
});
