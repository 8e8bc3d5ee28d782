import type Docker from 'dockerode';
import type { HubClient } from '../hub/hubClient.js';
import { log } from '../log.js';
import { every } from '../periodic.js';
import { homeVolumeName, sharedVolumeName } from '../naming.js';
import type { StorageRow, Store } from '../store/store.js';
import { dayOf, UsageMeter, type ContainerSample } from './meter.js';
import { stopDue, type Quotas } from './quotas.js';

export interface RecorderOptions {
  namePrefix: string;
  /** Pause between the end of one sample and the start of the next. */
  intervalMs: number;
  /** How often storage is measured (Docker adds up every volume's files: slower than stats). */
  storageEveryMs: number;
  now?: () => Date;
}

/** The parts of a container's inspection the recorder reads. */
interface Identity {
  owner: string;
  server: string;
  startedAt: string;
}

type Stats = {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: {
    usage?: number;
    stats?: Record<string, number | undefined>;
  };
};

/** Memory in use as `docker stats` counts it: the cgroup's usage without its inactive page cache. */
export function memoryInUse(stats: Stats): number {
  const memory = stats.memory_stats ?? {};
  const cache =
    memory.stats?.inactive_file ??
    memory.stats?.total_inactive_file ??
    memory.stats?.cache ??
    0;
  return Math.max((memory.usage ?? 0) - cache, 0);
}

/**
 * Usage accounting: every `intervalMs`, reads Docker's counters of the running servers' containers
 * on each engine (one, or a swarm's nodes) into the store (per server and day, see meter.ts) with the day's peak of servers at once, measures
 * homes and volumes every `storageEveryMs`, and stops servers whose owner went over quota once the
 * site's boundary has passed (stopped, never removed: homes stay). A visitor's session of a public
 * server counts for that server's owner, as `<server> (visitors)`.
 */
export class UsageRecorder {
  private readonly meter: UsageMeter;
  private readonly identities = new Map<string, Identity | null>();
  private readonly overSince = new Map<string, number>();
  private stopSampling: (() => void) | null = null;
  private lastStorage = 0;
  private readonly now: () => Date;
  /** Servers running at the last sample. */
  runningServers = 0;

  constructor(
    /** The engines servers run on; an engine that does not answer is left out of that sample. */
    private readonly engines: Docker[],
    private readonly store: Store,
    private readonly hub: Pick<HubClient, 'stopServer'>,
    private readonly quotas: Quotas,
    private readonly options: RecorderOptions
  ) {
    this.now = options.now ?? (() => new Date());
    // A gap longer than two intervals (the service was paused or busy) is not billed at the last reading.
    this.meter = new UsageMeter(2 * options.intervalMs);
  }

  start(): void {
    this.stopSampling ??= every(
      this.options.intervalMs,
      'usage.sample_failed',
      () => this.sweep()
    );
  }

  stop(): void {
    this.stopSampling?.();
    this.stopSampling = null;
  }

  /** One sample (and storage when due), then the quotas. */
  async sweep(): Promise<void> {
    const samples = await this.sample();
    if (this.now().getTime() - this.lastStorage >= this.options.storageEveryMs)
      await this.measureStorage();
    await this.enforceQuotas(samples);
  }

  /** Reads the running servers' counters and records what they used since the last sample. */
  async sample(): Promise<ContainerSample[]> {
    const samples: ContainerSample[] = [];
    const seen = new Set<string>();
    for (const engine of this.engines) {
      const containers = await this.fromEngine(
        () =>
          engine.listContainers({
            filters: {
              name: [`^/${this.options.namePrefix}-`],
              status: ['running']
            }
          }),
        []
      );
      for (const { Id } of containers) {
        seen.add(Id);
        const sample = await this.read(engine, Id);
        if (sample) samples.push(sample);
      }
    }
    for (const id of this.identities.keys())
      if (!seen.has(id)) this.identities.delete(id);
    const now = this.now();
    this.store.addUsage(this.meter.sample(now, samples));
    this.store.recordPeak(dayOf(now), samples.length);
    this.runningServers = samples.length;
    return samples;
  }

  /** What `ask` answers, or `otherwise` (logged) when the engine does not answer. */
  private async fromEngine<T>(ask: () => Promise<T>, otherwise: T): Promise<T> {
    try {
      return await ask();
    } catch (err) {
      log.warn('usage.engine_unreadable', { error: (err as Error).message });
      return otherwise;
    }
  }

