import { jest } from '@jest/globals';
import { EnvhubError } from '../../src/errors.js';
import type { HubServer } from '../../src/hub/hubClient.js';
import {
  Reaper,
  reapReason,
  type ReapedServer
} from '../../src/launches/reaper.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number) =>
  new Date(NOW.getTime() - seconds * 1000).toISOString();

function server(fields: Partial<HubServer>): HubServer {
  return {
    name: 's',
    ready: true,
    pending: null,
    stopped: false,
    url: '/user/u/s/',
    user_options: {},
    started: ago(60),
    last_activity: ago(60),
    ...fields
  };
}

/** A hub that knows `servers` (by `owner/name`) and records stops; a server named `broken` fails to answer. */
function fakeHub(servers: Record<string, HubServer>) {
  const stops: string[] = [];
  return {
    stops,
    getServer: async (owner: string, name: string) => {
      if (name === 'broken')
        throw new EnvhubError(
          502,
          'hub_error',
          'the Hub refused to describe server: boom'
        );
      return servers[`${owner}/${name}`] ?? null;
    },
    stopServer: async (owner: string, name: string) => {
      stops.push(`${owner}/${name}`);
      return true;
    }
  };
}

describe('reapReason', () => {
  const limits = { idleTimeout: 600, maxAge: 3600 };

  test.each([
    ['in use and young', {}, null],
    ['idle longer than the timeout', { last_activity: ago(601) }, 'idle'],
    ['idle exactly the timeout', { last_activity: ago(600) }, null],
    [
      'started longer ago than the maximum age',
      { started: ago(3601), last_activity: ago(1) },
      'max-age'
    ],
    [
      'both idle and too old: the age limit is named',
      { started: ago(4000), last_activity: ago(4000) },
      'max-age'
    ],
    [
      'no activity recorded yet, started long ago',
      { started: ago(700), last_activity: null },
      'idle'
    ],
    [
      'no activity recorded yet, started just now',
      { started: ago(5), last_activity: null },
      null
    ],
    [
      'stopped',
      { ready: false, stopped: true, started: null, last_activity: ago(99999) },
      null
    ],
    [
      'still starting',
      {
        ready: false,
        pending: 'spawn',
        started: ago(99999),
        last_activity: ago(99999)
      },
      null
    ],
    [
      'stopping',
      {
        ready: false,
        pending: 'stop',
        started: ago(99999),
        last_activity: ago(99999)
      },
      null
    ],
    [
      'with timestamps that cannot be read',
      { started: 'yesterday', last_activity: 'yesterday' },
      null
    ]
  ] as const)('a server %s → %s', (_, fields, expected) => {
    expect(reapReason(server(fields), limits, NOW)).toBe(expected);
  });

  test('a limit of 0 is no limit', () => {
    const ancient = server({
      started: ago(10 ** 7),
      last_activity: ago(10 ** 7)
    });
    expect(reapReason(ancient, { idleTimeout: 0, maxAge: 0 }, NOW)).toBeNull();
    expect(reapReason(ancient, { idleTimeout: 0, maxAge: 60 }, NOW)).toBe(
      'max-age'
    );
    expect(reapReason(ancient, { idleTimeout: 60, maxAge: 0 }, NOW)).toBe(
      'idle'
    );
  });
});

describe('Reaper.sweep', () => {
  const listed: ReapedServer[] = [
    { owner: 'ada', name: 'idle', idleTimeout: 300, maxAge: 0 },
    { owner: 'ada', name: 'busy', idleTimeout: 300, maxAge: 0 },
    { owner: 'bob', name: 'broken', idleTimeout: 300, maxAge: 0 },
    { owner: 'bob', name: 'old', idleTimeout: 0, maxAge: 3600 },
    { owner: 'bob', name: 'gone', idleTimeout: 1, maxAge: 1 },
    { owner: 'cy', name: 'unlimited', idleTimeout: 0, maxAge: 0 },
    { owner: 'cy', name: 'stopped', idleTimeout: 1, maxAge: 1 }
  ];
  const servers = {
    'ada/idle': server({ last_activity: ago(301) }),
    'ada/busy': server({ started: ago(10 ** 6), last_activity: ago(10) }),
    'bob/old': server({ started: ago(3601), last_activity: ago(1) }),
    'cy/unlimited': server({
      started: ago(10 ** 6),
      last_activity: ago(10 ** 6)
    }),
    'cy/stopped': server({
      ready: false,
      stopped: true,
      started: null,
      last_activity: ago(10 ** 6)
    })
  };

  test('stops exactly the servers past a limit, carrying on past one that fails', async () => {
    const hub = fakeHub(servers);
    const reaper = new Reaper(hub, () => listed, {
      intervalMs: 1000,
      now: () => NOW
    });
    expect(await reaper.sweep()).toEqual([
      { owner: 'ada', name: 'idle', reason: 'idle' },
      { owner: 'bob', name: 'old', reason: 'max-age' }
    ]);
    expect(hub.stops).toEqual(['ada/idle', 'bob/old']);
  });

  test('a failed stop is skipped, and the next server is still reaped', async () => {
    const hub = fakeHub(servers);
    hub.stopServer = async (owner: string, name: string) => {
      if (name === 'idle')
        throw new EnvhubError(
          502,
          'hub_error',
          'the Hub refused to stop server'
        );
      hub.stops.push(`${owner}/${name}`);
      return true;
    };
    const reaper = new Reaper(hub, () => listed, {
      intervalMs: 1000,
      now: () => NOW
    });
    expect(await reaper.sweep()).toEqual([
      { owner: 'bob', name: 'old', reason: 'max-age' }
    ]);
  });

  test('the clock decides: the same server is kept now and stopped later', async () => {
    let now = NOW;
    const hub = fakeHub({
      'ada/idle': server({ started: ago(0), last_activity: ago(0) })
    });
    const reaper = new Reaper(
      hub,
      () => [{ owner: 'ada', name: 'idle', idleTimeout: 600, maxAge: 0 }],
      { intervalMs: 1000, now: () => now }
    );
    expect(await reaper.sweep()).toEqual([]);
    now = new Date(NOW.getTime() + 601_000);
    expect(await reaper.sweep()).toEqual([
      { owner: 'ada', name: 'idle', reason: 'idle' }
    ]);
  });

  test('servers without limits are not even looked up', async () => {
    const hub = fakeHub(servers);
    const getServer = jest.fn(hub.getServer);
    const reaper = new Reaper(
      { ...hub, getServer },
      () => [{ owner: 'cy', name: 'unlimited', idleTimeout: 0, maxAge: 0 }],
      { intervalMs: 1000, now: () => NOW }
    );
    expect(await reaper.sweep()).toEqual([]);
    expect(getServer).not.toHaveBeenCalled();
  });
});

describe('Reaper timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('sweeps every interval after start, and no more after stop', async () => {
    const hub = fakeHub({ 'ada/idle': server({ last_activity: ago(301) }) });
    const listServers = jest.fn(() => [
      { owner: 'ada', name: 'idle', idleTimeout: 300, maxAge: 0 }
    ]);
    const reaper = new Reaper(hub, listServers, {
      intervalMs: 1000,
      now: () => NOW
    });
    reaper.start();
    expect(listServers).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1000);
    expect(listServers).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(listServers).toHaveBeenCalledTimes(2);
    reaper.stop();
    await jest.advanceTimersByTimeAsync(5000);
    expect(listServers).toHaveBeenCalledTimes(2);
    expect(hub.stops).toEqual(['ada/idle', 'ada/idle']);
  });
});
