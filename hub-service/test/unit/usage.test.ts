import type Docker from 'dockerode';
import { EnvhubError } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';
import { GB, splitByDay, UsageMeter } from '../../src/usage/meter.js';
import { metrics } from '../../src/usage/metrics.js';
import {
  breachMessage,
  Quotas,
  quotaResetsAt,
  stopDue,
  type QuotaSettings
} from '../../src/usage/quotas.js';
import { memoryInUse, UsageRecorder } from '../../src/usage/recorder.js';
import { everyInterval, myUsagePage } from '../../src/pages/usagePages.js';
import {
  hubReport,
  usageCsv,
  usageTotals,
  userReport
} from '../../src/usage/reports.js';

const at = (iso: string) => new Date(iso);
const sample = (
  cpuSeconds: number,
  memoryGb: number,
  extra: Partial<{ id: string; startedAt: string; server: string }> = {}
) => ({
  id: extra.id ?? 'c1',
  owner: 'ada',
  server: extra.server ?? 'lab',
  startedAt: extra.startedAt ?? '2026-11-10T11:59:00Z',
  cpuNanos: cpuSeconds * 1e9,
  memoryBytes: memoryGb * GB
});

describe('the meter: what servers used between two samples of Docker', () => {
  test('a new container counts its CPU since it started, and memory × time since then', () => {
    const meter = new UsageMeter(120_000);
    const [first] = meter.sample(at('2026-11-10T12:00:00Z'), [sample(30, 2)]);
    expect(first).toEqual({
      day: '2026-11-10',
      owner: 'ada',
      server: 'lab',
      cpuSeconds: 30,
      memoryGbSeconds: 2 * 60,
      runningSeconds: 60
    });
  });

  test('then the counters’ difference and the time between samples', () => {
    const meter = new UsageMeter(120_000);
    meter.sample(at('2026-11-10T12:00:00Z'), [sample(30, 2)]);
    const [next] = meter.sample(at('2026-11-10T12:01:00Z'), [sample(75, 1)]);
    expect(next.cpuSeconds).toBeCloseTo(45);
    expect(next.memoryGbSeconds).toBeCloseTo(60);
    expect(next.runningSeconds).toBeCloseTo(60);
  });

  test('a gap longer than the limit (a paused service) bills only the limit', () => {
    const meter = new UsageMeter(120_000);
    meter.sample(at('2026-11-10T12:00:00Z'), [sample(30, 2)]);
    const [next] = meter.sample(at('2026-11-10T13:00:00Z'), [sample(40, 2)]);
    expect(next.runningSeconds).toBe(120);
    expect(next.memoryGbSeconds).toBe(240);
    expect(next.cpuSeconds).toBeCloseTo(10);
  });

  test('a counter that went back (restarted in place) counts from zero; a new container id starts over', () => {
    const meter = new UsageMeter(120_000);
    meter.sample(at('2026-11-10T12:00:00Z'), [sample(30, 1)]);
    const [reset] = meter.sample(at('2026-11-10T12:01:00Z'), [sample(5, 1)]);
    expect(reset.cpuSeconds).toBeCloseTo(5);
    const [other] = meter.sample(at('2026-11-10T12:02:00Z'), [
      sample(3, 1, { id: 'c2', startedAt: '2026-11-10T12:01:30Z' })
    ]);
    expect(other.cpuSeconds).toBeCloseTo(3);
    expect(other.runningSeconds).toBeCloseTo(30);
  });

  test('a container missing from a sample (its engine did not answer) counts from its last reading when back', () => {
    const meter = new UsageMeter(120_000);
    meter.sample(at('2026-11-10T12:00:00Z'), [sample(30, 1)]);
    expect(meter.sample(at('2026-11-10T12:01:00Z'), [])).toEqual([]);
    const [back] = meter.sample(at('2026-11-10T12:02:00Z'), [sample(50, 1)]);
    expect(back.cpuSeconds).toBeCloseTo(20);
    expect(back.runningSeconds).toBe(120);
    // A day later it is forgotten, and counts from its start again.
    meter.sample(at('2026-11-11T12:03:00Z'), []);
    const [again] = meter.sample(at('2026-11-11T12:04:00Z'), [sample(60, 1)]);
    expect(again.cpuSeconds).toBeCloseTo(60);
  });

  test('an interval over midnight is split between the two days in proportion', () => {
    const meter = new UsageMeter(120_000);
    meter.sample(at('2026-11-10T23:59:30Z'), [sample(0, 1)]);
    const parts = meter.sample(at('2026-11-11T00:00:30Z'), [sample(60, 1)]);
    expect(parts.map(p => p.day)).toEqual(['2026-11-10', '2026-11-11']);
    expect(parts.map(p => p.cpuSeconds)).toEqual([30, 30]);
    expect(parts.map(p => p.runningSeconds)).toEqual([30, 30]);
    expect(
      splitByDay(
        Date.parse('2026-11-10T00:00:00Z'),
        Date.parse('2026-11-12T12:00:00Z'),
        {
          owner: 'a',
          server: 's',
          cpuSeconds: 60,
          memoryGbSeconds: 0,
          runningSeconds: 60
        }
      ).map(p => [p.day, p.cpuSeconds])
    ).toEqual([
      ['2026-11-10', 24],
      ['2026-11-11', 24],
      ['2026-11-12', 12]
    ]);
  });

  test('memory in use leaves the inactive page cache out, as docker stats does', () => {
    expect(
      memoryInUse({
        memory_stats: { usage: 500, stats: { inactive_file: 200 } }
      })
    ).toBe(300);
    expect(
      memoryInUse({ memory_stats: { usage: 500, stats: { cache: 600 } } })
    ).toBe(0);
    expect(memoryInUse({})).toBe(0);
  });
});

