import type { HubClient, HubServer } from '../hub/hubClient.js';
import { log } from '../log.js';

/** A server the reaper watches, with its limits in seconds (0 = no limit). */
export interface ReapedServer {
  owner: string;
  name: string;
  idleTimeout: number;
  maxAge: number;
}

/** Why the reaper stopped a server. */
export type ReapReason = 'idle' | 'max-age';

/** How often the reaper sweeps, and its clock (tests pass a fake one). */
export interface ReaperOptions {
  /** Pause between the end of one sweep and the start of the next. */
  intervalMs: number;
  now?: () => Date;
}

type ReaperHub = Pick<HubClient, 'getServer' | 'stopServer'>;

/**
 * Why a running server should stop now, or null. The Hub refreshes `last_activity` only every few
 * minutes, so idle timeouts shorter than that stop servers that are still in use.
 */
export function reapReason(
  server: Pick<HubServer, 'ready' | 'started' | 'last_activity'>,
  limits: Pick<ReapedServer, 'idleTimeout' | 'maxAge'>,
  now: Date
): ReapReason | null {
  if (!server.ready) return null;
  const secondsSince = (iso: string | null | undefined) => {
    const at = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(at) ? (now.getTime() - at) / 1000 : null;
  };
  const age = secondsSince(server.started);
  if (limits.maxAge > 0 && age !== null && age > limits.maxAge)
    return 'max-age';
  // A server the Hub has seen no activity from counts as idle since it started.
  const idle = secondsSince(server.last_activity) ?? age;
  if (limits.idleTimeout > 0 && idle !== null && idle > limits.idleTimeout)
    return 'idle';
  return null;
}

/**
 * Enforces each server's idle timeout and maximum age: every sweep reads the listed servers from
 * the Hub and stops (never removes) running ones past a limit, so their homes stay for a relaunch.
 */
export class Reaper {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private sweeping = false;
  private readonly now: () => Date;

  constructor(
    private readonly hub: ReaperHub,
    private readonly listServers: () => ReapedServer[],
    private readonly options: ReaperOptions
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Sweeps every `intervalMs` until stopped; sweeps never overlap. */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A sweep still in flight from before a stop() schedules the next one itself.
    if (!this.sweeping) this.schedule();
  }

  /** Cancels the next sweep; one already running finishes. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.sweeping = true;
      this.sweep()
        .catch((err: unknown) =>
          log.error('reaper.sweep_failed', { error: (err as Error).message })
        )
        .finally(() => {
          this.sweeping = false;
          this.schedule();
        });
    }, this.options.intervalMs);
    // The reaper alone must not keep the process alive.
    this.timer.unref();
  }

  /** One pass over the listed servers; returns those it stopped. A failing server is logged and skipped. */
  async sweep(): Promise<
    Array<{ owner: string; name: string; reason: ReapReason }>
  > {
    const stopped: Array<{ owner: string; name: string; reason: ReapReason }> =
      [];
    for (const { owner, name, idleTimeout, maxAge } of this.listServers()) {
      if (!(idleTimeout > 0) && !(maxAge > 0)) continue;
      try {
        const server = await this.hub.getServer(owner, name);
        if (!server) continue;
        const reason = reapReason(server, { idleTimeout, maxAge }, this.now());
        if (!reason) continue;
        await this.hub.stopServer(owner, name);
        stopped.push({ owner, name, reason });
        log.info('reaper.stopped', {
          owner,
          server: name,
          reason,
          started: server.started ?? null,
          lastActivity: server.last_activity ?? null,
          idleTimeout,
          maxAge
        });
      } catch (err) {
        log.warn('reaper.failed', {
          owner,
          server: name,
          error: (err as Error).message
        });
      }
    }
    return stopped;
  }
}
