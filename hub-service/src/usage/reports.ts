import type { Store, UsageDay } from '../store/store.js';
import { dayOf, GB } from './meter.js';
import type { Totals } from './quotas.js';

const DAY_MS = 86_400_000;

/** The first day of a report of the last `days` days ending `now`. */
export const reportStart = (now: Date, days: number): string =>
  dayOf(now.getTime() - (days - 1) * DAY_MS);

/** What `users` used since `from` together, with the storage they hold now (for quotas). */
export function usageTotals(
  store: Store,
  users: string[],
  from: string
): Totals {
  const totals: Totals = { cpuHours: 0, gbHours: 0, storageGb: 0 };
  for (const row of store.usageDays(from, users)) {
    totals.cpuHours += row.cpuHours;
    totals.gbHours += row.gbHours;
  }
  for (const row of store.latestStorage(users))
    totals.storageGb += row.bytes / GB;
  return totals;
}

/** One line of a usage table: what a server, user or group used over the report's days. */
export interface UsageLine {
  name: string;
  cpuHours: number;
  gbHours: number;
  runningHours: number;
  builds: number;
  buildMinutes: number;
  storageGb: number;
}

const emptyLine = (name: string): UsageLine => ({
  name,
  cpuHours: 0,
  gbHours: 0,
  runningHours: 0,
  builds: 0,
  buildMinutes: 0,
  storageGb: 0
});

function addDay(line: UsageLine, day: UsageDay): void {
  line.cpuHours += day.cpuHours;
  line.gbHours += day.gbHours;
  line.runningHours += day.runningHours;
}

/** What one of `owner`'s servers used since `from`. */
export function serverTotals(
  store: Store,
  owner: string,
  server: string,
  from: string
): UsageLine {
  const line = emptyLine(server);
  for (const day of store.usageDays(from, [owner]))
    if (day.server === server) addDay(line, day);
  return line;
}

/** A user's usage over the last `days` days: per server, and the daily rows behind it. */
export interface UserReport {
  user: string;
  from: string;
  to: string;
  days: UsageDay[];
  servers: UsageLine[];
  total: UsageLine;
}

export function userReport(
  store: Store,
  user: string,
  now: Date,
  days = 30
): UserReport {
  const from = reportStart(now, days);
  const rows = store.usageDays(from, [user]);
  const servers = new Map<string, UsageLine>();
  const line = (name: string) =>
    servers.get(name) ?? servers.set(name, emptyLine(name)).get(name)!;
  rows.forEach(day => addDay(line(day.server), day));
  for (const stored of store.latestStorage([user]))
    if (stored.server !== null)
      line(stored.server).storageGb += stored.bytes / GB;
  const total = emptyLine('all servers');
  rows.forEach(day => addDay(total, day));
  total.storageGb = usageTotals(store, [user], from).storageGb;
  for (const build of store.buildDays(from, [user])) {
    total.builds += build.builds;
    total.buildMinutes += build.buildSeconds / 60;
  }
  return {
    user,
    from,
    to: dayOf(now),
    days: rows,
    servers: [...servers.values()].sort((a, b) => b.cpuHours - a.cpuHours),
    total
  };
}

/** The hub's usage over the last `days` days: per user and group, top environments, peaks. */
export interface HubReport {
  from: string;
  to: string;
  days: UsageDay[];
  users: UsageLine[];
  groups: UsageLine[];
  environments: UsageLine[];
  peaks: Array<{ day: string; servers: number }>;
}

export function hubReport(
  store: Store,
  groups: Array<{ name: string; users: string[] }>,
  now: Date,
  days = 30
): HubReport {
  const from = reportStart(now, days);
  const rows = store.usageDays(from);
  const users = new Map<string, UsageLine>();
  const userLine = (name: string) =>
    users.get(name) ?? users.set(name, emptyLine(name)).get(name)!;
  rows.forEach(day => addDay(userLine(day.owner), day));
  for (const build of store.buildDays(from)) {
    userLine(build.owner).builds += build.builds;
    userLine(build.owner).buildMinutes += build.buildSeconds / 60;
  }
  for (const stored of store.latestStorage())
    userLine(stored.owner).storageGb += stored.bytes / GB;

  const groupLines = groups.map(group => {
    const line = emptyLine(group.name);
    for (const member of group.users) {
      const of = users.get(member);
      if (!of) continue;
      for (const key of Object.keys(line) as Array<keyof UsageLine>)
        if (key !== 'name') line[key] += of[key];
    }
    return line;
  });

  // Environments by repository, as the servers' records name them now.
  const repoOf = new Map(
    store.allServers().map(s => [`${s.owner}/${s.name}`, s.repo])
  );
  const environments = new Map<string, UsageLine>();
  for (const day of rows) {
    const repo = repoOf.get(`${day.owner}/${day.server}`);
    if (!repo) continue;
    addDay(
      environments.get(repo) ??
        environments.set(repo, emptyLine(repo)).get(repo)!,
      day
    );
  }
  const byCpu = (a: UsageLine, b: UsageLine) => b.cpuHours - a.cpuHours;
  return {
    from,
    to: dayOf(now),
    days: rows,
    users: [...users.values()].sort(byCpu),
    groups: groupLines.sort(byCpu),
    environments: [...environments.values()].sort(byCpu).slice(0, 20),
    peaks: store.peakDays(from)
  };
}

/** Daily rows as CSV (RFC 4180), the columns the usage pages' plots are drawn from. */
export function usageCsv(days: UsageDay[]): string {
  const quote = (value: string) =>
    /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  const lines = days.map(d =>
    [
      d.day,
      quote(d.owner),
      quote(d.server),
      d.cpuHours.toFixed(6),
      d.gbHours.toFixed(6),
      d.runningHours.toFixed(6)
    ].join(',')
  );
  return (
    ['day,user,server,cpu_hours,gb_hours,running_hours', ...lines].join(
      '\r\n'
    ) + '\r\n'
  );
}
