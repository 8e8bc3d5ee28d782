import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  gitProviderPath,
  materialPath,
  specDiff,
  validateSpec,
  type SpecDifference,
  type ValidEnvironmentSpec
} from '@envhub/schema';
import { Channel } from '../builds/channel.js';
import { courseRoot } from '../classes/classes.js';
import type { BuildEvent } from '../builds/events.js';
import { asEnvhubError, EnvhubError } from '../errors.js';
import {
  spawnFailureReason,
  waitUntilStopped,
  type HubClient,
  type HubServer
} from '../hub/hubClient.js';
import type { ImageBuilder } from '../images/imageBuilder.js';
import { log } from '../log.js';
import type { Registry } from '../swarm/registry.js';
import { homeVolumeName, imageName } from '../naming.js';
import { applyLaunchPolicy } from '../policy/launchPolicy.js';
import {
  effectiveResources,
  type Resources,
  type SiteConfig
} from '../policy/siteConfig.js';
import { checkRef, checkRepo, resolveRef } from '../repos/git.js';
import { checkRepoUrl, type RepoAccess } from '../repos/repoPolicy.js';
import type { Credentials } from '../credentials/credentials.js';
import { credentialVariables } from '../credentials/credentialVariables.js';
import { syncMaterials, type ServerAccess } from './materialsSync.js';
import { checkCollaborators, syncCollaborators } from './shares.js';
import type { ServerRecord, Store } from '../store/store.js';
import { parseSize } from '../units.js';
import type { DockerMount, Volumes } from '../volumes/volumes.js';
import { metrics, outcome } from '../usage/metrics.js';
import type { Quotas } from '../usage/quotas.js';

/**
 * Launch metrics from a launch's events: its time to `ready` or `failed` (BinderHub's histogram and
 * count, by status), and the time spent in each phase before the next one began.
 */
function measureLaunch(
  request: LaunchRequest,
  events: Channel<BuildEvent>
): void {
  const started = Date.now();
  metrics.launchesInProgress.inc();
  void (async () => {
    let phase = { name: '', since: started };
    let ok = false;
    for await (const event of events.subscribe()) {
      if (event.phase !== phase.name) {
        if (phase.name)
          metrics.launchPhaseTime.observe(
            { phase: phase.name },
            (Date.now() - phase.since) / 1000
          );
        phase = { name: event.phase, since: Date.now() };
      }
      if (event.phase === 'ready') ok = true;
    }
    const status = outcome(ok);
    metrics.launchesInProgress.dec();
    metrics.launchTime.observe(
      { status, retries: ok ? '0' : '-1' },
      (Date.now() - started) / 1000
    );
    metrics.launches.inc({ status, provider: 'git', repo: request.spec.repo });
  })();
}

/** A launch of a validated spec (its `name` filled in) into one of `owner`'s servers. */
export interface LaunchRequest {
  owner: string;
  spec: ValidEnvironmentSpec & { name: string };
  /** Where browsers reach this hub, e.g. `http://127.0.0.1:8000`; makes the `ready` URL absolute. */
  publicOrigin: string;
  /** Apply a changed spec to the existing server of that name (restarting it). */
  update?: boolean;
  /** Resolve the ref again, rebuild if it moved, and restart the server. */
  relaunch?: boolean;
  /** Restart a running server with the same image (to apply changed mounts). */
  restart?: boolean;
}

/** What the Hub's apply_user_options hook applies to the spawner: nothing else is taken from users. */
export interface SpawnConfig {
  image: string;
  /** The server's home volume. */
  volumes: Record<string, { bind: string; mode: 'rw' | 'ro' }>;
  /** Its shared volumes. */
  mounts: DockerMount[];
  environment: Record<string, string>;
  /** Bytes and cores, from the spec within the site's caps. */
  mem_limit: number;
  cpu_limit: number;
  /** Memory plus swap, in bytes: equal to mem_limit (no swap); null where the site allows swap. */
  memswap_limit: number | null;
  display_name?: string;
  /** The Docker network to run in, where it is not Docker's bridge (public sessions without egress). */
  network?: string;
  /** On a swarm: the node holding `mounts` (see swarm/swarm.ts). */
  volume_node?: string;
}

/** The code of envhub's refusal to spawn a server it did not launch; the Hub then drops the entry. */
export const NOT_LAUNCHED = 'not_launched';

