import { randomBytes } from 'node:crypto';
import { EnvhubError } from '../errors.js';
import type { SessionView } from '@envhub/schema';
import {
  waitUntilStopped,
  type HubClient,
  type HubServer,
  type HubUser
} from '../hub/hubClient.js';
import { sessionRelation } from '../policy/access.js';
import {
  dockerLimits,
  serverEnvironment,
  type SpawnConfig
} from '../launches/launcher.js';
import { log } from '../log.js';
import { every } from '../periodic.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import type { ServerRecord, SessionRecord, Store } from '../store/store.js';
import type { Volumes } from '../volumes/volumes.js';
import { relayCookies } from './cookieRelay.js';

export interface SessionSettings {
  namePrefix: string;
  site: SiteConfig;
  /** Where browsers reach the hub, e.g. `https://hub.example.org`. */
  publicOrigin: string;
  /** Where the service reaches users' servers: the proxy, from this host. */
  proxyUrl: string;
  /** The Docker network of sessions without egress (see visitorNetwork.ts); null: Docker's bridge. */
  network: Promise<string> | null;
  now?: () => Date;
}

/** Where to send the visitor's browser, with the cookies that sign it in to its session. */
export interface SessionHandoff {
  location: string;
  cookies: string[];
  /** Whether the session came ready from the warm pool. */
  pooled: boolean;
}

/** Why a session ends. */
export type EndReason =
  | 'idle'
  | 'max-age'
  | 'not public'
  | 'image changed'
  | 'not pooled'
  | 'gone'
  | 'ended';

/** The prefix of temporary users' names: the Hub refuses sign-ins with it (envhub.hub). */
export const visitorPrefix = (namePrefix: string) => `${namePrefix}-visitor-`;

/**
 * Why a session should end now, or null: a visitor's session after `idleTimeout` seconds without
 * activity or `maxAge` seconds after the visitor got it; a pooled one when its server is no longer
 * public, pooled, or on the image it was started from. Both when its server died.
 */
export function endReason(
  session: SessionRecord,
  server: Pick<HubServer, 'ready' | 'pending' | 'last_activity'> | null,
  copied: Pick<ServerRecord, 'image' | 'spec'> | undefined,
  limits: { idleTimeout: number; maxAge: number; pooled: boolean },
  now: Date
): EndReason | null {
  if (!copied?.spec.public) return 'not public';
  if (!server || (!server.ready && !server.pending)) return 'gone';
  if (session.claimedAt === null) {
    if (copied.image !== session.image) return 'image changed';
    return limits.pooled ? null : 'not pooled';
  }
  const since = (iso: string | null | undefined) => {
    const seconds = (now.getTime() - (iso ? Date.parse(iso) : NaN)) / 1000;
    return Number.isNaN(seconds) ? Infinity : seconds;
  };
  if (since(session.claimedAt) > limits.maxAge) return 'max-age';
  // Activity before the visitor came (in the pool) does not count.
  const idle = Math.min(since(session.claimedAt), since(server.last_activity));
  return idle > limits.idleTimeout ? 'idle' : null;
}

/**
 * Temporary sessions of public servers: a throw-away copy of the server for each visitor, run by a
 * temporary Hub user with a token scoped to that one server (BinderHub's way), without a home
 * volume, with every mount read-only, no collaborators and no class. Sessions end after the
 * site's idle timeout or maximum age, and then the container, the Hub user and its tokens go.
 * A warm pool keeps sessions of listed servers started in advance.
 */
export class PublicSessions {
  /** When each client address opened its recent sessions (ms). */
  private readonly opened = new Map<string, number[]>();
  /** Sessions being started or ended, so that sweeps leave them alone. */
  private readonly busy = new Set<string>();
  /** Starts in flight, by user: a visitor may wait for a pooled session that is nearly up. */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly filling = new Set<string>();
  private stopSweep: (() => void) | null = null;
  private readonly now: () => Date;

  constructor(
    private readonly hub: HubClient,
    private readonly store: Store,
    private readonly volumes: Volumes,
    private readonly settings: SessionSettings
  ) {
    this.now = settings.now ?? (() => new Date());
  }