const NOW = at('2026-11-20T10:30:00Z');
const settings = (quotas: Partial<QuotaSettings>): QuotaSettings => ({
  user: {},
  groups: {},
  stopAt: 'day',
  ...quotas
});

function storeWith(): Store {
  const store = new Store(':memory:');
  store.addUsage([
    // Last month does not count against this month's quota.
    {
      day: '2026-10-31',
      owner: 'ada',
      server: 'lab',
      cpuSeconds: 100 * 3600,
      memoryGbSeconds: 0,
      runningSeconds: 0
    },
    {
      day: '2026-11-02',
      owner: 'ada',
      server: 'lab',
      cpuSeconds: 3 * 3600,
      memoryGbSeconds: 8 * 3600,
      runningSeconds: 4 * 3600
    },
    {
      day: '2026-11-03',
      owner: 'bob',
      server: 'nb',
      cpuSeconds: 5 * 3600,
      memoryGbSeconds: 2 * 3600,
      runningSeconds: 5 * 3600
    }
  ]);
  store.setStorage('2026-11-20', [
    {
      owner: 'ada',
      volume: 'envhub-home-ada--lab',
      server: 'lab',
      bytes: 2 * GB
    },
    { owner: 'ada', volume: 'data', server: null, bytes: GB }
  ]);
  return store;
}

