import type Docker from 'dockerode';
import { log } from '../log.js';
import { LABELS } from './imageCache.js';

/**
 * Removes what builds interrupted by a restart left behind: step containers and untagged
 * intermediate images, which carry `build-of=<namePrefix>` (finished images clear it). Run at
 * service start, before any build: a running build's steps carry the same label.
 */
export async function removeBuildLeftovers(
  docker: Docker,
  namePrefix: string
): Promise<{ containers: number; images: number; bytes: number }> {
  const label = `${LABELS.buildOf}=${namePrefix}`;
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [label] }
  });
  let removed = 0;
  for (const container of containers) {
    try {
      await docker.getContainer(container.Id).remove({ force: true });
      removed++;
    } catch (err) {
      log.warn('builds.leftover_container_not_removed', {
        container: container.Id,
        error: (err as Error).message
      });
    }
  }
  // Removing an untagged image that no other image stands on also removes its untagged parents.
  const pruned = (await docker.pruneImages({
    filters: { dangling: ['true'], label: [label] }
  })) as { ImagesDeleted?: unknown[] | null; SpaceReclaimed?: number };
  const result = {
    containers: removed,
    images: pruned.ImagesDeleted?.length ?? 0,
    bytes: pruned.SpaceReclaimed ?? 0
  };
  log.info('builds.leftovers_removed', result);
  return result;
}
