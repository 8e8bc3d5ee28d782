import { metrics, outcome } from '../usage/metrics.js';
import { readmeTitle } from '../catalog/catalog.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { Channel } from '../builds/channel.js';
import { EnvhubError } from '../errors.js';
import { log } from '../log.js';
import { checkout } from '../repos/git.js';
import type { RepoAccess } from '../repos/repoPolicy.js';
import type { Store } from '../store/store.js';
import { describeFailure, plainText } from './buildFailure.js';
import { labelInstruction, labelStages } from './buildPacks/dockerfile.js';
import {
  planBuild,
  type BuildPlan,
  type BuildPlanOptions
} from './buildPlan.js';
import { LABELS, type ImageCache } from './imageCache.js';
import { followed } from './progress.js';

/** What to build: one repository at one resolved commit, into one image name, for one user. */
export interface BuildRequest {
  repo: string;
  ref: string;
  commit: string;
  image: string;
  requestedBy: string;
  /** How to fetch the repository (the requester's credential for a private one). */
  access?: RepoAccess;
}

/**
 * Labels of a finished image: every build step carries `build-of=<prefix>` (see labelled()), and the
 * finished image clears it, so that only an interrupted build's leftovers match it — never a
 * built image, nor the servers running one.
 */
const FINISHED = { [LABELS.buildOf]: '' };

const CPU_PERIOD = 100_000;

/** Bumped whenever generated Dockerfiles change meaning, so old environments are not reused. */
export const BUILDER_VERSION = '1';

/** A build's log lines, then its end: `error` is set when it failed. */
export type BuildLog =
  { line: string } | { done: true; buildId: string; error?: string };

export type BuilderSettings = Omit<BuildPlanOptions, 'baseImage'> & {
  baseImage: string;
  namePrefix: string;
  /** The Docker network builds run in (see builds/buildNetwork.ts); rejects when builds must be refused. */
  network: Promise<string>;
  /** For every build step: memory in bytes (swap none) and CPUs. */
  limits: { memory: number; cpus: number };
};

/**
 * Builds launchable images from repositories with the Docker engine, repo2docker-style, in two
 * stages: an environment image keyed by the environment fingerprint (environment files, base
 * image, builder version), reused by every commit that leaves those files alone, and the
 * repository's content on top. Concurrent requests for one image, or one environment, join.
 */
export class ImageBuilder {
  private readonly running = new Map<string, Channel<BuildLog>>();
  private readonly environments = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: Docker,
    private readonly store: Store,
    private readonly cache: ImageCache,
    private readonly settings: BuilderSettings
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

  /** The log of the build of `request.image`, starting that build unless one is already running. */
  build(request: BuildRequest): Channel<BuildLog> {
    const running = this.running.get(request.image);
    if (running) return running;
    const channel = new Channel<BuildLog>();
    this.running.set(request.image, channel);
    const buildId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const lines: string[] = [];
    const emit = (line: string) => {
      lines.push(line);
      channel.push({ line });
    };
    this.store.startBuild({
      id: buildId,
      image: request.image,
      repo: request.repo,
      ref: request.ref,
      commit: request.commit,
      requestedBy: request.requestedBy,
      startedAt: new Date().toISOString()
    });
    log.info('build.start', {
      buildId,
      image: request.image,
      repo: request.repo,
      commit: request.commit
    });
    const attempt: { plan?: BuildPlan } = {};
    const started = Date.now();
    const measured = (ok: boolean) => {
      const status = outcome(ok);
      metrics.buildsInProgress.dec();
      metrics.buildTime.observe({ status }, (Date.now() - started) / 1000);
      metrics.builds.inc({ status, provider: 'git', repo: request.repo });
    };
    metrics.buildsInProgress.inc();
    this.run(request, emit, attempt)
      .then(async () => {
        measured(true);
        this.store.finishBuild(buildId, 'built', lines.join(''));
        // Built for a launch about to happen: the newest image, last in line for eviction.
        this.store.recordLaunch(request.image);
        log.info('build.done', { buildId, image: request.image });
        channel.push({ done: true, buildId });
        await this.cache
          .evict()
          .catch(err =>
            log.warn('images.evict_failed', { error: (err as Error).message })
          );
      })
      .catch((err: Error) => {
        measured(false);
        const message =
          err instanceof EnvhubError
            ? plainText(err.message)
            : describeFailure(attempt.plan, lines.join(''), err.message);
        emit(`[envhub] build failed: ${err.message}\n`);
        this.store.finishBuild(buildId, 'failed', lines.join(''));
        log.error('build.failed', {
          buildId,
          image: request.image,
          cause: message,
          error: err.message
        });
        channel.push({ done: true, buildId, error: message });
      })
      .finally(() => {
        channel.end();
        this.running.delete(request.image);
      });
    return channel;
  }

