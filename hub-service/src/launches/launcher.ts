import { randomBytes } from 'node:crypto';
import { gitProviderPath, type EnvironmentSpec } from '@envhub/schema';
import { Channel } from '../builds/channel.js';
import type { BuildEvent } from '../builds/events.js';
import { asEnvhubError, EnvhubError } from '../errors.js';
import type { HubClient, HubServer } from '../hub/hubClient.js';
import type { ImageBuilder } from '../images/imageBuilder.js';
import { log } from '../log.js';
import { homeVolumeName, imageName } from '../naming.js';
import { resolveRef } from '../repos/git.js';
import { checkRepoUrl } from '../repos/repoPolicy.js';
import type { ServerRecord, Store } from '../store/store.js';

/** A validated launch: whose server, which environment (with `name` and `ref` filled in). */
export interface LaunchRequest {
  owner: string;
  spec: Required<Pick<EnvironmentSpec, 'repo' | 'ref' | 'name'>> & EnvironmentSpec;
  /** Where browsers reach this hub, e.g. `http://127.0.0.1:8000`; makes the `ready` URL absolute. */
  publicOrigin: string;
}

/** What the Hub's apply_user_options hook applies to the spawner: nothing else is taken from users. */
export interface SpawnConfig {
  image: string;
  volumes: Record<string, { bind: string; mode: 'rw' | 'ro' }>;
  environment: Record<string, string>;
}

export interface LauncherSettings {
  namePrefix: string;
  baseImage: string;
  allowedRepoHosts: string[];
  /** The service's public path, e.g. `/services/envhub/`. */
  prefix: string;
}

const HOME = '/home/jovyan';

/**
 * Launches environments into persistent named servers: same name and spec reconnects (starting
 * the server if stopped), a new name creates, concurrent launches of one server join.
 */
export class Launcher {
  private readonly inflight = new Map<string, { repo: string; ref: string; events: Channel<BuildEvent> }>();

  constructor(
    private readonly hub: HubClient,
    private readonly store: Store,
    private readonly builder: ImageBuilder,
    private readonly settings: LauncherSettings
  ) {}

  /**
   * The event stream of launching `request`, joining a launch of the same server already running.
   * A request that policy refuses throws before any stream exists.
   */
  async launch(request: LaunchRequest): Promise<Channel<BuildEvent>> {
    await checkRepoUrl(request.spec.repo, this.settings.allowedRepoHosts);
    const key = `${request.owner}/${request.spec.name}`;
    const running = this.inflight.get(key);
    if (running && running.repo === request.spec.repo && running.ref === request.spec.ref) return running.events;
    const events = new Channel<BuildEvent>();
    if (running) {
      events.push({ phase: 'failed', message: `server "${request.spec.name}" is being launched with another environment right now; try again when it is up, or choose another name` });
      events.end();
      return events;
    }
    this.inflight.set(key, { repo: request.spec.repo, ref: request.spec.ref, events });
    const launchId = randomBytes(4).toString('hex');
    log.info('launch.start', { launchId, owner: request.owner, server: request.spec.name, repo: request.spec.repo, ref: request.spec.ref });
    this.run(request, events)
      .catch((err: unknown) => {
        const error = asEnvhubError(err);
        if (error.status >= 500) log.error('launch.failed', { launchId, error: (err as Error).message });
        else log.info('launch.refused', { launchId, code: error.code });
        events.push({ phase: 'failed', message: error.message });
      })
      .finally(() => {
        events.end();
        this.inflight.delete(key);
        log.info('launch.end', { launchId });
      });
    return events;
  }

  private async run(request: LaunchRequest, events: Channel<BuildEvent>): Promise<void> {
    const { owner, spec } = request;
    events.push({ phase: 'waiting', message: `Launching ${spec.repo} (${spec.ref}) as server "${spec.name}"\n` });
    const existing = this.store.getServer(owner, spec.name);
    const hubServer = await this.hub.getServer(owner, spec.name);
    let record: ServerRecord;
    if (existing) {
      const differs = (['repo', 'ref'] as const).filter(field => existing[field] !== spec[field]);
      if (differs.length > 0) {
        throw new EnvhubError(
          409,
          'spec_differs',
          `server "${spec.name}" already runs another environment (${differs
            .map(f => `${f}: ${existing[f]} → ${spec[f]}`)
            .join('; ')}); launch under a new name instead`
        );
      }
      record = existing;
      if (hubServer?.ready) return this.ready(request, record, hubServer, events);
      events.push({ phase: 'fetching', message: `Reconnecting to server "${spec.name}" (${record.commit})\n` });
    } else {
      if (hubServer) {
        throw new EnvhubError(409, 'name_taken', `you already have a server named "${spec.name}" that envhub did not launch; choose another name`);
      }
      events.push({ phase: 'fetching', message: `Resolving ${spec.ref} in ${spec.repo}\n` });
      const commit = await resolveRef(spec.repo, spec.ref);
      const now = new Date().toISOString();
      record = {
        owner,
        name: spec.name,
        repo: spec.repo,
        ref: spec.ref,
        commit,
        image: imageName(`${this.settings.namePrefix}-`, spec.repo, commit),
        ticket: randomBytes(24).toString('base64url'),
        createdAt: now,
        updatedAt: now
      };
    }
    await this.ensureImage(record, events);
    this.store.saveServer(record);
    await this.start(request, record, hubServer, events);
  }

