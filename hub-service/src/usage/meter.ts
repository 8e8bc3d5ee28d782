/**
 * Usage accounting's arithmetic: what running servers used between two samples of Docker's
 * counters, per UTC day. No Docker and no clock of its own (tests give both).
 */

/** One running server's container as Docker's stats read it. */
export interface ContainerSample {
  /** The container's id: counters restart with a new container. */
  id: string;
  owner: string;
  server: string;
  /** When the container started (ISO). */
  startedAt: string;
  /** CPU time the container used since it started, in nanoseconds (cumulative). */
  cpuNanos: number;
  /** Memory in use now, in bytes (page cache left out, as `docker stats` does). */
  memoryBytes: number;
}

/** What one server used on one day. GB are 2^30 bytes, as Docker's memory limits count them. */
export interface UsageIncrement {
  day: string;
  owner: string;
  server: string;
  cpuSeconds: number;
  /** Memory × time, in GB-seconds (GB-hours are this / 3600). */
  memoryGbSeconds: number;
  runningSeconds: number;
}

export const GB = 2 ** 30;
const DAY_MS = 86_400_000;

/** The UTC day of `at`, as `YYYY-MM-DD`. */
export const dayOf = (at: Date | number): string =>
  new Date(at).toISOString().slice(0, 10);

/**
 * Turns successive samples into increments. A container seen for the first time counts all its
 * CPU time since it started, and memory × time since then, at most `maxGapMs` back; between two
 * samples, the counters' difference and at most `maxGapMs` of time (a service paused for longer does
 * not bill the gap at the last memory reading). An interval over midnight is split between the two
 * days in proportion to time. What a container used after its last sample before it stopped is
 * not counted (at most one interval). A container missing from a sample (its engine did not
 * answer) is remembered for a day: back, it counts from its last reading, not from its start.
 */
export class UsageMeter {
  private readonly last = new Map<string, { at: number; cpuNanos: number }>();

  constructor(private readonly maxGapMs: number) {}

  sample(now: Date, containers: ContainerSample[]): UsageIncrement[] {
    const at = now.getTime();
    const increments: UsageIncrement[] = [];
    for (const container of containers) {
      const previous = this.last.get(container.id);
      const since = previous?.at ?? Date.parse(container.startedAt);
      const from = Math.max(
        Number.isFinite(since) ? since : at,
        at - this.maxGapMs
      );
      // A counter below the last reading: Docker restarted the container in place.
      const cpuNanos =
        previous && container.cpuNanos >= previous.cpuNanos
          ? container.cpuNanos - previous.cpuNanos
          : container.cpuNanos;
      this.last.set(container.id, { at, cpuNanos: container.cpuNanos });
      if (at <= from && cpuNanos === 0) continue;
      increments.push(
        ...splitByDay(from, Math.max(at, from), {
          owner: container.owner,
          server: container.server,
          cpuSeconds: cpuNanos / 1e9,
          memoryGbSeconds:
            (container.memoryBytes / GB) * (Math.max(at - from, 0) / 1000),
          runningSeconds: Math.max(at - from, 0) / 1000
        })
      );
    }
    for (const [id, reading] of this.last)
      if (reading.at < at - DAY_MS) this.last.delete(id);
    return increments;
  }
}

/** `usage` over [from, to] as one increment per UTC day it touches, in proportion to time. */
export function splitByDay(
  from: number,
  to: number,
  usage: Omit<UsageIncrement, 'day'>
): UsageIncrement[] {
  if (to <= from) return [{ day: dayOf(to), ...usage }];
  const parts: UsageIncrement[] = [];
  for (let start = from; start < to;) {
    const end = Math.min(to, (Math.floor(start / DAY_MS) + 1) * DAY_MS);
    const share = (end - start) / (to - from);
    parts.push({
      day: dayOf(start),
      owner: usage.owner,
      server: usage.server,
      cpuSeconds: usage.cpuSeconds * share,
      memoryGbSeconds: usage.memoryGbSeconds * share,
      runningSeconds: usage.runningSeconds * share
    });
    start = end;
  }
  return parts;
}