describe('quotas: a month of usage against the site’s limits', () => {
  const groups = async (name: string) => ({ team: ['ada', 'bob'] })[name] ?? [];

  test('this month’s totals, storage as held now', () => {
    expect(usageTotals(storeWith(), ['ada'], '2026-11-01')).toEqual({
      cpuHours: 3,
      gbHours: 8,
      storageGb: 3
    });
  });

  test('under every quota: allowed; at a quota: refused with the quota, the usage and the reset', async () => {
    const store = storeWith();
    const totals = (users: string[], from: string) =>
      usageTotals(store, users, from);
    const under = new Quotas(
      settings({ user: { cpuHours: 3.5, storageGb: 10 } }),
      totals,
      groups,
      () => NOW
    );
    await expect(
      under.check('ada', 'launching "lab"')
    ).resolves.toBeUndefined();

    const at3 = new Quotas(
      settings({ user: { cpuHours: 3 } }),
      totals,
      groups,
      () => NOW
    );
    const before =
      (await metrics.quotaRefusals.get()).values.find(
        v => v.labels.resource === 'cpuHours'
      )?.value ?? 0;
    const refusal = await at3
      .check('ada', 'launching "lab"')
      .catch(e => e as EnvhubError);
    expect(refusal).toBeInstanceOf(EnvhubError);
    expect(refusal).toMatchObject({ status: 403, code: 'quota_exceeded' });
    expect((refusal as EnvhubError).message).toBe(
      'launching "lab" is over quota: you have used 3.00 of your 3 CPU-hours this month; the quota resets on 2026-12-01 00:00 UTC'
    );
    const after = (await metrics.quotaRefusals.get()).values.find(
      v => v.labels.resource === 'cpuHours'
    )!.value;
    expect(after).toBe(before + 1);
  });

  test('a group’s quota counts all its members together', async () => {
    const store = storeWith();
    const quotas = new Quotas(
      settings({ groups: { team: { cpuHours: 8 }, other: { cpuHours: 0 } } }),
      (users, from) => usageTotals(store, users, from),
      groups,
      () => NOW
    );
    const status = await quotas.status('ada');
    expect(status.breaches).toEqual([
      expect.objectContaining({
        group: 'team',
        resource: 'cpuHours',
        used: 8,
        limit: 8
      })
    ]);
    expect(status.breaches[0].message).toBe(
      'group team has used 8.00 of its 8 CPU-hours this month; the quota resets on 2026-12-01 00:00 UTC'
    );
    // Not a member of `other`, whose quota is 0: only team's applies.
    expect(status.breaches).toHaveLength(1);
  });

  test('storage says what to free, not when it resets', () => {
    expect(
      breachMessage(
        { group: null, resource: 'storageGb', used: 12.345, limit: 10 },
        quotaResetsAt(NOW)
      )
    ).toBe(
      'you have used 12.3 of your 10 GB of storage; free some space (delete a server or a volume you own)'
    );
  });

  test('a server over quota stops at the next boundary the site chose', () => {
    const over = Date.parse('2026-11-20T10:30:00Z');
    expect(stopDue(over, Date.parse('2026-11-20T10:59:59Z'), 'hour')).toBe(
      false
    );
    expect(stopDue(over, Date.parse('2026-11-20T11:00:00Z'), 'hour')).toBe(
      true
    );
    expect(stopDue(over, Date.parse('2026-11-20T23:59:00Z'), 'day')).toBe(
      false
    );
    expect(stopDue(over, Date.parse('2026-11-21T00:00:00Z'), 'day')).toBe(true);
    expect(stopDue(over, Date.parse('2027-01-01T00:00:00Z'), 'never')).toBe(
      false
    );
  });
});

describe('reports: what the usage pages, their plots and the CSV show', () => {
  test("a user's report: per server, the total with builds and storage, and the daily rows", () => {
    const store = storeWith();
    store.startBuild({
      id: 'b1',
      image: 'i',
      repo: 'r',
      ref: 'main',
      commit: 'c',
      requestedBy: 'ada',
      startedAt: '2026-11-02T10:00:00.000Z'
    });
    const report = userReport(store, 'ada', NOW, 30);
    expect(report.from).toBe('2026-10-22');
    expect(report.days.map(d => d.day)).toEqual(['2026-10-31', '2026-11-02']);
    expect(report.servers).toEqual([
      expect.objectContaining({ name: 'lab', cpuHours: 103, storageGb: 2 })
    ]);
    expect(report.total).toMatchObject({
      cpuHours: 103,
      builds: 1,
      storageGb: 3
    });
    expect(usageCsv(report.days).split('\r\n')).toEqual([
      'day,user,server,cpu_hours,gb_hours,running_hours',
      '2026-10-31,ada,lab,100.000000,0.000000,0.000000',
      '2026-11-02,ada,lab,3.000000,8.000000,4.000000',
      ''
    ]);
  });

  test("the hub's report: users, groups from their members, environments by repository", () => {
    const store = storeWith();
    store.saveServer({
      owner: 'bob',
      name: 'nb',
      repo: 'https://forge.example.org/bob/nb.git',
      ref: 'main',
      commit: 'c'.repeat(40),
      image: 'i',
      ticket: 't',
      spec: { repo: 'https://forge.example.org/bob/nb.git', name: 'nb' },
      createdAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z'
    });
    store.recordPeak('2026-11-03', 2);
    store.recordPeak('2026-11-03', 1);
    const report = hubReport(
      store,
      [{ name: 'team', users: ['ada', 'bob'] }],
      NOW,
      30
    );
    expect(report.users.map(u => [u.name, u.cpuHours])).toEqual([
      ['ada', 103],
      ['bob', 5]
    ]);
    expect(report.groups).toEqual([
      expect.objectContaining({ name: 'team', cpuHours: 108, storageGb: 3 })
    ]);
    expect(report.environments).toEqual([
      expect.objectContaining({
        name: 'https://forge.example.org/bob/nb.git',
        cpuHours: 5
      })
    ]);
    expect(report.peaks).toEqual([{ day: '2026-11-03', servers: 2 }]);
  });
});

