import Docker from 'dockerode';
import type { SpawnConfig } from '../launches/launcher.js';
import type { Registry } from './registry.js';

/**
 * A Docker engine at `url`: `unix:///path/to/docker.sock` or `tcp://host:port`; `setting` names
 * where the URL came from when it is neither.
 */
export function dockerAt(
  url: string,
  setting = 'ENVHUB_SWARM_MANAGER'
): Docker {
  const parsed = new URL(url);
  if (parsed.protocol === 'unix:')
    return new Docker({ socketPath: parsed.pathname });
  if (parsed.protocol === 'tcp:' || parsed.protocol === 'http:')
    return new Docker({
      host: parsed.hostname,
      port: Number(parsed.port || 2375),
      protocol: 'http'
    });
  throw new Error(
    `${setting} "${url}" must be unix:///path/to/docker.sock or tcp://host:port`
  );
}

/**
 * Servers on a Docker Swarm (README, "Docker Swarm"). The spawner (envhub.swarm) runs them as
 * services of the manager; envhub publishes their images to the registry every node pulls from,
 * and makes its own volumes (shared volumes, course directories, WebDAV volumes) on the manager's
 * node, where servers mounting them must then run.
 */
export class Swarm {
  private constructor(
    readonly manager: Docker,
    readonly registry: Registry,
    /** The node of the manager's engine, which holds the volumes envhub makes. */
    readonly volumeNode: string
  ) {}

  static async connect(manager: Docker, registry: Registry): Promise<Swarm> {
    const info = (await manager.info()) as {
      Swarm?: { NodeID?: string; ControlAvailable?: boolean };
    };
    if (!info.Swarm?.NodeID || !info.Swarm.ControlAvailable)
      throw new Error(
        'ENVHUB_SWARM_MANAGER is not the engine of a swarm manager (docker swarm init, or docker swarm join as a manager)'
      );
    return new Swarm(manager, registry, info.Swarm.NodeID);
  }

  /** `config` as a swarm service needs it: its image from the registry, where its volumes are. */
  async placed(config: SpawnConfig): Promise<SpawnConfig> {
    await this.registry.publish(config.image);
    return {
      ...config,
      image: this.registry.reference(config.image),
      ...(config.mounts.length > 0 ? { volume_node: this.volumeNode } : {})
    };
  }
}
