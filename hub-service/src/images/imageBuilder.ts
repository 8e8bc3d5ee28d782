import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { Channel } from '../builds/channel.js';
import { EnvhubError } from '../errors.js';
import { log } from '../log.js';
import { checkout } from '../repos/git.js';

/** What to build: one repository at one resolved commit, into one image name. */
export interface BuildRequest {
  repo: string;
  ref: string;
  commit: string;
  image: string;
}

/** Bumped whenever the generated Dockerfile changes meaning, so old images are not reused. */
export const BUILDER_VERSION = '0.1.0';

/** A build's log lines, then its end: `error` is set when it failed. */
export type BuildLog = { line: string } | { done: true; error?: string };

/**
 * Builds launchable images with the Docker engine and joins concurrent requests for the same
 * image into one build. Until the repo2docker-compatible builder lands, an image is the base
 * image with the repository's content in /home/jovyan.
 */
export class ImageBuilder {
  private readonly running = new Map<string, Channel<BuildLog>>();

  constructor(
    private readonly docker: Docker,
    private readonly baseImage: string
  ) {}

  async exists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  /** The log of the build of `image`, starting that build unless one is already running. */
  build(request: BuildRequest): Channel<BuildLog> {
    let channel = this.running.get(request.image);
    if (!channel) {
      const started = new Channel<BuildLog>();
      channel = started;
      this.running.set(request.image, started);
      this.run(request, started)
        .then(() => started.push({ done: true }))
        .catch((err: Error) => {
          log.error('build.failed', { image: request.image, error: err.message });
          started.push({ done: true, error: err.message });
        })
        .finally(() => {
          started.end();
          this.running.delete(request.image);
        });
    }
    return channel;
  }

  private async run(request: BuildRequest, channel: Channel<BuildLog>): Promise<void> {
    log.info('build.start', { image: request.image, repo: request.repo, commit: request.commit });
    const dir = await mkdtemp(join(tmpdir(), 'envhub-build-'));
    try {
      channel.push({ line: `Fetching ${request.repo} at ${request.commit}\n` });
      await checkout(request.repo, request.commit, join(dir, 'repo'));
      await writeFile(
        join(dir, 'Dockerfile'),
        [`FROM ${this.baseImage}`, 'COPY --chown=1000:100 repo/ /home/jovyan/', ''].join('\n')
      );
      const labels = {
        'org.envhub.repo': request.repo,
        'org.envhub.ref': request.ref,
        'org.envhub.commit': request.commit,
        'org.envhub.builder-version': BUILDER_VERSION
      };
      const stream = await this.docker.buildImage(tar.pack(dir) as unknown as NodeJS.ReadableStream, { t: request.image, labels, rm: true, forcerm: true });
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null, output: Array<{ error?: string }>) => {
            const failure = err?.message ?? output.find(o => o.error)?.error;
            if (failure) reject(new EnvhubError(500, 'build_failed', `building ${request.image} failed: ${failure}`));
            else resolve();
          },
          (event: { stream?: string }) => {
            if (event.stream) channel.push({ line: event.stream });
          }
        );
      });
      log.info('build.done', { image: request.image });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