  private get rules() {
    return this.settings.site.publicSessions;
  }

  /** The public server `owner/name`; the same 404 whether it is missing or not public. */
  publicServer(owner: string, name: string): ServerRecord {
    const record = this.store.getServer(owner, name);
    // A private repository's server is never public (the launcher refuses it; this holds anyway).
    if (!record?.spec.public || record.private)
      throw new EnvhubError(
        404,
        'not_found',
        `there is no public server ${owner}/${name}; ask whoever gave you the link for a new one`
      );
    return record;
  }

  /**
   * The sessions `viewer` may see: those of their own public servers, or every one for an admin,
   * with the visitor's address for admins only (see `session.read` in policy/access.ts).
   */
  visibleTo(viewer: HubUser): SessionView[] {
    return this.store
      .allSessions()
      .filter(s => sessionRelation(viewer, s) !== 'none')
      .map(({ ticket: _ticket, client, ...view }) => ({
        ...view,
        ...(viewer.admin ? { client } : {})
      }));
  }

  /**
   * A session of the public server `owner/name` for a visitor at `client`: one from the warm pool
   * when there is one, else a new one. Refused with 429 over the caps or the address's rate.
   */
  async open(
    owner: string,
    name: string,
    client: string
  ): Promise<SessionHandoff> {
    const record = this.publicServer(owner, name);
    this.admit(record, client);
    let session = await this.claimPooled(record, client);
    const pooled = session !== null;
    if (!session) {
      session = this.newSession(record, client);
      await this.start(session);
    }
    try {
      const handoff = await this.handoff(record, session, pooled);
      log.info('session.opened', {
        user: session.user,
        owner,
        server: name,
        pooled
      });
      return handoff;
    } catch (err) {
      await this.end(session.user, 'ended');
      throw err;
    } finally {
      if (pooled) void this.fillPools();
    }
  }

  /** The caps and the address's rate, checked and counted at once (no await between). */
  private admit(record: ServerRecord, client: string): void {
    const { maxSessions, maxPerServer, perAddress, idleTimeout } = this.rules;
    const visiting = this.store.allSessions().filter(s => s.claimedAt !== null);
    const busyFor = `a session ends after ${Math.round(idleTimeout / 60)} minutes without activity; try again in a few minutes`;
    if (visiting.length >= maxSessions)
      throw new EnvhubError(
        429,
        'too_many_sessions',
        `this hub runs ${visiting.length} public sessions, as many as it allows at once; ${busyFor}`
      );
    const here = visiting.filter(
      s => s.owner === record.owner && s.server === record.name
    ).length;
    if (here >= maxPerServer)
      throw new EnvhubError(
        429,
        'too_many_sessions',
        `${here} visitors are in ${record.owner}/${record.name} now, as many as this hub allows at once; ${busyFor}`
      );
    const now = this.now().getTime();
    const recent = (this.opened.get(client) ?? []).filter(
      at => now - at < perAddress.window * 1000
    );
    if (recent.length >= perAddress.sessions) {
      const wait = Math.ceil(
        (recent[0] + perAddress.window * 1000 - now) / 1000
      );
      throw new EnvhubError(
        429,
        'rate_limited',
        `your address opened ${recent.length} public sessions in the last ${perAddress.window} seconds, as many as this hub allows; try again in ${wait} seconds`
      );
    }
    this.opened.set(client, [...recent, now]);
  }

  private newSession(
    record: ServerRecord,
    client: string | null
  ): SessionRecord {
    const session: SessionRecord = {
      user:
        visitorPrefix(this.settings.namePrefix) +
        randomBytes(5).toString('hex'),
      owner: record.owner,
      server: record.name,
      image: record.image,
      ticket: randomBytes(24).toString('base64url'),
      createdAt: this.now().toISOString(),
      claimedAt: client === null ? null : this.now().toISOString(),
      client
    };
    this.store.addSession(session);
    return session;
  }

  /** Creates the session's Hub user and starts its server; anything half-made is removed on failure. */
  private start(session: SessionRecord): Promise<void> {
    const started = this.spawn(session).finally(() =>
      this.starting.delete(session.user)
    );
    this.starting.set(session.user, started);
    return started;
  }

