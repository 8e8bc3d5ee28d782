import Docker from 'dockerode';
import { prepareBuildNetwork } from '../../src/builds/buildNetwork.js';
import type { BuildLog } from '../../src/images/imageBuilder.js';
import { basePython, ImageBuilder } from '../../src/images/imageBuilder.js';
import { ImageCache } from '../../src/images/imageCache.js';
import { imageName } from '../../src/naming.js';
import type { Store } from '../../src/store/store.js';
import { demultiplex } from './docker.js';
import type { GitServer } from './gitServer.js';
import { namePrefix } from './hubSession.js';

/** The base image builds start from, as `make build` tags it. */
export const baseImage = process.env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest';

/** Where a test's builder differs from the usual one. */
export interface TestBuilderOptions {
  /** Fail, instead of warn, when a repository asks for a runtime the hub lacks (default false). */
  strictRuntime?: boolean;
  /** The build network (default: envhub's isolated one, prepared for `namePrefix`). */
  network?: Promise<string>;
  /** For every build step (default 2 GiB and 1 CPU). */
  limits?: { memory: number; cpus: number };
  /** Of its images and build network (default: the test hub's). */
  namePrefix?: string;
}

/** A builder on the base image, in envhub's isolated build network, as the service makes one. */
export async function testBuilder(
  docker: Docker,
  store: Store,
  options: TestBuilderOptions = {}
): Promise<ImageBuilder> {
  const prefix = options.namePrefix ?? namePrefix;
  return new ImageBuilder(
    docker,
    store,
    new ImageCache(docker, store, {
      namePrefix: prefix,
      budgetBytes: null,
      baseImage
    }),
    {
      baseImage,
      namePrefix: prefix,
      strictRuntime: options.strictRuntime ?? false,
      availablePython: await basePython(docker, baseImage),
      network:
        options.network ??
        prepareBuildNetwork(docker, { namePrefix: prefix, mirrors: [] }),
      limits: options.limits ?? { memory: 2 * 1024 ** 3, cpus: 1 }
    }
  );
}

/** Builds `repo` of `git` at `commit`; returns the image, the log and the error if the build failed. */
export async function buildRepo(
  builder: ImageBuilder,
  git: GitServer,
  repo: string,
  commit: string,
  prefix = namePrefix
): Promise<{ image: string; log: string; error?: string }> {
  const image = imageName(`${prefix}-`, git.url(repo), commit);
  let log = '';
  let error: string | undefined;
  for await (const entry of builder
    .build({
      repo: git.url(repo),
      ref: 'main',
      commit,
      image,
      requestedBy: 'tests'
    })
    .subscribe()) {
    if ('line' in entry) log += entry.line;
    else error = (entry as Extract<BuildLog, { done: true }>).error;
  }
  return { image, log, error };
}

/** Runs `command` in `image` as jovyan (uid 1000); returns its output (stdout and stderr). */
export async function runIn(
  image: string,
  command: string[],
  docker = new Docker()
): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: command.slice(0, 1),
    Cmd: command.slice(1),
    User: '1000'
  });
  try {
    await container.start();
    await container.wait();
    return demultiplex(
      (await container.logs({ stdout: true, stderr: true })) as Buffer
    );
  } finally {
    await container.remove({ force: true });
  }
}

/** Whether the Docker engine has `image` (a name or an id). */
export function imageExists(
  image: string,
  docker = new Docker()
): Promise<boolean> {
  return docker
    .getImage(image)
    .inspect()
    .then(
      () => true,
      () => false
    );
}