describe('the recorder against a stand-in engine (the real one: integration/usage.test.ts)', () => {
  function engine(
    containers: Array<{ id: string; user: string; server: string; cpu: number }>
  ) {
    return {
      listContainers: async () => containers.map(c => ({ Id: c.id })),
      getContainer: (id: string) => {
        const c = containers.find(x => x.id === id)!;
        return {
          inspect: async () => ({
            Config: {
              Env: [
                `JUPYTERHUB_USER=${c.user}`,
                `JUPYTERHUB_SERVER_NAME=${c.server}`
              ]
            },
            State: { StartedAt: '2026-11-20T10:29:00Z' }
          }),
          stats: async () => ({
            cpu_stats: { cpu_usage: { total_usage: c.cpu * 1e9 } },
            memory_stats: { usage: GB, stats: { inactive_file: 0 } }
          })
        };
      },
      df: async () => ({
        Volumes: [{ Name: 'envhub-home-ada--lab', UsageData: { Size: 5 * GB } }]
      })
    } as unknown as Docker;
  }

  test('samples become per-day rows, the peak and storage; servers over quota stop at the boundary', async () => {
    const store = new Store(':memory:');
    store.saveServer({
      owner: 'ada',
      name: 'lab',
      repo: 'r',
      ref: 'main',
      commit: 'c',
      image: 'i',
      ticket: 't',
      spec: { repo: 'r', name: 'lab' },
      createdAt: '2026-11-01T00:00:00Z',
      updatedAt: '2026-11-01T00:00:00Z'
    });
    const containers = [{ id: 'c1', user: 'ada', server: 'lab', cpu: 3600 }];
    let now = NOW;
    const stopped: string[] = [];
    const quotas = new Quotas(
      settings({ user: { cpuHours: 1 }, stopAt: 'hour' }),
      (users, from) => usageTotals(store, users, from),
      async () => [],
      () => now
    );
    const recorder = new UsageRecorder(
      [engine(containers)],
      store,
      {
        stopServer: async (user, server) => (
          stopped.push(`${user}/${server}`),
          true
        )
      },
      quotas,
      {
        namePrefix: 'envhub',
        intervalMs: 60_000,
        storageEveryMs: 3_600_000,
        now: () => now
      }
    );
    await recorder.sweep();
    expect(store.usageDays('2026-11-01')).toEqual([
      {
        day: '2026-11-20',
        owner: 'ada',
        server: 'lab',
        cpuHours: 1,
        gbHours: 1 / 60,
        runningHours: 1 / 60
      }
    ]);
    expect(store.peakDays('2026-11-01')).toEqual([
      { day: '2026-11-20', servers: 1 }
    ]);
    expect(store.latestStorage()).toEqual([
      {
        day: '2026-11-20',
        owner: 'ada',
        volume: 'envhub-home-ada--lab',
        server: 'lab',
        bytes: 5 * GB
      }
    ]);
    expect(recorder.runningServers).toBe(1);
    // Over quota since 10:30: still running at 10:59, stopped once 11:00 has passed.
    expect(stopped).toEqual([]);
    now = at('2026-11-20T10:59:00Z');
    await recorder.sweep();
    expect(stopped).toEqual([]);
    now = at('2026-11-20T11:00:30Z');
    containers[0].cpu = 3700;
    await recorder.sweep();
    expect(stopped).toEqual(['ada/lab']);
  });

  test("a swarm's engines are read together; one that does not answer leaves only its servers out", async () => {
    const store = new Store(':memory:');
    for (const [owner, name] of [
      ['ada', 'lab'],
      ['bob', 'nb']
    ])
      store.saveServer({
        owner,
        name,
        repo: 'r',
        ref: 'main',
        commit: 'c',
        image: 'i',
        ticket: `t-${name}`,
        spec: { repo: 'r', name },
        createdAt: '2026-11-01T00:00:00Z',
        updatedAt: '2026-11-01T00:00:00Z'
      });
    const node1 = engine([{ id: 'c1', user: 'ada', server: 'lab', cpu: 60 }]);
    const node2 = engine([{ id: 'c2', user: 'bob', server: 'nb', cpu: 120 }]);
    // bob's home is on node 2; a network volume driver would show ada's on both.
    node2.df = async () => ({
      Volumes: [
        { Name: 'envhub-home-ada--lab', UsageData: { Size: 1 * GB } },
        { Name: 'envhub-home-bob--nb', UsageData: { Size: 3 * GB } }
      ]
    });
    let answering = true;
    const listed = node2.listContainers.bind(node2);
    node2.listContainers = (async (options: object) => {
      if (!answering) throw new Error('connect ECONNREFUSED /run/n2.sock');
      return listed(options);
    }) as typeof node2.listContainers;
    const recorder = new UsageRecorder(
      [node1, node2],
      store,
      { stopServer: async () => true },
      new Quotas(
        settings({}),
        () => ({ cpuHours: 0, gbHours: 0, storageGb: 0 }),
        async () => []
      ),
      {
        namePrefix: 'envhub',
        intervalMs: 60_000,
        storageEveryMs: 3_600_000,
        now: () => NOW
      }
    );
    await recorder.sweep();
    const cpu = () =>
      Object.fromEntries(
        store.usageDays('2026-11-01').map(row => [row.owner, row.cpuHours])
      );
    expect(cpu()).toEqual({ ada: 60 / 3600, bob: 120 / 3600 });
    expect(recorder.runningServers).toBe(2);
    expect(
      store.latestStorage().map(row => [row.volume, row.bytes / GB])
    ).toEqual([
      ['envhub-home-ada--lab', 5],
      ['envhub-home-bob--nb', 3]
    ]);
    answering = false;
    await recorder.sample();
    expect(recorder.runningServers).toBe(1);
  });
});