  private async spawn(session: SessionRecord): Promise<void> {
    this.busy.add(session.user);
    try {
      await this.hub.createUser(session.user);
      await this.hub.startServer(
        session.user,
        session.server,
        { ticket: session.ticket },
        `Public session of ${session.owner}/${session.server}`
      );
      for await (const progress of this.hub.progress(
        session.user,
        session.server
      )) {
        if (progress.failed)
          throw new EnvhubError(
            503,
            'session_failed',
            `the temporary server did not start (${progress.message ?? 'no reason given'}); try again in a moment`
          );
        if (progress.ready) break;
      }
    } catch (err) {
      this.busy.delete(session.user);
      await this.end(session.user, 'ended');
      throw err;
    }
    this.busy.delete(session.user);
  }

  /**
   * A pooled session of `record`'s current image, now the visitor's: a ready one, else one still
   * starting (it is further along than a new one would be); null when the pool is empty.
   */
  private async claimPooled(
    record: ServerRecord,
    client: string
  ): Promise<SessionRecord | null> {
    const waiting = this.pooled(record)
      // Ready ones first.
      .sort(
        (a, b) =>
          Number(this.starting.has(a.user)) - Number(this.starting.has(b.user))
      );
    for (const session of waiting) {
      const started = this.starting.get(session.user);
      if (
        started &&
        !(await started.then(
          () => true,
          () => false
        ))
      )
        continue;
      if (this.busy.has(session.user)) continue;
      const at = this.now().toISOString();
      if (!this.store.claimSession(session.user, client, at)) continue;
      const server = await this.hub.getServer(session.user, session.server);
      if (server?.ready) return { ...session, claimedAt: at, client };
      void this.end(session.user, 'gone');
    }
    return null;
  }

  /** The sessions of `record` waiting in its pool, of its current image. */
  private pooled(
    record: Pick<ServerRecord, 'owner' | 'name' | 'image'>
  ): SessionRecord[] {
    return this.store
      .allSessions()
      .filter(
        s =>
          s.owner === record.owner &&
          s.server === record.name &&
          s.claimedAt === null &&
          s.image === record.image
      );
  }