export interface LauncherSettings {
  namePrefix: string;
  /** On a swarm: where built images are published for every node. */
  registry?: Registry;
  /** How to reach users' servers (to pull course materials inside them). */
  servers: ServerAccess;
  allowedRepoHosts: string[];
  /** The service's public path, e.g. `/services/envhub/`. */
  prefix: string;
  site: SiteConfig;
  /**
   * Users' credentials, for private repositories and for servers launched with `credentials: "env"`
   * (none: every repository is read anonymously, and such servers get the file only).
   */
  credentials?: Pick<Credentials, 'find' | 'forServer'>;
  /** The role of a user in a class, or null when not a member (servers launched for a class). */
  classRole?: (
    user: string,
    classId: string
  ) => Promise<'instructor' | 'student' | null>;
  /** The site's monthly quotas (none: nothing is refused for usage). */
  quotas?: Pick<Quotas, 'configured' | 'check'>;
}

const HOME = '/home/jovyan';

/**
 * Fields that say how to open or share a server, not what it runs: a change to them still
 * connects, and is applied then (collaborators are synced, the display name updated).
 */
const NOT_ENVIRONMENT = new Set([
  'urlpath',
  'public',
  'displayName',
  'materials',
  'collaborators.users',
  'collaborators.groups'
]);

/** The differences between a server's spec and a requested one that matter for reconnecting. */
export function environmentChanges(
  current: ValidEnvironmentSpec,
  requested: ValidEnvironmentSpec
): SpecDifference[] {
  return specDiff(current, requested).filter(
    d => !NOT_ENVIRONMENT.has(d.field)
  );
}

const describeChanges = (changes: SpecDifference[]) =>
  changes
    .map(
      c =>
        `${c.field}: ${JSON.stringify(c.from ?? null)} → ${JSON.stringify(c.to ?? null)}`
    )
    .join('; ');

/**
 * `record`'s spec with `field` replaced by `given`, checked against the schema; 400 `invalid_spec`
 * saying what is wrong, or what to send when nothing was.
 */
function specWith(
  record: ServerRecord,
  field: 'collaborators' | 'mounts',
  given: unknown,
  whatToSend: string
): ValidEnvironmentSpec {
  if (given === undefined)
    throw new EnvhubError(400, 'invalid_spec', whatToSend);
  const validation = validateSpec({ ...record.spec, [field]: given });
  if (!validation.ok)
    throw new EnvhubError(
      400,
      'invalid_spec',
      validation.errors.map(e => e.message).join('; ')
    );
  return validation.spec;
}

/**
 * Launches environments into persistent named servers: same name and spec reconnects (starting
 * the server if stopped), a changed spec is refused unless the request asks to update, a new
 * name creates. Concurrent launches of one server join.
 */
export class Launcher {
  private readonly inflight = new Map<
    string,
    { spec: ValidEnvironmentSpec; events: Channel<BuildEvent> }
  >();
  /** Why new launches are refused once the service is stopping; null while it runs. */
  private stopping: string | null = null;

  constructor(
    private readonly hub: HubClient,
    private readonly store: Store,
    private readonly builder: ImageBuilder,
    private readonly volumes: Volumes,
    private readonly settings: LauncherSettings
  ) {}

