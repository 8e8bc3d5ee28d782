import type { QuotaStatus } from '../usage/quotas.js';
import { RESOURCE_UNITS, type QuotaResource } from '../usage/quotas.js';
import type { TopLevelSpec } from 'vega-lite';
import { dailyBars, plotSvg, quotaBars, rankedBars } from '../usage/plots.js';
import type { HubReport, UsageLine, UserReport } from '../usage/reports.js';
import { html, Html, layout } from './html.js';

const fixed = (value: number) => value.toFixed(2);

/** Every day of a report, so that days without usage still have their place on the axis. */
function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (let at = Date.parse(from); at <= Date.parse(to); at += 86_400_000)
    days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

const plot = async (id: string, title: string, spec: TopLevelSpec) =>
  html`<figure class="envhub-plot" id="${id}">
    <figcaption>${title}</figcaption>
    ${new Html(await plotSvg(spec))}
  </figure>`;

function usageTable(id: string, heading: string, lines: UsageLine[]): Html {
  return html`<table id="${id}" class="envhub-usage">
    <thead>
      <tr>
        <th>${heading}</th>
        <th>CPU-hours</th>
        <th>GB-hours</th>
        <th>running hours</th>
        <th>builds</th>
        <th>build minutes</th>
        <th>storage (GB)</th>
      </tr>
    </thead>
    <tbody>
      ${lines.map(
        line =>
          html`<tr data-name="${line.name}">
            <td>${line.name}</td>
            <td data-column="cpu_hours">${fixed(line.cpuHours)}</td>
            <td data-column="gb_hours">${fixed(line.gbHours)}</td>
            <td data-column="running_hours">${fixed(line.runningHours)}</td>
            <td>${String(line.builds)}</td>
            <td>${fixed(line.buildMinutes)}</td>
            <td>${fixed(line.storageGb)}</td>
          </tr>`
      )}
    </tbody>
  </table>`;
}

/** This month against the quota, in words and as a plot (nothing when the site sets no quota). */
async function quotaSection(status: QuotaStatus): Promise<Html> {
  const resources = Object.keys(status.quota) as QuotaResource[];
  if (resources.length === 0 && status.breaches.length === 0) return html``;
  const values = resources.map(resource => ({
    resource: RESOURCE_UNITS[resource],
    percent: (100 * status.used[resource]) / status.quota[resource]!
  }));
  return html`<section id="envhub-quota">
    <h2>This month against your quota</h2>
    <ul>
      ${resources.map(
        r =>
          html`<li>
            ${fixed(status.used[r])} of ${String(status.quota[r])}
            ${RESOURCE_UNITS[r]}
          </li>`
      )}
    </ul>
    ${status.breaches.map(
      b =>
        html`<p class="envhub-warning" role="alert">
          Over quota: ${b.message}.
        </p>`
    )}
    <p>Quotas reset on ${status.resetsAt.slice(0, 10)} (UTC).</p>
    ${
      values.length > 0
        ? await plot(
            'envhub-quota-plot',
            'Share of the quota used',
            quotaBars(values)
          )
        : ''
    }
  </section>`;
}

/** Bars of one of a user's daily columns, a colour per server. */
const perServer = (report: UserReport, field: string, title: string) =>
  dailyBars(
    report.days,
    { field, title },
    { field: 'server', title: 'server' },
    daysFrom(report.from, report.to)
  );

const CPU_HOURS = { field: 'cpuHours', title: 'CPU-hours' };

/** "every minute", "every 5 seconds": how often a period of `ms` comes. */
export function everyInterval(ms: number): string {
  const [count, unit] =
    ms % 60_000 === 0 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  return count === 1 ? `every ${unit}` : `every ${count} ${unit}s`;
}

/** *My usage*: the signed-in user's servers over the last 30 days, their quota, CSV export. */
export async function myUsagePage(
  prefix: string,
  report: UserReport,
  quota: QuotaStatus,
  /** How often usage accounting reads the engine. */
  sampleEveryMs: number
): Promise<string> {
  const body = html`<h1>My usage</h1>
    <p>
      What your servers used from ${report.from} to ${report.to} (UTC days),
      read from the container engine ${everyInterval(sampleEveryMs)}. GB-hours
      are memory in use × time.
      <a id="envhub-usage-csv" href="${prefix}api/usage?format=csv"
        >Download CSV</a
      >
    </p>
    ${await quotaSection(quota)}
    ${await plot(
      'envhub-cpu-plot',
      'CPU-hours per day',
      perServer(report, 'cpuHours', 'CPU-hours')
    )}
    ${await plot(
      'envhub-memory-plot',
      'Memory (GB-hours) per day',
      perServer(report, 'gbHours', 'GB-hours')
    )}
    <h2>Per server</h2>
    ${usageTable('envhub-usage-servers', 'server', [...report.servers, report.total])}`;
  return layout({ title: 'My usage', prefix, body });
}

/** *Hub usage* (admins): users and groups, top environments, servers at once, CSV export. */
export async function hubUsagePage(
  prefix: string,
  report: HubReport
): Promise<string> {
  const body = html`<h1>Hub usage</h1>
    <p>
      Every user's servers from ${report.from} to ${report.to} (UTC days).
      <a
        id="envhub-usage-csv"
        href="${prefix}api/usage?scope=hub&amp;format=csv"
        >Download CSV</a
      >
    </p>
    ${await plot(
      'envhub-users-plot',
      'CPU-hours per user (top 20)',
      rankedBars(report.users.slice(0, 20), CPU_HOURS, 'user')
    )}
    ${
      report.groups.length > 0
        ? await plot(
            'envhub-groups-plot',
            'CPU-hours per group',
            rankedBars(report.groups, CPU_HOURS, 'group')
          )
        : ''
    }
    ${await plot(
      'envhub-peaks-plot',
      'Most servers running at once, per day',
      dailyBars(
        report.peaks,
        { field: 'servers', title: 'servers' },
        null,
        daysFrom(report.from, report.to)
      )
    )}
    <h2>Users</h2>
    ${usageTable('envhub-usage-users', 'user', report.users)}
    <h2>Groups</h2>
    ${usageTable('envhub-usage-groups', 'group', report.groups)}
    <h2>Top environments</h2>
    ${usageTable('envhub-usage-environments', 'repository', report.environments)}`;
  return layout({ title: 'Hub usage', prefix, body });
}