  private async run(
    request: BuildRequest,
    emit: (line: string) => void,
    attempt: { plan?: BuildPlan }
  ): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'envhub-build-'));
    try {
      emit(`[envhub] fetching ${request.repo} at ${request.commit}\n`);
      const repoDir = join(dir, 'repo');
      await checkout(request.repo, request.commit, repoDir, request.access);
      // The catalog describes repositories by their README's title.
      const title = await readmeTitle(repoDir);
      if (title) this.store.setRepoTitle(request.repo, title);
      const plan = await planBuild(repoDir, this.settings);
      attempt.plan = plan;
      emit(
        `[envhub] build pack: ${plan.buildPack}${plan.configDir ? ` (configuration in ${plan.configDir}/)` : ''}\n`
      );
      plan.warnings.forEach(warning => emit(`[envhub] warning: ${warning}\n`));
      const labels: Record<string, string> = {
        [LABELS.repo]: request.repo,
        [LABELS.ref]: request.ref,
        [LABELS.commit]: request.commit,
        [LABELS.builderVersion]: BUILDER_VERSION,
        // Set explicitly: images inherit the labels of what they are built FROM.
        [LABELS.role]: 'launchable',
        ...FINISHED
      };
      if (plan.dockerfile)
        return await this.buildDockerfileRepo(
          plan,
          repoDir,
          request.image,
          labels,
          emit
        );

      const { image: environmentImage, fingerprint } = await this.environment(
        plan,
        repoDir,
        emit
      );
      const contentDockerfile = plan.contentDockerfile(environmentImage);
      if (contentDockerfile === null)
        throw new Error('the build plan has no content stage');
      await writeFile(
        join(dir, 'Dockerfile'),
        this.labelled(contentDockerfile, {
          ...labels,
          [LABELS.fingerprint]: fingerprint,
          [LABELS.environmentImage]: environmentImage
        })
      );
      emit(`[envhub] adding the repository's content to ${environmentImage}\n`);
      await this.dockerBuild(dir, { t: request.image }, emit);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async buildDockerfileRepo(
    plan: BuildPlan,
    repoDir: string,
    image: string,
    labels: Record<string, string>,
    emit: (line: string) => void
  ): Promise<void> {
    const dockerfile = plan.dockerfile!;
    for (const base of dockerfile.fromImages) {
      if (!(await this.exists(base))) {
        throw new EnvhubError(
          422,
          'base_image_unavailable',
          `${dockerfile.path}: the base image "${base}" is not on this hub, and builds pull no image from a registry; build FROM an image the hub has (e.g. ${this.settings.baseImage}), or ask an admin to provide "${base}" on the hub's Docker engine (\`docker load -i image.tar\`, or \`docker pull\` where a registry is reachable), then launch again`
        );
      }
    }
    // A labelled copy beside the repository's Dockerfile (same folder, same context).
    const copy = posix.join(
      posix.dirname(dockerfile.path),
      '.envhub.Dockerfile'
    );
    await writeFile(
      join(repoDir, copy),
      this.labelled(await readFile(join(repoDir, dockerfile.path), 'utf8'))
    );
    await this.dockerBuild(
      repoDir,
      {
        t: image,
        dockerfile: copy,
        buildargs: dockerfile.buildArgs,
        labels,
        pull: undefined
      },
      emit
    );
  }

  /** The environment image for `plan`: reused when its fingerprint exists, else built once. */
  private async environment(
    plan: BuildPlan,
    repoDir: string,
    emit: (line: string) => void
  ): Promise<{ image: string; fingerprint: string }> {
    const baseId = (
      await this.docker.getImage(this.settings.baseImage).inspect()
    ).Id;
    const files = await Promise.all(
      plan.environmentFiles.map(async path => ({
        path,
        content: await readFile(join(repoDir, path))
      }))
    );
    const generated = Object.entries(plan.generatedFiles ?? {}).sort(
      ([a], [b]) => a.localeCompare(b)
    );
    const hash = createHash('sha256').update(
      JSON.stringify({
        builder: BUILDER_VERSION,
        base: baseId,
        dockerfile: plan.environmentDockerfile
      })
    );
    for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path)))
      hash.update(`\0${file.path}\0`).update(file.content);
    for (const [path, content] of generated)
      hash.update(`\0generated:${path}\0`).update(content);
    const fingerprint = hash.digest('hex');
    const image = `${this.settings.namePrefix}-environment:${fingerprint.slice(0, 24)}`;
    if (await this.exists(image)) {
      emit(
        `[envhub] reusing environment ${image}: the environment files are unchanged, nothing to reinstall\n`
      );
      return { image, fingerprint };
    }
    let pending = this.environments.get(image);
    if (pending) {
      emit(
        `[envhub] waiting for environment ${image}, which another build is making\n`
      );
    } else {
      pending = this.buildEnvironment(
        plan,
        files,
        generated,
        image,
        fingerprint,
        emit
      ).finally(() => this.environments.delete(image));
      this.environments.set(image, pending);
    }
    await pending;
    return { image, fingerprint };
  }

  private async buildEnvironment(
    plan: BuildPlan,
    files: Array<{ path: string; content: Buffer }>,
    generated: Array<[string, string]>,
    image: string,
    fingerprint: string,
    emit: (line: string) => void
  ): Promise<void> {
    emit(
      `[envhub] building environment ${image} from ${files.map(f => f.path).join(', ') || 'the base image'}\n`
    );
    const dir = await mkdtemp(join(tmpdir(), 'envhub-env-'));
    try {
      for (const { path, content } of [
        ...files,
        ...generated.map(([path, content]) => ({
          path,
          content: Buffer.from(content)
        }))
      ]) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      await writeFile(
        join(dir, 'Dockerfile'),
        this.labelled(
          plan.environmentDockerfile ?? `FROM ${this.settings.baseImage}\n`,
          {
            [LABELS.role]: 'environment',
            [LABELS.fingerprint]: fingerprint,
            [LABELS.builderVersion]: BUILDER_VERSION,
            ...FINISHED
          }
        )
      );
      await this.dockerBuild(dir, { t: image }, emit);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `dockerfile` with the build-of label in every stage, so an interrupted build's leftovers can be
   * found, and the finished image's `labels`, when given, in one last instruction (one build step).
   */
  private labelled(
    dockerfile: string,
    labels?: Record<string, string>
  ): string {
    const staged = labelStages(
      dockerfile,
      LABELS.buildOf,
      this.settings.namePrefix
    );
    return labels
      ? `${staged.trimEnd()}\n${labelInstruction(labels)}\n`
      : staged;
  }

  /**
   * Runs one `docker build` in the build network, with the build limits (swap = memory) and
   * intermediate containers removed, streaming its output.
   */
  private async dockerBuild(
    context: string,
    options: Record<string, unknown>,
    emit: (line: string) => void
  ): Promise<void> {
    const { memory, cpus } = this.settings.limits;
    // The network first: a refusal must come before the context is packed, whose stream would
    // otherwise go on reading a folder the failed build removes.
    const network = await this.settings.network;
    const stream = await this.docker.buildImage(
      tar.pack(context) as unknown as NodeJS.ReadableStream,
      {
        ...options,
        networkmode: network,
        memory,
        memswap: memory,
        cpuperiod: CPU_PERIOD,
        cpuquota: Math.round(cpus * CPU_PERIOD),
        rm: true,
        forcerm: true
      }
    );
    await followed(this.docker, stream, event => {
      if (event.stream) emit(event.stream);
    });
  }
}

/** The Python version (`x.y`) the base image provides, as its label says. */
export async function basePython(
  docker: Docker,
  baseImage: string
): Promise<string> {
  const labels =
    (await docker.getImage(baseImage).inspect()).Config.Labels ?? {};
  const version = labels['org.envhub.python-version'];
  if (!version)
    throw new Error(
      `the base image ${baseImage} has no org.envhub.python-version label; rebuild it with python -m envhub build-base-image`
    );
  return version.split('.').slice(0, 2).join('.');
}
