import { jest } from '@jest/globals';
import Docker from 'dockerode';
import type { HubClient } from '../../src/hub/hubClient.js';
import { Reaper } from '../../src/launches/reaper.js';
import { escapeName, homeVolumeName } from '../../src/naming.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  namePrefix,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';
import { serviceHubClient } from '../support/serviceHub.js';

// Runs against the real JupyterHub + envhub + Docker engine that deploy/test.sh starts.
jest.setTimeout(240_000);

const docker = new Docker();
const owner = `rp-${Date.now().toString(36)}`;
const server = 'reaped';
// DockerSpawner's default template, `{prefix}-{username}--{servername}`, with the name escaped.
const container = `${namePrefix}-${escapeName(owner)}--${escapeName(server)}`;
let hub: HubClient;
let git: GitServer;

beforeAll(async () => {
  const token = await tokenFor(owner);
  hub = await serviceHubClient();
  git = await GitServer.start();
  await git.commit('reaper', { 'README.md': '# reaped\n' });
  const { events } = await readEventStream(
    buildUrl(git.url('reaper'), 'main', { name: server }),
    token
  );
  expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
});

afterAll(async () => {
  await git.stop();
});

test('a server past its maximum age is stopped, its container goes and its home stays', async () => {
  expect(
    await docker.listContainers({ filters: { name: [container] } })
  ).toHaveLength(1);
  const limits = { idleTimeout: 0, maxAge: 1 };
  const reaper = new Reaper(hub, () => [{ owner, name: server, ...limits }], {
    intervalMs: 60_000
  });
  // Generous limits keep it: the Hub's timestamps are read, not ignored.
  const lenient = new Reaper(
    hub,
    () => [{ owner, name: server, idleTimeout: 3600, maxAge: 3600 }],
    { intervalMs: 60_000 }
  );
  expect(await lenient.sweep()).toEqual([]);

  await new Promise(resolve => setTimeout(resolve, 2000));
  expect(await reaper.sweep()).toEqual([
    { owner, name: server, reason: 'max-age' }
  ]);

  let state = await hub.getServer(owner, server);
  for (let i = 0; i < 60 && (state?.pending || !state?.stopped); i++) {
    await new Promise(resolve => setTimeout(resolve, 500));
    state = await hub.getServer(owner, server);
  }
  // Stopped, not removed: the Hub still knows the server, so a relaunch finds it.
  expect(state).toMatchObject({ ready: false, stopped: true, pending: null });
  expect(
    await docker.listContainers({ all: true, filters: { name: [container] } })
  ).toHaveLength(0);
  expect(
    (
      await docker
        .getVolume(homeVolumeName(namePrefix, owner, server))
        .inspect()
    ).Name
  ).toBe(homeVolumeName(namePrefix, owner, server));

  // A stopped server is left alone.
  expect(await reaper.sweep()).toEqual([]);
});
