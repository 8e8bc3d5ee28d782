import type Docker from 'dockerode';
import { configFromEnv } from '../../src/config.js';
import type { SpawnConfig } from '../../src/launches/launcher.js';
import { Registry } from '../../src/swarm/registry.js';
import { dockerAt, Swarm } from '../../src/swarm/swarm.js';

// Swarm mode's settings and how it places a spawn configuration; the registry and the engines are
// real in test/swarm (deploy/test-swarm.sh). Here the registry's pushes are recorded instead.
const hubEnv = {
  JUPYTERHUB_SERVICE_URL: 'http://127.0.0.1:8003',
  JUPYTERHUB_SERVICE_PREFIX: '/services/envhub/',
  JUPYTERHUB_API_URL: 'http://127.0.0.1:8002/hub/api',
  JUPYTERHUB_API_TOKEN: 't',
  JUPYTERHUB_CLIENT_ID: 'service-envhub',
  JUPYTERHUB_OAUTH_CALLBACK_URL: '/services/envhub/oauth_callback',
  ENVHUB_INTERNAL_SECRET: 's',
  ENVHUB_PUBLIC_URL: 'http://127.0.0.1:8000'
};

test('swarm mode needs both the manager and the registry', () => {
  expect(configFromEnv(hubEnv)).not.toHaveProperty('swarmManager');
  expect(
    configFromEnv({
      ...hubEnv,
      ENVHUB_SWARM_MANAGER: 'unix:///var/run/docker.sock',
      ENVHUB_REGISTRY: 'registry.example.org:5000'
    })
  ).toMatchObject({
    swarmManager: 'unix:///var/run/docker.sock',
    registry: 'registry.example.org:5000'
  });
  expect(() =>
    configFromEnv({ ...hubEnv, ENVHUB_SWARM_MANAGER: 'unix:///x.sock' })
  ).toThrow('ENVHUB_SWARM_MANAGER and ENVHUB_REGISTRY go together');
});

test("usage accounting reads the manager's engine and the other nodes' the admin lists", () => {
  const swarm = {
    ...hubEnv,
    ENVHUB_SWARM_MANAGER: 'unix:///run/n1.sock',
    ENVHUB_REGISTRY: 'registry.example.org:5000'
  };
  expect(configFromEnv(swarm).swarmEngines).toEqual([]);
  expect(
    configFromEnv({
      ...swarm,
      ENVHUB_SWARM_ENGINES:
        ' tcp://10.0.0.6:2375, unix:///run/n1.sock,tcp://10.0.0.6:2375 ,tcp://10.0.0.7:2375'
    }).swarmEngines
  ).toEqual(['tcp://10.0.0.6:2375', 'tcp://10.0.0.7:2375']);
  expect(() =>
    configFromEnv({ ...hubEnv, ENVHUB_SWARM_ENGINES: 'tcp://10.0.0.6:2375' })
  ).toThrow(
    "ENVHUB_SWARM_ENGINES lists a swarm's nodes: it needs ENVHUB_SWARM_MANAGER"
  );
  expect(() => dockerAt('ssh://n2', 'ENVHUB_SWARM_ENGINES')).toThrow(
    'ENVHUB_SWARM_ENGINES "ssh://n2" must be unix:///path/to/docker.sock or tcp://host:port'
  );
});

test('a registry is host:port (TLS) or http://host:port; images are named after it', () => {
  const docker = {} as Docker;
  expect(
    new Registry(docker, 'registry.example.org:5000').reference('envhub-a:1')
  ).toBe('registry.example.org:5000/envhub-a:1');
  expect(new Registry(docker, 'http://10.0.0.5:5000').host).toBe(
    '10.0.0.5:5000'
  );
  expect(() => new Registry(docker, 'https://r.example.org/v2/')).toThrow(
    'must be host:port (TLS) or http://host:port, with no path'
  );
});

test('a manager is a unix socket or a TCP address', () => {
  expect(
    (dockerAt('unix:///run/envsw/n1.sock').modem as { socketPath?: string })
      .socketPath
  ).toBe('/run/envsw/n1.sock');
  expect(dockerAt('tcp://10.0.0.5:2375').modem).toMatchObject({
    host: '10.0.0.5',
    port: 2375
  });
  expect(() => dockerAt('ssh://manager')).toThrow(
    'must be unix:///path/to/docker.sock or tcp://host:port'
  );
});

describe('a spawn configuration placed on the swarm', () => {
  const published: string[] = [];
  const registry = Object.assign(new Registry({} as Docker, 'r.example:5000'), {
    publish: async (image: string) => {
      published.push(image);
    }
  });
  const manager = (swarm: object) =>
    ({ info: async () => ({ Swarm: swarm }) }) as unknown as Docker;
  const config: SpawnConfig = {
    image: 'envhub-a:1',
    volumes: { 'envhub-home-alice--x': { bind: '/home/jovyan', mode: 'rw' } },
    mounts: [],
    environment: {},
    mem_limit: 1 << 30,
    cpu_limit: 1,
    memswap_limit: 1 << 30
  };

  test('is refused by an engine that does not manage a swarm', async () => {
    await expect(
      Swarm.connect(
        manager({ NodeID: 'n1', ControlAvailable: false }),
        registry
      )
    ).rejects.toThrow('is not the engine of a swarm manager');
    await expect(Swarm.connect(manager({}), registry)).rejects.toThrow(
      'is not the engine of a swarm manager'
    );
  });

  test('runs the registry’s copy of its image, published first; with volumes, on their node', async () => {
    const swarm = await Swarm.connect(
      manager({ NodeID: 'manager-node', ControlAvailable: true }),
      registry
    );
    expect(await swarm.placed(config)).toEqual({
      ...config,
      image: 'r.example:5000/envhub-a:1'
    });
    expect(published).toEqual(['envhub-a:1']);
    const mounts = [
      {
        type: 'volume' as const,
        source: 'envhub-volume-data',
        target: '/data',
        read_only: false,
        no_copy: true as const
      }
    ];
    expect(await swarm.placed({ ...config, mounts })).toMatchObject({
      mounts,
      volume_node: 'manager-node'
    });
  });
});
