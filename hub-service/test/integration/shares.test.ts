import { jest } from '@jest/globals';
import type { HubClient } from '../../src/hub/hubClient.js';
import {
  checkCollaborators,
  resyncGroupShares,
  syncCollaborators
} from '../../src/launches/shares.js';
import { GitServer } from '../support/gitServer.js';
import {
  buildUrl,
  hubApi,
  hubUrl,
  readEventStream,
  tokenFor
} from '../support/hubSession.js';
import { serviceHubClient } from '../support/serviceHub.js';

// Runs against the real JupyterHub + envhub + Docker engine that deploy/test.sh starts.
jest.setTimeout(240_000);

const stamp = Date.now().toString(36);
const owner = `sh-${stamp}`;
const bob = `sh-${stamp}-b`;
const cy = `sh-${stamp}-c`;
const group = `sh-${stamp}-g`;
const server = 'shared';
let hub: HubClient;
let admin: string;
let git: GitServer;

/**
 * What `user` gets from the owner's server. Each probe uses a new token: the single-user server
 * caches what a token may do for minutes, and the Hub's answer is what is being tested.
 */
async function statusFor(user: string): Promise<number> {
  const response = await fetch(`${hubUrl}/user/${owner}/${server}/api/status`, {
    headers: { Authorization: `token ${await tokenFor(user)}` }
  });
  return response.status;
}

async function sharedWith(): Promise<string[]> {
  return (await hub.listShares(owner, server))
    .map(share =>
      share.user ? `user:${share.user.name}` : `group:${share.group?.name}`
    )
    .sort();
}

beforeAll(async () => {
  const ownerToken = await tokenFor(owner);
  // Users exist on the Hub once they have signed in.
  await tokenFor(bob);
  await tokenFor(cy);
  admin = await tokenFor('admin');
  hub = await serviceHubClient();
  git = await GitServer.start();
  await git.commit('shares', { 'README.md': '# shared\n' });
  const { events } = await readEventStream(
    buildUrl(git.url('shares'), 'main', { name: server }),
    ownerToken
  );
  expect(events[events.length - 1]).toMatchObject({ phase: 'ready' });
});

afterAll(async () => {
  await hubApi(admin, `/groups/${group}`, { method: 'DELETE' });
  await git.stop();
});

test('a collaborator reaches the server only once it is shared with them', async () => {
  expect([403, 404]).toContain(await statusFor(bob));
  expect(
    await syncCollaborators(hub, owner, server, { users: [bob], groups: [] })
  ).toEqual({ added: [`user:${bob}`], removed: [] });
  expect(await statusFor(bob)).toBe(200);
  const [share] = await hub.listShares(owner, server);
  expect(share.scopes).toEqual([`access:servers!server=${owner}/${server}`]);
  // The owner reaches their server anyway and is never listed as a share.
  expect(
    await syncCollaborators(hub, owner, server, {
      users: [bob, owner, bob],
      groups: []
    })
  ).toEqual({ added: [], removed: [] });
  expect(await sharedWith()).toEqual([`user:${bob}`]);
});

test('an unknown user or group refuses the whole sync, naming them, and changes nothing', async () => {
  const ghost = `ghost-${stamp}`;
  await expect(
    syncCollaborators(hub, owner, server, { users: [cy, ghost], groups: [] })
  ).rejects.toMatchObject({
    status: 400,
    code: 'unknown_collaborator',
    message: expect.stringMatching(
      new RegExp(`"${ghost}".*signed in to the hub once`)
    )
  });
  await expect(
    syncCollaborators(hub, owner, server, {
      users: [],
      groups: [`${group}-none`]
    })
  ).rejects.toMatchObject({
    status: 400,
    code: 'unknown_collaborator',
    message: expect.stringMatching(
      new RegExp(`"${group}-none".*group must exist`)
    )
  });
  expect(await sharedWith()).toEqual([`user:${bob}`]);
  expect(await statusFor(cy)).not.toBe(200);
  // The same check alone, for a launch to refuse before it builds or starts anything.
  await expect(
    checkCollaborators(hub, owner, { users: [ghost] })
  ).rejects.toMatchObject({ code: 'unknown_collaborator' });
  await expect(
    checkCollaborators(hub, owner, { users: [bob, cy] })
  ).resolves.toBeUndefined();
});

test('a group share is granted with the default scope; shares not asked for are revoked', async () => {
  const created = await hubApi(admin, `/groups/${group}`, {
    method: 'POST',
    body: JSON.stringify({ users: [cy] })
  });
  expect(created.status).toBe(201);
  // The group's current members are shared with one by one too (JupyterHub 6.1 ignores group shares in tokens).
  expect(
    await syncCollaborators(hub, owner, server, { users: [], groups: [group] })
  ).toEqual({
    added: [`user:${cy}`, `group:${group}`],
    removed: [`user:${bob}`]
  });
  const shares = await hub.listShares(owner, server);
  expect(shares.find(share => share.kind === 'group')).toMatchObject({
    group: { name: group },
    scopes: [`access:servers!server=${owner}/${server}`]
  });
  expect([403, 404]).toContain(await statusFor(bob));
});

test('members of a shared group reach the server', async () => {
  expect(await statusFor(cy)).toBe(200);
});

test('a resync follows the group: a member who joins gets in, one who leaves loses access', async () => {
  const servers = [
    { owner, name: server, collaborators: { users: [], groups: [group] } },
    // Skipped: no groups, or not a server the Hub has.
    { owner, name: 'no-such-server', collaborators: { groups: [group] } },
    { owner, name: server, collaborators: { users: [bob] } }
  ];
  expect(await resyncGroupShares(hub, servers)).toBe(0);
  expect(
    (
      await hubApi(admin, `/groups/${group}/users`, {
        method: 'POST',
        body: JSON.stringify({ users: [bob] })
      })
    ).status
  ).toBe(200);
  expect(
    (
      await hubApi(admin, `/groups/${group}/users`, {
        method: 'DELETE',
        body: JSON.stringify({ users: [cy] })
      })
    ).status
  ).toBe(200);
  expect(await resyncGroupShares(hub, servers)).toBe(2);
  expect(await sharedWith()).toEqual([`group:${group}`, `user:${bob}`]);
  expect(await statusFor(bob)).toBe(200);
  expect([403, 404]).toContain(await statusFor(cy));
  // Back as it was for the tests below.
  await hubApi(admin, `/groups/${group}/users`, {
    method: 'POST',
    body: JSON.stringify({ users: [cy] })
  });
  await hubApi(admin, `/groups/${group}/users`, {
    method: 'DELETE',
    body: JSON.stringify({ users: [bob] })
  });
  expect(await resyncGroupShares(hub, servers)).toBe(2);
});

test('shares are read across pages', async () => {
  await syncCollaborators(hub, owner, server, {
    users: [bob],
    groups: [group]
  });
  expect(
    (await hub.listShares(owner, server, 1)).map(s => s.kind).sort()
  ).toEqual(['group', 'user', 'user']);
});

test('syncing to nobody revokes every share', async () => {
  const changes = await syncCollaborators(hub, owner, server, {
    users: [],
    groups: []
  });
  expect({ ...changes, removed: changes.removed.sort() }).toEqual({
    added: [],
    removed: [`group:${group}`, `user:${bob}`, `user:${cy}`].sort()
  });
  expect(await sharedWith()).toEqual([]);
  expect([403, 404]).toContain(await statusFor(bob));
  expect([403, 404]).toContain(await statusFor(cy));
});
