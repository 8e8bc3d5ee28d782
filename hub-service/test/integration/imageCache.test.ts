import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import tar from 'tar-fs';
import { ImageCache, LABELS } from '../../src/images/imageCache.js';
import { parseSize } from '../../src/units.js';
import { Store } from '../../src/store/store.js';
import { namePrefix } from '../support/hubSession.js';

// Eviction against the real Docker engine, with small images made here.
jest.setTimeout(300_000);

const docker = new Docker();
const store = new Store(':memory:');
const MB = 1024 * 1024;
// A prefix of its own, so that images other tests left behind are not candidates.
const prefix = `${namePrefix}-evict`;
const tag = (name: string) => `${prefix}-${name}:1`;

async function makeImage(
  name: string,
  labels: Record<string, string>
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'envhub-evict-'));
  try {
    // 5 MB of random bytes: a layer no other image shares.
    await writeFile(
      join(dir, 'Dockerfile'),
      'FROM envhub-rootfs:bookworm\nRUN head -c 5242880 /dev/urandom > /blob\n'
    );
    const stream = await docker.buildImage(
      tar.pack(dir) as unknown as NodeJS.ReadableStream,
      { t: tag(name), labels, rm: true, nocache: true }
    );
    await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) =>
        err ? reject(err) : resolve(null)
      )
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const exists = (image: string) =>
  docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false
    );
const layersSize = async () =>
  ((await docker.df()) as { LayersSize: number }).LayersSize;

test('sizes are read as an admin writes them', () => {
  expect(parseSize('20G')).toBe(20 * 1024 ** 3);
  expect(parseSize('512M')).toBe(512 * MB);
  expect(parseSize('1000')).toBe(1000);
  expect(() => parseSize('lots')).toThrow('write e.g. 20G');
});

test('evicts least recently launched first, never an image a container uses', async () => {
  const built = {
    [LABELS.builderVersion]: 'test',
    [LABELS.role]: 'launchable'
  };
  for (const name of ['in-use', 'older', 'newer']) await makeImage(name, built);
  store.recordLaunch(tag('in-use'));
  await new Promise(resolve => setTimeout(resolve, 5));
  store.recordLaunch(tag('older'));
  await new Promise(resolve => setTimeout(resolve, 5));
  store.recordLaunch(tag('newer'));
  const container = await docker.createContainer({
    Image: tag('in-use'),
    Cmd: ['true']
  });
  try {
    const cache = new ImageCache(docker, store, {
      namePrefix: prefix,
      budgetBytes: (await layersSize()) - 3 * MB,
      baseImage: 'envhub-base:latest'
    });
    expect(await cache.evict()).toEqual([tag('older')]);
    expect(await exists(tag('in-use'))).toBe(true);
    expect(await exists(tag('older'))).toBe(false);
    expect(await exists(tag('newer'))).toBe(true);
  } finally {
    await container.remove({ force: true });
    for (const name of ['in-use', 'older', 'newer'])
      await docker
        .getImage(tag(name))
        .remove({ force: true })
        .catch(() => undefined);
  }
});

test('without a budget nothing is evicted', async () => {
  const cache = new ImageCache(docker, store, {
    namePrefix,
    budgetBytes: null,
    baseImage: 'envhub-base:latest'
  });
  expect(await cache.evict()).toEqual([]);
});