  /**
   * Refusals that need no build: policy, repository URL, caps and a changed spec. Throws the
   * EnvhubError an API client gets as a 4xx before any event stream starts.
   */
  async admit(request: LaunchRequest): Promise<{ private: boolean }> {
    const { owner, spec } = request;
    const access = this.repoAccess(owner);
    applyLaunchPolicy(spec, this.settings.site);
    // The address policy first (no connection yet), the repository itself last, once all else passed.
    const materials = spec.materials ?? [];
    for (const repo of [spec.repo, ...materials.map(m => m.repo)])
      await checkRepoUrl(repo, this.settings.allowedRepoHosts);
    checkRef(spec.ref);
    materials.forEach(entry => entry.ref !== undefined && checkRef(entry.ref));
    await checkCollaborators(this.hub, owner, spec.collaborators);
    await this.volumes.checkMounts(owner, spec.mounts);
    if (spec.class !== undefined && !(await this.classRole(owner, spec.class)))
      throw new EnvhubError(
        403,
        'forbidden',
        `${owner} is neither an instructor nor a student of class ${spec.class} (or it does not exist); ask its instructors to add you`
      );
    const existing = this.store.getServer(owner, spec.name);
    if (!existing) {
      const count = this.store.listServers(owner).length;
      if (count >= this.settings.site.serversPerUser) {
        throw new EnvhubError(
          409,
          'too_many_servers',
          `you have ${count} servers and this hub allows ${this.settings.site.serversPerUser}; delete one first`
        );
      }
    } else {
      const changes = environmentChanges(
        existing.spec as ValidEnvironmentSpec,
        spec
      );
      if (changes.length > 0 && !request.update) {
        throw new EnvhubError(
          409,
          'spec_differs',
          `server "${spec.name}" runs another environment (${describeChanges(changes)}); ` +
            'update and restart it (update=1), or launch under a new name'
        );
      }
    }
    // Over quota, nothing new starts; a server already running may still be opened.
    if (
      this.settings.quotas?.configured &&
      !(existing && (await this.hub.getServer(owner, spec.name))?.ready)
    )
      await this.settings.quotas.check(owner, `launching "${spec.name}"`);
    const repository = await checkRepo(spec.repo, spec.ref, access);
    if (repository.private && spec.public)
      throw new EnvhubError(
        422,
        'private_repository',
        `${spec.repo} is private (read with your credential), so its server cannot be public: visitors could read what only you may; launch it without public`
      );
    // Materials are pulled inside the server, by git there; their addresses pass the same policy.
    for (const entry of materials)
      await checkRepo(entry.repo, entry.ref ?? 'HEAD', access);
    return repository;
  }

  /**
   * Where `user` may fetch repositories from: the policy's hosts, and their own credential for a
   * private repository's host (used only when the repository asks to sign in).
   */
  private repoAccess(user: string): RepoAccess {
    return {
      allowedHosts: this.settings.allowedRepoHosts,
      credential: async host =>
        (await this.settings.credentials?.find(user, host)) ?? null
    };
  }

