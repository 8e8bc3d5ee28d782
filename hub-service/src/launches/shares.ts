import type { Collaborators } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import type { HubClient, ShareTarget } from '../hub/hubClient.js';
import { log } from '../log.js';

/** What a sync changed, as `user:<name>` and `group:<name>` entries. */
export interface ShareChanges {
  added: string[];
  removed: string[];
}

type SharesHub = Pick<
  HubClient,
  | 'listShares'
  | 'share'
  | 'revokeShare'
  | 'userExists'
  | 'groupExists'
  | 'groupMembers'
>;

const label = (target: ShareTarget) =>
  'user' in target ? `user:${target.user}` : `group:${target.group}`;

/** The collaborators without duplicates, and without the owner (who reaches their server anyway). */
function wantedCollaborators(
  owner: string,
  collaborators: Collaborators
): { users: string[]; groups: string[] } {
  return {
    users: [...new Set(collaborators.users ?? [])].filter(
      name => name !== owner
    ),
    groups: [...new Set(collaborators.groups ?? [])]
  };
}

/**
 * Refuses collaborators the Hub does not know, naming every one of them. A launch calls this before
 * it builds or starts anything, since shares can only be granted once the Hub has the server.
 */
export async function checkCollaborators(
  hub: Pick<HubClient, 'userExists' | 'groupExists'>,
  owner: string,
  collaborators: Collaborators
): Promise<void> {
  const { users, groups } = wantedCollaborators(owner, collaborators);
  const [userFound, groupFound] = await Promise.all([
    Promise.all(users.map(name => hub.userExists(name))),
    Promise.all(groups.map(name => hub.groupExists(name)))
  ]);
  const unknownUsers = users.filter((_, i) => !userFound[i]);
  const unknownGroups = groups.filter((_, i) => !groupFound[i]);
  if (unknownUsers.length === 0 && unknownGroups.length === 0) return;
  const quoted = (names: string[]) => names.map(name => `"${name}"`).join(', ');
  const problems = [
    ...(unknownUsers.length > 0
      ? [
          `no user named ${quoted(unknownUsers)} on this hub (a user must have signed in to the hub once before a server can be shared with them)`
        ]
      : []),
    ...(unknownGroups.length > 0
      ? [
          `no group named ${quoted(unknownGroups)} on this hub (the group must exist; a hub admin creates it)`
        ]
      : [])
  ];
  throw new EnvhubError(
    400,
    'unknown_collaborator',
    `cannot share with collaborators: ${problems.join('; ')}`
  );
}

/**
 * Makes the Hub's shares of `owner/server` exactly `collaborators`: new ones get the Hub's default
 * share (access to that server), missing ones are revoked. Every name is checked before anything
 * changes, so an unknown user or group refuses the whole sync.
 */
export async function syncCollaborators(
  hub: SharesHub,
  owner: string,
  server: string,
  collaborators: Collaborators = {}
): Promise<ShareChanges> {
  await checkCollaborators(hub, owner, collaborators);
  const { users: named, groups } = wantedCollaborators(owner, collaborators);
  // JupyterHub 6.1 leaves group shares out of a token's permissions (scopes.get_scopes_for adds only
  // a user's own shares), so members would be refused; each current member gets a share of their
  // own too. Members who join the group later get theirs at the next launch or sync.
  const members = (
    await Promise.all(groups.map(group => hub.groupMembers(group)))
  ).flat();
  const users = [...new Set([...named, ...members])].filter(
    name => name !== owner
  );
  const wanted: ShareTarget[] = [
    ...users.map(user => ({ user })),
    ...groups.map(group => ({ group }))
  ];
  const current = (await hub.listShares(owner, server)).flatMap(
    (share): ShareTarget[] =>
      share.user
        ? [{ user: share.user.name }]
        : share.group
          ? [{ group: share.group.name }]
          : []
  );
  const currentLabels = new Set(current.map(label));
  const wantedLabels = new Set(wanted.map(label));
  const toAdd = wanted.filter(target => !currentLabels.has(label(target)));
  const toRemove = current.filter(target => !wantedLabels.has(label(target)));

  for (const target of toAdd) await hub.share(owner, server, target);
  for (const target of toRemove) await hub.revokeShare(owner, server, target);
  const changes = { added: toAdd.map(label), removed: toRemove.map(label) };
  if (toAdd.length > 0 || toRemove.length > 0)
    log.info('shares.synced', { owner, server, ...changes });
  return changes;
}

/**
 * Keeps the shares of servers shared with groups in step with the groups' members: syncs each
 * server the Hub has, so that members who joined since get a share of their own and members who
 * left lose theirs (see syncCollaborators). Returns how many shares changed; a failing server is
 * logged and skipped.
 */
export async function resyncGroupShares(
  hub: SharesHub & Pick<HubClient, 'getServer'>,
  servers: Array<{ owner: string; name: string; collaborators?: Collaborators }>
): Promise<number> {
  let changed = 0;
  for (const { owner, name, collaborators } of servers) {
    if (!collaborators?.groups?.length) continue;
    try {
      if (!(await hub.getServer(owner, name))) continue;
      const changes = await syncCollaborators(hub, owner, name, collaborators);
      changed += changes.added.length + changes.removed.length;
    } catch (err) {
      log.warn('shares.resync_failed', {
        owner,
        server: name,
        error: (err as Error).message
      });
    }
  }
  return changed;
}