  /** One container's counters; null when it is no user's server or is gone. */
  private async read(
    engine: Docker,
    id: string
  ): Promise<ContainerSample | null> {
    try {
      const identity = await this.identify(engine, id);
      if (!identity) return null;
      const stats = (await engine.getContainer(id).stats({
        stream: false,
        'one-shot': true
      } as {
        stream: false;
      })) as Stats;
      return {
        id,
        ...identity,
        cpuNanos: stats.cpu_stats?.cpu_usage?.total_usage ?? 0,
        memoryBytes: memoryInUse(stats)
      };
    } catch (err) {
      // Gone between the listing and the reading: its last interval is not counted.
      log.warn('usage.container_unreadable', {
        container: id,
        error: (err as Error).message
      });
      return null;
    }
  }

  /** Whose server a container runs (the Hub's environment variables in it); null: not a user's server. */
  private async identify(engine: Docker, id: string): Promise<Identity | null> {
    if (this.identities.has(id)) return this.identities.get(id)!;
    const info = await engine.getContainer(id).inspect();
    const env = new Map(
      (info.Config.Env ?? []).map(entry => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)] as const;
      })
    );
    const user = env.get('JUPYTERHUB_USER');
    let identity: Identity | null = null;
    if (user) {
      const session = this.store.getSession(user);
      identity = session
        ? {
            owner: session.owner,
            server: `${session.server} (visitors)`,
            startedAt: info.State.StartedAt
          }
        : {
            owner: user,
            server: env.get('JUPYTERHUB_SERVER_NAME') ?? '',
            startedAt: info.State.StartedAt
          };
    }
    this.identities.set(id, identity);
    return identity;
  }

  /** Records what each home and shared volume holds now. */
  async measureStorage(): Promise<void> {
    const prefix = this.options.namePrefix;
    const owners = new Map<string, Omit<StorageRow, 'bytes'>>();
    for (const server of this.store.allServers())
      owners.set(homeVolumeName(prefix, server.owner, server.name), {
        owner: server.owner,
        volume: homeVolumeName(prefix, server.owner, server.name),
        server: server.name
      });
    for (const volume of this.store.allVolumes())
      if (!volume.webdav)
        owners.set(sharedVolumeName(prefix, volume.name), {
          owner: volume.owner,
          volume: volume.name,
          server: null
        });
    // A volume is measured where it is: one engine's, or every node's when a network driver
    // shows it everywhere (counted once, at its largest).
    const rows = new Map<string, StorageRow>();
    for (const engine of this.engines) {
      const df = await this.fromEngine(
        () =>
          engine.df() as Promise<{
            Volumes?: Array<{ Name: string; UsageData?: { Size?: number } }>;
          }>,
        {}
      );
      for (const volume of df.Volumes ?? []) {
        const owner = owners.get(volume.Name);
        const bytes = volume.UsageData?.Size ?? -1;
        if (owner && bytes > (rows.get(volume.Name)?.bytes ?? -1))
          rows.set(volume.Name, { ...owner, bytes });
      }
    }
    const now = this.now();
    this.store.setStorage(dayOf(now), [...rows.values()]);
    this.lastStorage = now.getTime();
  }

  /** Stops running servers whose owner is over quota once the site's boundary has passed. */
  async enforceQuotas(samples: ContainerSample[]): Promise<void> {
    if (!this.quotas.configured) return;
    const now = this.now().getTime();
    const running = new Set(samples.map(s => `${s.owner}/${s.server}`));
    for (const key of this.overSince.keys())
      if (!running.has(key)) this.overSince.delete(key);
    const owners = [...new Set(samples.map(s => s.owner))];
    for (const owner of owners) {
      const { breaches } = await this.quotas.status(owner);
      for (const sample of samples.filter(s => s.owner === owner)) {
        const key = `${owner}/${sample.server}`;
        if (breaches.length === 0) {
          this.overSince.delete(key);
          continue;
        }
        if (!this.overSince.has(key)) this.overSince.set(key, now);
        if (
          sample.server.endsWith(' (visitors)') ||
          !stopDue(this.overSince.get(key)!, now, this.quotas.settings.stopAt)
        )
          continue;
        await this.hub.stopServer(owner, sample.server);
        this.overSince.delete(key);
        log.info('usage.quota_stop', {
          owner,
          server: sample.server,
          reason: breaches.map(b => b.message).join('; ')
        });
      }
    }
  }
}