  private async ensureImage(record: ServerRecord, events: Channel<BuildEvent>): Promise<void> {
    if (!(await this.builder.exists(record.image))) {
      for await (const entry of this.builder.build({ ...record, requestedBy: record.owner }).subscribe()) {
        if ('line' in entry) events.push({ phase: 'building', message: entry.line });
        else if (entry.error) throw new EnvhubError(500, 'build_failed', entry.error);
      }
    }
    events.push({ phase: 'built', imageName: record.image, message: `Found built image ${record.image}, launching...\n` });
  }

  private async start(request: LaunchRequest, record: ServerRecord, hubServer: HubServer | null, events: Channel<BuildEvent>): Promise<void> {
    const { owner, name } = record;
    if (hubServer?.pending === 'stop') await this.waitUntilStopped(owner, name);
    events.push({ phase: 'launching', message: `Starting server "${name}"\n` });
    if (hubServer?.pending !== 'spawn') await this.hub.startServer(owner, name, { ticket: record.ticket });
    for await (const progress of this.hub.progress(owner, name)) {
      if (progress.failed) throw new EnvhubError(500, 'spawn_failed', `server "${name}" failed to start: ${progress.message ?? 'no reason given'}`);
      if (progress.ready) break;
      if (progress.message) events.push({ phase: 'launching', message: progress.message + '\n' });
    }
    const started = await this.hub.getServer(owner, name);
    if (!started?.ready) throw new EnvhubError(500, 'spawn_failed', `server "${name}" did not become ready; the Hub log has the reason`);
    return this.ready(request, record, started, events);
  }

  private async waitUntilStopped(owner: string, name: string): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const server = await this.hub.getServer(owner, name);
      if (!server?.pending) return;
      await new Promise(resolve => setTimeout(resolve, 500));
    }
    throw new EnvhubError(503, 'stop_pending', `server "${name}" is still stopping; try again in a minute`);
  }

  private ready(request: LaunchRequest, record: ServerRecord, server: HubServer, events: Channel<BuildEvent>): void {
    this.store.recordLaunch(record.image);
    const url = new URL(server.url, request.publicOrigin);
    if (request.spec.urlpath) url.pathname += request.spec.urlpath.replace(/^\//, '');
    events.push({
      phase: 'ready',
      message: `server running at ${url}\n`,
      url: url.toString(),
      image: record.image,
      repo_url: record.repo,
      binder_ref_url: record.repo,
      binder_launch_host: new URL(this.settings.prefix, request.publicOrigin).toString(),
      binder_request: `v2/${gitProviderPath(record.repo, record.ref)}`,
      binder_persistent_request: `v2/${gitProviderPath(record.repo, record.commit)}`
    });
  }

  /**
   * The spawn configuration for a server the Hub is about to start. A launch ticket binds it to
   * the environment envhub recorded; without one the user gets the plain base image.
   */
  spawnConfig(user: string, server: string, ticket: string | undefined): SpawnConfig {
    const home = { [homeVolumeName(this.settings.namePrefix, user, server)]: { bind: HOME, mode: 'rw' as const } };
    if (ticket === undefined) return { image: this.settings.baseImage, volumes: home, environment: {} };
    const record = this.store.serverByTicket(ticket);
    if (!record || record.owner !== user || record.name !== server) {
      throw new EnvhubError(403, 'bad_ticket', `this launch ticket is not valid for ${user}/${server}; launch the server through envhub`);
    }
    return {
      image: record.image,
      volumes: home,
      environment: {
        ENVHUB_REPO_URL: record.repo,
        ENVHUB_REF: record.ref,
        ENVHUB_COMMIT: record.commit,
        BINDER_REPO_URL: record.repo,
        BINDER_REQUEST: `v2/${gitProviderPath(record.repo, record.ref)}`,
        BINDER_PERSISTENT_REQUEST: `v2/${gitProviderPath(record.repo, record.commit)}`
      }
    };
  }
}
