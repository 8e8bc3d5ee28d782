import { jest } from '@jest/globals';
import Docker from 'dockerode';
import { escapeName } from '../../src/naming.js';
import { Store } from '../../src/store/store.js';
import { Quotas } from '../../src/usage/quotas.js';
import { UsageRecorder } from '../../src/usage/recorder.js';
import { usageTotals } from '../../src/usage/reports.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  envhubApi,
  hubApi,
  hubUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';

// Runs against the real JupyterHub + envhub + Docker engine that deploy/test.sh starts, whose
// service samples usage every ENVHUB_USAGE_INTERVAL (5) seconds and whose site configuration
// (ui-tests/fixtures/site-config.json) gives the group `quota-zero` a quota of 0 CPU-hours.
jest.setTimeout(300_000);

const docker = new Docker();
const stamp = Date.now().toString(36);
const ada = `us-ada-${stamp}`;
const bob = `us-bob-${stamp}`;
const QUOTA_GROUP = 'quota-zero';
const server = 'used';
let git: GitServer;
let repo: string;
let admin: string;
const tokens: Record<string, string> = {};
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The metrics as the admin's Prometheus reads them: a token with only `read:metrics`. */
async function scrape(): Promise<string> {
  const created = await hubApi(admin, '/users/admin/tokens', {
    method: 'POST',
    body: JSON.stringify({
      note: 'prometheus',
      expires_in: 600,
      scopes: ['read:metrics']
    })
  });
  const { token } = (await created.json()) as { token: string };
  const response = await fetch(`${hubUrl}/services/envhub/metrics`, {
    headers: { Authorization: `Bearer ${token}` }
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one series of the scrape, 0 when absent. */
function series(
  text: string,
  name: string,
  labels: Record<string, string>
): number {
  const line = text
    .split('\n')
    .find(
      l =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

type CatalogJson = {
  entries: Array<{
    repo: string;
    title: string;
    kinds: string[];
    launches: { week: number; month: number };
  }>;
};
const catalogEntry = async (token: string) =>
  (
    (await (await envhubApi(token, '/catalog')).json()) as CatalogJson
  ).entries.find(e => e.repo === repo);

beforeAll(async () => {
  git = await GitServer.start();
  await git.commit('usage', { 'README.md': '# Usage accounting demo\n' });
  repo = git.url('usage');
  admin = await tokenFor('admin');
  tokens[ada] = await tokenFor(ada);
  tokens[bob] = await tokenFor(bob);
});

afterAll(async () => {
  await hubApi(admin, `/groups/${QUOTA_GROUP}`, { method: 'DELETE' });
  for (const user of [ada, bob])
    await envhubApi(tokens[user], `/servers/${user}/${server}`, {
      method: 'DELETE'
    });
  await git.stop();
});

test('two launches by two users put a repository in the catalog, counted, with its README title; metrics see them', async () => {
  const before = await scrape();
  expect(await catalogEntry(tokens[ada])).toBeUndefined();
  for (const user of [ada, bob]) {
    const { events } = await readEventStream(
      buildUrl(repo, 'main', { name: server }),
      tokens[user]
    );
    expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
  }
  expect(await catalogEntry(tokens[ada])).toMatchObject({
    kinds: ['popular'],
    title: 'Usage accounting demo',
    launches: { week: 2, month: 2 }
  });

  const after = await scrape();
  const launches = { status: 'success', provider: 'git', repo };
  expect(series(after, 'binderhub_launch_count_total', launches)).toBe(2);
  expect(
    series(after, 'binderhub_launch_time_seconds_count', { status: 'success' })
  ).toBeGreaterThanOrEqual(
    series(before, 'binderhub_launch_time_seconds_count', {
      status: 'success'
    }) + 2
  );
  expect(after).toMatch(/^# TYPE binderhub_launch_time_seconds histogram$/m);
  expect(
    series(after, 'envhub_launch_phase_seconds_count', { phase: 'launching' })
  ).toBeGreaterThan(0);
  expect(
    series(after, 'envhub_image_cache_total', { result: 'hit' })
  ).toBeGreaterThanOrEqual(1);
  expect(
    series(after, 'binderhub_build_count_total', { status: 'success', repo })
  ).toBe(1);
  expect(after).toMatch(/^envhub_images \d+$/m);

  // Not for users' own tokens, nor without one.
  const denied = await fetch(`${hubUrl}/services/envhub/metrics`, {
    headers: { Authorization: `token ${tokens[ada]}` }
  });
  expect(denied.status).toBe(403);
  expect((await fetch(`${hubUrl}/services/envhub/metrics`)).status).toBe(401);
});

test("the real engine's counters become usage rows, and storage is measured", async () => {
  const store = new Store(':memory:');
  const record = {
    owner: ada,
    name: server,
    repo,
    ref: 'main',
    commit: 'c',
    image: 'i',
    ticket: 't',
    spec: { repo, name: server },
    createdAt: '',
    updatedAt: ''
  };
  store.saveServer(record);
  const recorder = new UsageRecorder(
    [docker],
    store,
    { stopServer: async () => true },
    new Quotas(
      { user: {}, groups: {}, stopAt: 'never' },
      (u, f) => usageTotals(store, u, f),
      async () => []
    ),
    { namePrefix, intervalMs: 2000, storageEveryMs: 3_600_000 }
  );
  await recorder.sample();
  await sleep(2000);
  await recorder.sweep();
  const rows = store
    .usageDays('2000-01-01', [ada])
    .filter(r => r.server === server);
  expect(rows).toHaveLength(1);
  expect(rows[0].cpuHours).toBeGreaterThan(0);
  expect(rows[0].gbHours).toBeGreaterThan(0);
  expect(rows[0].runningHours).toBeGreaterThan(0);
  expect(recorder.runningServers).toBeGreaterThanOrEqual(2);
  expect(store.latestStorage([ada])).toEqual([
    expect.objectContaining({
      volume: `${namePrefix}-home-${escapeName(ada)}--${server}`,
      server,
      bytes: expect.any(Number)
    })
  ]);
});

test("a user's usage page and its CSV say the same; the lab panel's view has it", async () => {
  // Stopped, the server's usage no longer grows: the page and the CSV read the same rows.
  await sleep(11_000);
  await envhubApi(tokens[ada], `/servers/${ada}/${server}/stop`, {
    method: 'POST'
  });
  await sleep(11_000);
  const page = await (
    await fetch(`${hubUrl}/services/envhub/usage`, {
      headers: { Authorization: `token ${tokens[ada]}` }
    })
  ).text();
  const csv = await (await envhubApi(tokens[ada], '/usage?format=csv')).text();
  const rows = csv.trim().split('\r\n');
  expect(rows[0]).toBe('day,user,server,cpu_hours,gb_hours,running_hours');
  const sums = { cpu_hours: 0, gb_hours: 0, running_hours: 0 };
  for (const row of rows.slice(1)) {
    const [, user, name, cpu, gb, running] = row.split(',');
    expect([user, name]).toEqual([ada, server]);
    sums.cpu_hours += Number(cpu);
    sums.gb_hours += Number(gb);
    sums.running_hours += Number(running);
  }
  expect(sums.running_hours).toBeGreaterThan(0);
  for (const [column, sum] of Object.entries(sums)) {
    const cell = new RegExp(
      `<tr data-name="${server}">[\\s\\S]*?data-column="${column}">([\\d.]+)<`
    ).exec(page);
    expect(cell?.[1]).toBe(sum.toFixed(2));
  }
  // The plots have bars: Vega-Lite's SVG, drawn on the service.
  expect(page).toMatch(
    /<figure class="envhub-plot" id="envhub-cpu-plot">[\s\S]*?<svg[\s\S]*?mark-rect/
  );

  const view = (await (
    await envhubApi(tokens[ada], `/servers/${ada}/${server}`)
  ).json()) as {
    usage: { server: { runningHours: number }; overQuota: string[] };
  };
  expect(view.usage.server.runningHours).toBeCloseTo(sums.running_hours, 6);
  expect(view.usage.overQuota).toEqual([]);
});

test('a user in a group over its quota is refused a launch with the quota, the usage and the reset, and nothing is made', async () => {
  const added = await hubApi(admin, `/groups/${QUOTA_GROUP}`, {
    method: 'POST',
    body: JSON.stringify({ users: [bob] })
  });
  expect(added.status).toBe(201);
  const before = series(await scrape(), 'envhub_quota_refusals_total', {
    resource: 'cpuHours'
  });
  const { status, body } = await readEventStream(
    buildUrl(repo, 'main', { name: 'more' }),
    tokens[bob]
  );
  expect(status).toBe(403);
  const refusal = JSON.parse(body) as { code: string; message: string };
  expect(refusal.code).toBe('quota_exceeded');
  const now = new Date();
  const reset = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
  )
    .toISOString()
    .slice(0, 10);
  expect(refusal.message).toMatch(
    new RegExp(
      `^launching "more" is over quota: group ${QUOTA_GROUP} has used [\\d.]+ of its 0 CPU-hours this month; the quota resets on ${reset} 00:00 UTC$`
    )
  );
  expect(
    (
      (await (await envhubApi(tokens[bob], '/servers')).json()) as {
        servers: Array<{ name: string }>;
      }
    ).servers.map(s => s.name)
  ).toEqual([server]);
  expect(
    await docker.listContainers({
      all: true,
      filters: { name: [`${namePrefix}-${escapeName(bob)}--more`] }
    })
  ).toEqual([]);
  // A running server still opens; stopped, it does not start again.
  const { events } = await readEventStream(
    buildUrl(repo, 'main', { name: server }),
    tokens[bob]
  );
  expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
  await envhubApi(tokens[bob], `/servers/${bob}/${server}/stop`, {
    method: 'POST'
  });
  await sleep(3000);
  const restart = await readEventStream(
    buildUrl(repo, 'main', { name: server }),
    tokens[bob]
  );
  expect(restart.status).toBe(403);
  expect((JSON.parse(restart.body) as { message: string }).message).toContain(
    `launching "${server}" is over quota: group ${QUOTA_GROUP}`
  );
  expect(
    series(await scrape(), 'envhub_quota_refusals_total', {
      resource: 'cpuHours'
    })
  ).toBeGreaterThan(before);
});