describe('the usage pages', () => {
  test('My usage plots the days per server and the month against the quota, and says what is over', async () => {
    const store = storeWith();
    const quotas = new Quotas(
      settings({ user: { cpuHours: 2, gbHours: 100 } }),
      (users, from) => usageTotals(store, users, from),
      async () => [],
      () => NOW
    );
    const page = await myUsagePage(
      '/services/envhub/',
      userReport(store, 'ada', NOW, 30),
      await quotas.status('ada'),
      5000
    );
    const figure = (id: string) =>
      new RegExp(
        `<figure class="envhub-plot" id="${id}">([\\s\\S]*?)</figure>`
      ).exec(page)?.[1] ?? '';
    // Vega-Lite's SVG with one bar per day with usage, and one per quota.
    const bars = (svg: string) =>
      (svg.match(/<path[^>]*aria-roledescription="bar"/g) ?? []).length;
    expect(bars(figure('envhub-cpu-plot'))).toBe(2);
    expect(bars(figure('envhub-quota-plot'))).toBe(2);
    expect(page).toContain(
      'Over quota: you have used 3.00 of your 2 CPU-hours this month; the quota resets on 2026-12-01 00:00 UTC.'
    );
    expect(page).toContain('href="/services/envhub/api/usage?format=csv"');
    expect(page).toContain('read from the container engine every 5 seconds.');
  });

  test('the sampling interval is said in words', () => {
    expect(everyInterval(60_000)).toBe('every minute');
    expect(everyInterval(300_000)).toBe('every 5 minutes');
    expect(everyInterval(1000)).toBe('every second');
    expect(everyInterval(90_000)).toBe('every 90 seconds');
  });
});