  /**
   * The event stream of launching `request`, joining a launch of the same server already running.
   * A request that `admit` refuses throws before any stream exists.
   */
  async launch(request: LaunchRequest): Promise<Channel<BuildEvent>> {
    if (this.stopping !== null)
      throw new EnvhubError(503, 'restarting', this.stopping);
    const repository = await this.admit(request);
    const key = `${request.owner}/${request.spec.name}`;
    const running = this.inflight.get(key);
    if (
      running &&
      environmentChanges(running.spec, request.spec).length === 0 &&
      !request.relaunch
    )
      return running.events;
    if (running) {
      throw new EnvhubError(
        409,
        'launch_in_progress',
        `server "${request.spec.name}" is being launched right now; try again when it is up`
      );
    }
    const events = new Channel<BuildEvent>();
    this.inflight.set(key, { spec: request.spec, events });
    const launchId = randomBytes(4).toString('hex');
    log.info('launch.start', {
      launchId,
      owner: request.owner,
      server: request.spec.name,
      repo: request.spec.repo,
      ref: request.spec.ref
    });
    measureLaunch(request, events);
    this.run(request, repository.private, events)
      .catch((err: unknown) => {
        const error = asEnvhubError(err);
        if (error.status >= 500)
          log.error('launch.failed', {
            launchId,
            error: (err as Error).message
          });
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

  /**
   * Ends every launch stream in flight with a `failed` event saying `message` and refuses new
   * launches: the service is going away, and its clients should not wait for events that never come.
   */
  failInFlight(message: string): void {
    this.stopping = message;
    for (const { events } of this.inflight.values()) {
      events.push({ phase: 'failed', message });
      events.end();
    }
  }

  private async run(
    request: LaunchRequest,
    isPrivate: boolean,
    events: Channel<BuildEvent>
  ): Promise<void> {
    const { owner, spec } = request;
    events.push({
      phase: 'waiting',
      message: `Launching ${spec.repo} (${spec.ref}) as server "${spec.name}"\n`
    });
    const existing = this.store.getServer(owner, spec.name);
    let hubServer = await this.hub.getServer(owner, spec.name);
    if (!existing && hubServer) {
      throw new EnvhubError(
        409,
        'name_taken',
        `you already have a server named "${spec.name}" that envhub did not launch; choose another name`
      );
    }
    const changed = existing
      ? environmentChanges(existing.spec as ValidEnvironmentSpec, spec).length >
        0
      : false;
    if (existing && !changed && !request.relaunch) {
      this.store.saveServer({
        ...existing,
        spec,
        updatedAt: new Date().toISOString()
      });
      if (hubServer?.ready && !request.restart)
        return this.ready(request, existing, hubServer, events);
      events.push({
        phase: 'fetching',
        message: `Reconnecting to server "${spec.name}" (${existing.commit})\n`
      });
      await this.ensureImage(existing, events);
      return this.start(
        request,
        existing,
        await this.stopToApply(owner, spec.name, hubServer, events),
        events
      );
    }

    events.push({
      phase: 'fetching',
      message: `Resolving ${spec.ref} in ${spec.repo}\n`
    });
    const commit = await resolveRef(
      spec.repo,
      spec.ref,
      this.repoAccess(owner)
    );
    const now = new Date().toISOString();
    const record: ServerRecord = {
      owner,
      name: spec.name,
      repo: spec.repo,
      ref: spec.ref,
      commit,
      image: imageName(`${this.settings.namePrefix}-`, spec.repo, commit),
      ticket: existing?.ticket ?? randomBytes(24).toString('base64url'),
      spec,
      private: isPrivate,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now
    };
    await this.ensureImage(record, events);
    if (existing)
      hubServer = await this.stopToApply(owner, spec.name, hubServer, events);
    this.store.saveServer(record);
    if (existing) return this.start(request, record, hubServer, events);
    try {
      await this.start(request, record, hubServer, events);
    } catch (err) {
      await this.rollBack(owner, spec.name);
      throw err;
    }
  }

  /**
   * Undoes a new server whose first start failed, so that nothing is half-created or counts against
   * the caps: its Hub entry, then its record, then its home. A step that fails keeps what follows
   * (a record without a Hub entry is still deletable through envhub).
   */
  private async rollBack(owner: string, name: string): Promise<void> {
    try {
      const server = await this.hub.getServer(owner, name);
      if (server?.ready || server?.pending) {
        await this.hub.stopServer(owner, name);
        await waitUntilStopped(this.hub, owner, name);
      }
      if (server) await this.hub.removeServer(owner, name);
      this.store.deleteServer(owner, name);
      await this.volumes.removeHome(owner, name);
      log.info('launch.rolled_back', { owner, server: name });
    } catch (err) {
      log.error('launch.rollback_failed', {
        owner,
        server: name,
        error: (err as Error).message
      });
    }
  }

  /** Stops a running server so that its next start applies a change; the Hub's state afterwards. */
  private async stopToApply(
    owner: string,
    name: string,
    hubServer: HubServer | null,
    events: Channel<BuildEvent>
  ): Promise<HubServer | null> {
    if (!hubServer || hubServer.stopped) return hubServer;
    events.push({
      phase: 'launching',
      message: `Stopping server "${name}" to apply the change (its home is kept)\n`
    });
    await this.hub.stopServer(owner, name);
    await waitUntilStopped(this.hub, owner, name);
    return this.hub.getServer(owner, name);
  }

  private async ensureImage(
    record: ServerRecord,
    events: Channel<BuildEvent>
  ): Promise<void> {
    const built = await this.builder.exists(record.image);
    metrics.imageCache.inc({ result: built ? 'hit' : 'miss' });
    if (!built) {
      for await (const entry of this.builder
        .build({
          ...record,
          requestedBy: record.owner,
          access: this.repoAccess(record.owner)
        })
        .subscribe()) {
        if ('line' in entry)
          events.push({ phase: 'building', message: entry.line });
        else if (entry.error)
          throw new EnvhubError(500, 'build_failed', entry.error);
      }
    }
    await this.settings.registry?.publish(record.image, line =>
      events.push({ phase: 'building', message: line })
    );
    events.push({
      phase: 'built',
      imageName: record.image,
      message: `Found built image ${record.image}, launching...\n`
    });
  }

  private async start(
    request: LaunchRequest,
    record: ServerRecord,
    hubServer: HubServer | null,
    events: Channel<BuildEvent>
  ): Promise<void> {
    const { owner, name } = record;
    if (hubServer?.pending === 'stop')
      await waitUntilStopped(this.hub, owner, name);
    events.push({ phase: 'launching', message: `Starting server "${name}"\n` });
    if (hubServer?.pending !== 'spawn') {
      try {
        await this.hub.startServer(
          owner,
          name,
          { ticket: record.ticket },
          record.spec.displayName
        );
      } catch (err) {
        // A spawn Docker refused at once comes back as a bare 500; the progress stream has the reason.
        throw (await this.spawnFailure(owner, name)) ?? err;
      }
    }
    for await (const progress of this.hub.progress(owner, name)) {
      if (progress.failed) throw spawnFailed(name, progress.message);
      if (progress.ready) break;
      if (progress.message)
        events.push({ phase: 'launching', message: progress.message + '\n' });
    }
    const started = await this.hub.getServer(owner, name);
    if (!started?.ready)
      throw new EnvhubError(
        500,
        'spawn_failed',
        `server "${name}" did not become ready; the Hub log has the reason`
      );
    return this.ready(request, record, started, events);
  }

  /** Why the Hub's last spawn of `owner/name` failed, if its progress stream says so. */
  private async spawnFailure(
    owner: string,
    name: string
  ): Promise<EnvhubError | null> {
    try {
      for await (const progress of this.hub.progress(owner, name))
        if (progress.failed) return spawnFailed(name, progress.message);
    } catch {
      // No spawn to report on: the caller's own error stands.
    }
    return null;
  }

  private async ready(
    request: LaunchRequest,
    record: ServerRecord,
    server: HubServer,
    events: Channel<BuildEvent>
  ): Promise<void> {
    this.store.recordLaunch(record.image);
    // The catalog's counts: who launched which repository, unless they asked to be left out.
    this.store.recordUserLaunch(record.owner, {
      repo: record.repo,
      ref: record.ref,
      private: record.private === true,
      at: new Date().toISOString()
    });
    const shares = await syncCollaborators(
      this.hub,
      record.owner,
      record.name,
      request.spec.collaborators
    );
    if (shares.added.length + shares.removed.length > 0) {
      events.push({
        phase: 'launching',
        message: `Collaborators: ${[...shares.added.map(a => `+${a}`), ...shares.removed.map(r => `-${r}`)].join(' ')}\n`
      });
    }
    await this.pullMaterials(request, server, events);
    const url = new URL(server.url, request.publicOrigin);
    if (request.spec.urlpath)
      url.pathname += request.spec.urlpath.replace(/^\//, '');
    events.push({
      phase: 'ready',
      message: `server running at ${url}\n`,
      url: url.toString(),
      image: record.image,
      repo_url: record.repo,
      binder_ref_url: record.repo,
      binder_launch_host: new URL(
        this.settings.prefix,
        request.publicOrigin
      ).toString(),
      binder_request: `v2/${gitProviderPath(record.repo, record.ref)}`,
      binder_persistent_request: `v2/${gitProviderPath(record.repo, record.commit)}`
    });
  }

  /**
   * Pulls the spec's course materials into the running server before `ready`, so that `urlpath`
   * finds them; a failed pull is reported and the server opens anyway.
   */
  private async pullMaterials(
    request: LaunchRequest,
    server: HubServer,
    events: Channel<BuildEvent>
  ): Promise<void> {
    const materials = request.spec.materials ?? [];
    if (materials.length === 0) return;
    events.push({
      phase: 'launching',
      message: `Pulling course materials: ${materials.map(m => m.repo).join(', ')}\n`
    });
    const failed = await syncMaterials(
      server.url,
      // Every folder named, so that the server and the confirmation page cannot disagree on it.
      materials.map(entry => ({ ...entry, path: materialPath(entry) })),
      this.settings.servers,
      line => events.push({ phase: 'launching', message: `${line}\n` }),
      // A private entry is pulled with the owner's credential, as their build would read it.
      this.repoAccess(request.owner)
    );
    if (failed > 0) {
      events.push({
        phase: 'launching',
        message: `${failed} of ${materials.length} course materials could not be pulled; the server opens anyway, and its Course materials panel says why\n`
      });
    }
  }

  /**
   * Replaces a server's collaborators and applies them at once as Hub shares (no restart).
   * `given` is checked against the schema's `collaborators` field and the Hub's users and groups.
   */
  async setCollaborators(
    owner: string,
    name: string,
    given: unknown
  ): Promise<ServerRecord> {
    const record = this.requireRecord(owner, name);
    const { collaborators } = specWith(
      record,
      'collaborators',
      given,
      'send the collaborators as JSON: {"users": [...], "groups": [...]}'
    );
    await checkCollaborators(this.hub, owner, collaborators);
    const updated = {
      ...record,
      spec: { ...record.spec, collaborators },
      updatedAt: new Date().toISOString()
    };
    this.store.saveServer(updated);
    if (await this.hub.getServer(owner, name))
      await syncCollaborators(this.hub, owner, name, collaborators);
    return updated;
  }

  /**
   * Replaces a server's mounts. `given` is checked against the schema's `mounts` field and the
   * volumes the owner may use; a running server gets them at its next start.
   */
  async setMounts(
    owner: string,
    name: string,
    given: unknown
  ): Promise<ServerRecord> {
    const record = this.requireRecord(owner, name);
    const { mounts } = specWith(
      record,
      'mounts',
      given,
      'send the mounts as a JSON list: [{"source": "volume", "target": "/mnt/data", "readOnly": false}]'
    );
    await this.volumes.checkMounts(owner, mounts);
    const updated = {
      ...record,
      spec: { ...record.spec, mounts },
      updatedAt: new Date().toISOString()
    };
    this.store.saveServer(updated);
    log.info('server.mounts', { owner, server: name, mounts: mounts.length });
    return updated;
  }

  /**
   * Opens `owner/name` to visitors (temporary sessions, see PublicSessions) or closes it; `given` is
   * the body's `public` field. Closing it ends its sessions at the next sweep.
   */
  async setPublic(
    owner: string,
    name: string,
    given: unknown
  ): Promise<ServerRecord> {
    const record = this.requireRecord(owner, name);
    if (typeof given !== 'boolean')
      throw new EnvhubError(
        400,
        'invalid_spec',
        'send {"public": true} to open the server to visitors, or {"public": false} to close it'
      );
    if (given && record.private)
      throw new EnvhubError(
        422,
        'private_repository',
        `${record.repo} is private (read with ${owner}'s credential), so its server cannot be public: visitors could read what only its readers may`
      );
    const updated = {
      ...record,
      spec: { ...record.spec, public: given },
      updatedAt: new Date().toISOString()
    };
    this.store.saveServer(updated);
    log.info('server.public', { owner, server: name, public: given });
    return updated;
  }

  /** Stops a server (its home is kept). */
  async stop(owner: string, name: string): Promise<void> {
    this.requireRecord(owner, name);
    await this.hub.stopServer(owner, name);
  }

  /** Deletes a server for good: stops it, removes it from the Hub and envhub, and drops its home. */
  async delete(owner: string, name: string): Promise<void> {
    this.requireRecord(owner, name);
    if (await this.hub.getServer(owner, name)) {
      await this.hub.stopServer(owner, name);
      await waitUntilStopped(this.hub, owner, name);
      await this.hub.removeServer(owner, name);
    }
    // The home first: should it fail, the record stays, and deleting again retries.
    await this.volumes.removeHome(owner, name);
    this.store.deleteServer(owner, name);
    log.info('server.deleted', { owner, server: name });
  }

  private requireRecord(owner: string, name: string): ServerRecord {
    const record = this.store.getServer(owner, name);
    if (!record)
      throw new EnvhubError(
        404,
        'not_found',
        `envhub has no server ${owner}/${name}`
      );
    return record;
  }

  /**
   * The spawn configuration for a server the Hub is about to start, given the Hub's `user_options`.
   * Only a server envhub launched starts, and only with its launch ticket as the whole of
   * `user_options`: whoever asks the Hub directly is told to launch through envhub. A server envhub
   * has no record of is refused with NOT_LAUNCHED, so that the Hub drops the entry it just made.
   */
  async spawnConfig(
    user: string,
    server: string,
    userOptions: unknown
  ): Promise<SpawnConfig> {
    const record = this.store.getServer(user, server);
    if (!record) {
      throw new EnvhubError(
        403,
        NOT_LAUNCHED,
        `envhub did not launch ${user}/${server || '(the default server)'}: servers on this hub start only through envhub; launch one from envhub's page or a launch link`
      );
    }
    const options =
      typeof userOptions === 'object' &&
      userOptions !== null &&
      !Array.isArray(userOptions)
        ? (userOptions as Record<string, unknown>)
        : {};
    const extra = Object.keys(options).filter(key => key !== 'ticket');
    if (extra.length > 0) {
      throw new EnvhubError(
        400,
        'user_options',
        `user_options may carry only an envhub launch ticket (got: ${extra.join(', ')}); launch servers through envhub`
      );
    }
    if (!sameSecret(options.ticket, record.ticket)) {
      throw new EnvhubError(
        403,
        'bad_ticket',
        `no valid launch ticket for ${user}/${server}; launch the server through envhub`
      );
    }
    // Starts from the Hub's own pages too: over quota, no server starts.
    await this.settings.quotas?.check(user, `starting "${server}"`);
    const mounts = record.spec.mounts ?? [];
    const dockerMounts = await this.volumes.dockerMounts(user, mounts);
    this.store.setStartedMounts(user, server, JSON.stringify(mounts));
    const classEnvironment: Record<string, string> = {};
    const classId = record.spec.class;
    // The role is read at every start: someone who left the class starts without it, keeping the home.
    const role = classId ? await this.classRole(user, classId) : null;
    if (classId && role) {
      Object.assign(classEnvironment, {
        ENVHUB_CLASS: classId,
        ENVHUB_CLASS_ROLE: role
      });
      if (role === 'instructor') {
        classEnvironment.ENVHUB_COURSE_ROOT = courseRoot(classId);
        dockerMounts.push(
          this.volumes.courseMount(classId, courseRoot(classId))
        );
      }
    }
    return {
      image: record.image,
      volumes: {
        [homeVolumeName(this.settings.namePrefix, user, server)]: {
          bind: HOME,
          mode: 'rw'
        }
      },
      mounts: dockerMounts,
      ...dockerLimits(
        effectiveResources(record.spec, this.settings.site),
        this.settings.site
      ),
      display_name: record.spec.displayName,
      environment: {
        ...serverEnvironment(record),
        ...classEnvironment,
        // The server's envhub extension then fetches its owner's credentials (see
        // api/servers/<owner>/<name>/credentials) into /run/envhub/credentials.json.
        ...(record.spec.credentials ? { ENVHUB_CREDENTIALS: '1' } : {}),
        ...(record.spec.credentials === 'env'
          ? await this.credentialEnvironment(user, server)
          : {})
      }
    };
  }

  /**
   * `user`'s credentials as environment variables (read at every start, so a start after a change
   * has it; never logged). Public sessions start through PublicSessions and never get them.
   */
  private async credentialEnvironment(
    user: string,
    server: string
  ): Promise<Record<string, string>> {
    const credentials =
      (await this.settings.credentials?.forServer(user)) ?? {};
    const { variables, clashing } = credentialVariables(credentials);
    if (clashing.length > 0)
      log.warn('server.credential_variables_clash', {
        owner: user,
        server,
        hosts: clashing
      });
    return variables;
  }

  private async classRole(
    user: string,
    classId: string
  ): Promise<'instructor' | 'student' | null> {
    return this.settings.classRole
      ? this.settings.classRole(user, classId)
      : null;
  }
}

/** What every server's environment says about where it came from (Binder's variables included). */
export function serverEnvironment(
  record: Pick<ServerRecord, 'repo' | 'ref' | 'commit'>
): Record<string, string> {
  return {
    ENVHUB_REPO_URL: record.repo,
    ENVHUB_REF: record.ref,
    ENVHUB_COMMIT: record.commit,
    BINDER_REPO_URL: record.repo,
    BINDER_REQUEST: `v2/${gitProviderPath(record.repo, record.ref)}`,
    BINDER_PERSISTENT_REQUEST: `v2/${gitProviderPath(record.repo, record.commit)}`
  };
}

/** Memory and CPU limits as DockerSpawner takes them; swap stays off unless the site allows it. */
export function dockerLimits(
  { memory, cpus }: Pick<Resources, 'memory' | 'cpus'>,
  site: SiteConfig
): Pick<SpawnConfig, 'mem_limit' | 'cpu_limit' | 'memswap_limit'> {
  const bytes = parseSize(memory);
  return {
    mem_limit: bytes,
    cpu_limit: cpus,
    memswap_limit: site.resources.allowSwap ? null : bytes
  };
}

const spawnFailed = (name: string, message: string | undefined) =>
  new EnvhubError(
    500,
    'spawn_failed',
    `server "${name}" failed to start: ${spawnFailureReason(message)}`
  );

/** Whether `given` is the secret `expected`, compared in constant time. */
function sameSecret(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}
