import { EnvhubError } from '../errors.js';
import { metrics } from './metrics.js';

/** What a quota may limit each calendar month (UTC): CPU-hours, memory × time, storage held now. */
export type QuotaResource = 'cpuHours' | 'gbHours' | 'storageGb';
export type Quota = Partial<Record<QuotaResource, number>>;
export type Totals = Record<QuotaResource, number>;

/** The site's quotas (site configuration `quotas`). */
export interface QuotaSettings {
  /** Every user's own monthly quota. */
  user: Quota;
  /** A group's monthly quota, for what all its members use together. */
  groups: Record<string, Quota>;
  /** When a running server over its quota is stopped: at the next full hour, the next midnight (UTC), or never. */
  stopAt: 'hour' | 'day' | 'never';
}

/** One quota a user's usage has reached. */
export interface QuotaBreach {
  /** Whose quota: the user's own, or a group's. */
  group: string | null;
  resource: QuotaResource;
  used: number;
  limit: number;
}

export const RESOURCE_UNITS: Record<QuotaResource, string> = {
  cpuHours: 'CPU-hours',
  gbHours: 'GB-hours of memory',
  storageGb: 'GB of storage'
};

/** The first instant of `now`'s month (UTC). */
export const monthStart = (now: Date): Date =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** When `now`'s month's quotas reset: the first instant of the next month (UTC). */
export const quotaResetsAt = (now: Date): Date =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

/** The quotas of `quota` that `totals` has reached (a usage equal to its quota is over it). */
export function breachesOf(
  totals: Totals,
  quota: Quota,
  group: string | null
): QuotaBreach[] {
  return (Object.keys(quota) as QuotaResource[])
    .filter(resource => totals[resource] >= quota[resource]!)
    .map(resource => ({
      group,
      resource,
      used: totals[resource],
      limit: quota[resource]!
    }));
}

const round = (value: number) =>
  value >= 10 ? value.toFixed(1) : value.toFixed(2);
const utc = (at: Date) =>
  `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** What a user is told about a breach: the quota, the usage and when it resets. */
export function breachMessage(breach: QuotaBreach, resetsAt: Date): string {
  const unit = RESOURCE_UNITS[breach.resource];
  const whose = breach.group
    ? `group ${breach.group} has used ${round(breach.used)} of its ${breach.limit} ${unit}`
    : `you have used ${round(breach.used)} of your ${breach.limit} ${unit}`;
  const period =
    breach.resource === 'storageGb'
      ? '; free some space (delete a server or a volume you own)'
      : ` this month; the quota resets on ${utc(resetsAt)}`;
  return `${whose}${period}`;
}

/**
 * Whether a server found over its quota at `overSince` is due to stop at `now`: once the boundary
 * the site chose (the next full hour or midnight, UTC) has passed.
 */
export function stopDue(
  overSince: number,
  now: number,
  stopAt: QuotaSettings['stopAt']
): boolean {
  if (stopAt === 'never') return false;
  const unit = stopAt === 'hour' ? 3_600_000 : 86_400_000;
  return now >= (Math.floor(overSince / unit) + 1) * unit;
}

/** A user's month against their quotas, as the lab panel and the usage page show it. */
export interface QuotaStatus {
  used: Totals;
  quota: Quota;
  resetsAt: string;
  breaches: Array<QuotaBreach & { message: string }>;
}

/**
 * The site's quotas applied: a user is over quota when their own month, or the month of a group
 * with a quota they belong to (all its members together), has reached a limit.
 */
export class Quotas {
  constructor(
    readonly settings: QuotaSettings,
    /** What `users` used since `from` (a day, `YYYY-MM-DD`), storage as held now. */
    private readonly totals: (users: string[], from: string) => Totals,
    private readonly groupMembers: (group: string) => Promise<string[]>,
    private readonly now: () => Date = () => new Date()
  ) {}

  get configured(): boolean {
    return (
      Object.keys(this.settings.user).length > 0 ||
      Object.keys(this.settings.groups).length > 0
    );
  }

  async status(user: string): Promise<QuotaStatus> {
    const now = this.now();
    const from = monthStart(now).toISOString().slice(0, 10);
    const used = this.totals([user], from);
    const breaches = breachesOf(used, this.settings.user, null);
    for (const [group, quota] of Object.entries(this.settings.groups)) {
      const members = await this.groupMembers(group);
      if (members.includes(user))
        breaches.push(...breachesOf(this.totals(members, from), quota, group));
    }
    const resetsAt = quotaResetsAt(now);
    return {
      used,
      quota: this.settings.user,
      resetsAt: resetsAt.toISOString(),
      breaches: breaches.map(b => ({
        ...b,
        message: breachMessage(b, resetsAt)
      }))
    };
  }

  /** Refuses (403 `quota_exceeded`, with the quota, the usage and the reset) a user over quota. */
  async check(user: string, doing: string): Promise<void> {
    if (!this.configured) return;
    const { breaches } = await this.status(user);
    if (breaches.length === 0) return;
    metrics.quotaRefusals.inc({ resource: breaches[0].resource });
    throw new EnvhubError(
      403,
      'quota_exceeded',
      `${doing} is over quota: ${breaches.map(b => b.message).join('; ')}`
    );
  }
}