  /** A token for the session's server alone, turned into the visitor's cookies. */
  private async handoff(
    record: ServerRecord,
    session: SessionRecord,
    pooled: boolean
  ): Promise<SessionHandoff> {
    const server = await this.hub.getServer(session.user, session.server);
    if (!server?.ready)
      throw new EnvhubError(
        503,
        'session_failed',
        'the temporary server stopped before it opened; try again in a moment'
      );
    const token = await this.hub.createToken(
      session.user,
      [`access:servers!server=${session.user}/${session.server}`],
      this.rules.maxAge,
      `envhub public session of ${record.owner}/${record.name}`
    );
    const cookies = await relayCookies(
      this.settings.proxyUrl,
      server.url,
      token
    );
    const url = new URL(server.url, this.settings.publicOrigin);
    url.pathname += (record.spec.urlpath ?? 'lab').replace(/^\//, '');
    return { location: url.toString(), cookies, pooled };
  }

  /** The spawn configuration of a session's server, or null when `user` runs no session. */
  async spawnConfig(
    user: string,
    server: string,
    ticket: unknown
  ): Promise<SpawnConfig | null> {
    const session = this.store.getSession(user);
    if (!session) return null;
    if (session.server !== server || ticket !== session.ticket)
      throw new EnvhubError(
        403,
        'bad_ticket',
        `no valid launch ticket for ${user}/${server}; public sessions start only from a public page`
      );
    const record = this.publicServer(session.owner, session.server);
    // WebDAV volumes are left out: they are reached with the owner's own credential.
    const mounts = await this.volumes.dockerMounts(
      record.owner,
      record.spec.mounts ?? [],
      true
    );
    const activity = Math.max(
      5,
      Math.min(60, Math.floor(this.rules.idleTimeout / 4))
    );
    const network = this.settings.network
      ? await this.settings.network
      : undefined;
    return {
      image: session.image,
      // No home volume: the home is the container's own, removed with it.
      volumes: {},
      mounts: mounts.map(mount => ({ ...mount, read_only: true })),
      ...dockerLimits(this.rules.resources, this.settings.site),
      display_name: `Public session of ${record.owner}/${record.name}`,
      ...(network ? { network } : {}),
      environment: {
        ...serverEnvironment(record),
        ENVHUB_PUBLIC_SESSION: `${record.owner}/${record.name}`,
        // Reported often enough for the idle timeout to see a visitor who is still there.
        JUPYTERHUB_ACTIVITY_INTERVAL: String(activity),
        // Cookies of the browser session only.
        JUPYTERHUB_COOKIE_OPTIONS: '{"expires_days": null}'
      }
    };
  }

  /**
   * Ends a session: stops and removes its server (DockerSpawner removes the container), then
   * deletes its Hub user with its tokens, then its record. Errors are logged; the next sweep retries.
   */
  async end(user: string, reason: EndReason): Promise<void> {
    const session = this.store.getSession(user);
    if (!session || this.busy.has(user)) return;
    this.busy.add(user);
    try {
      const server = await this.hub.getServer(user, session.server);
      if (server && (server.ready || server.pending)) {
        await this.hub.stopServer(user, session.server);
        await waitUntilStopped(this.hub, user, session.server);
      }
      if (server) await this.hub.removeServer(user, session.server);
      await this.hub.deleteUser(user);
      this.store.deleteSession(user);
      log.info('session.ended', {
        user,
        owner: session.owner,
        server: session.server,
        reason
      });
    } catch (err) {
      log.warn('session.end_failed', {
        user,
        reason,
        error: (err as Error).message
      });
    } finally {
      this.busy.delete(user);
    }
  }

  /** Ends every session of `owner/name` (public access switched off, or the server deleted). */
  async endAll(owner: string, name: string): Promise<void> {
    await Promise.all(
      this.store
        .allSessions()
        .filter(s => s.owner === owner && s.server === name)
        .map(s => this.end(s.user, 'not public'))
    );
  }

  /** One pass: ends the sessions past their limits, then refills the warm pools. */
  async sweep(): Promise<void> {
    const pooledServers = new Set(
      this.rules.pools
        .filter(p => p.size > 0)
        .map(p => `${p.owner}/${p.server}`)
    );
    for (const session of this.store.allSessions()) {
      if (this.busy.has(session.user)) continue;
      try {
        const server = await this.hub.getServer(session.user, session.server);
        const reason = endReason(
          session,
          server,
          this.store.getServer(session.owner, session.server),
          {
            ...this.rules,
            pooled: pooledServers.has(`${session.owner}/${session.server}`)
          },
          this.now()
        );
        if (reason) await this.end(session.user, reason);
      } catch (err) {
        log.warn('session.sweep_failed', {
          user: session.user,
          error: (err as Error).message
        });
      }
    }
    await this.fillPools();
  }

  /** Starts sessions in advance until each pool of a public server holds its size. */
  async fillPools(): Promise<void> {
    await Promise.all(
      this.rules.pools.map(async ({ owner, server, size }) => {
        const key = `${owner}/${server}`;
        const record = this.store.getServer(owner, server);
        if (!record?.spec.public || this.filling.has(key)) return;
        this.filling.add(key);
        try {
          // One at a time: a pool never competes with visitors for the whole machine.
          while (this.pooled(record).length < size) {
            await this.start(this.newSession(record, null));
            log.info('session.pooled', { owner, server });
          }
        } catch (err) {
          log.warn('session.pool_failed', {
            owner,
            server,
            error: (err as Error).message
          });
        } finally {
          this.filling.delete(key);
        }
      })
    );
  }

  /** Sweeps every few seconds (a quarter of the idle timeout, at most a minute) until stopped. */
  startSweeping(): void {
    const interval =
      Math.max(2, Math.min(60, this.rules.idleTimeout / 4)) * 1000;
    this.stopSweeping();
    this.stopSweep = every(interval, 'session.sweep_failed', () =>
      this.sweep()
    );
  }

  stopSweeping(): void {
    this.stopSweep?.();
    this.stopSweep = null;
  }
}
