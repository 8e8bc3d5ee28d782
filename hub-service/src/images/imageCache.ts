import type Docker from 'dockerode';
import { log } from '../log.js';
import type { Store } from '../store/store.js';
import type { Registry } from '../swarm/registry.js';

/** Labels envhub puts on the images it builds. */
export const LABELS = {
  repo: 'org.envhub.repo',
  ref: 'org.envhub.ref',
  commit: 'org.envhub.commit',
  fingerprint: 'org.envhub.environment-fingerprint',
  environmentImage: 'org.envhub.environment-image',
  builderVersion: 'org.envhub.builder-version',
  role: 'org.envhub.role',
  /** `<namePrefix>` on every step of a build, cleared on the finished image (see imageBuilder.ts). */
  buildOf: 'org.envhub.build-of'
} as const;

interface ImageInfo {
  Id: string;
  RepoTags: string[] | null;
  Containers: number;
  Labels: Record<string, string> | null;
  Size?: number;
}

/**
 * Keeps the disk used by images under an admin-set budget by removing envhub's images, least
 * recently launched first. Never removes an image a container uses, nor the base image, and
 * removes an environment image only when no built image still stands on it.
 */
export class ImageCache {
  constructor(
    private readonly docker: Docker,
    private readonly store: Store,
    private readonly settings: {
      namePrefix: string;
      budgetBytes: number | null;
      baseImage: string;
      /** On a swarm: an evicted image leaves the registry too. */
      registry?: Registry;
    }
  ) {}

  private async usage(): Promise<{ bytes: number; images: ImageInfo[] }> {
    const df = (await this.docker.df()) as {
      LayersSize: number;
      Images: ImageInfo[];
    };
    return { bytes: df.LayersSize, images: df.Images };
  }

  /** envhub's environment images the engine holds now, and their size (the metrics' gauges). */
  async held(): Promise<{ count: number; bytes: number }> {
    const ours = (await this.usage()).images.filter(image =>
      (image.RepoTags ?? []).some(tag =>
        tag.startsWith(`${this.settings.namePrefix}-`)
      )
    );
    return {
      count: ours.length,
      bytes: ours.reduce((sum, image) => sum + (image.Size ?? 0), 0)
    };
  }

  /** Removes images until the budget holds or nothing more may go; returns what it removed. */
  async evict(): Promise<string[]> {
    const budget = this.settings.budgetBytes;
    if (budget === null) return [];
    const removed: string[] = [];
    for (;;) {
      const { bytes, images } = await this.usage();
      if (bytes <= budget) break;
      const victim = this.nextVictim(images);
      if (!victim) {
        log.warn('images.over_budget', {
          bytes,
          budget,
          reason: 'every remaining envhub image is in use'
        });
        break;
      }
      try {
        await this.docker.getImage(victim).remove();
        await this.settings.registry?.remove(victim);
        removed.push(victim);
        log.info('images.evicted', {
          image: victim,
          bytesBefore: bytes,
          budget
        });
      } catch (err) {
        log.warn('images.evict_failed', {
          image: victim,
          error: (err as Error).message
        });
        break;
      }
    }
    return removed;
  }

  private nextVictim(images: ImageInfo[]): string | undefined {
    const ours = images.filter(
      image =>
        image.Labels?.[LABELS.builderVersion] &&
        (image.RepoTags ?? []).some(tag =>
          tag.startsWith(`${this.settings.namePrefix}-`)
        )
    );
    const tag = (image: ImageInfo) =>
      (image.RepoTags ?? []).find(t =>
        t.startsWith(`${this.settings.namePrefix}-`)
      )!;
    const free = ours.filter(
      image => image.Containers <= 0 && tag(image) !== this.settings.baseImage
    );
    const launched = this.store.imageLaunchTimes();
    const built = free
      .filter(image => image.Labels?.[LABELS.role] !== 'environment')
      .sort((a, b) =>
        (launched.get(tag(a)) ?? '').localeCompare(launched.get(tag(b)) ?? '')
      );
    if (built.length > 0) return tag(built[0]);
    const standingOn = new Set(
      ours.map(image => image.Labels?.[LABELS.environmentImage]).filter(Boolean)
    );
    return free
      .filter(
        image =>
          image.Labels?.[LABELS.role] === 'environment' &&
          !standingOn.has(tag(image))
      )
      .map(tag)[0];
  }
}
