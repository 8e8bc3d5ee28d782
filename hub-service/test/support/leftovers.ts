import Docker from 'dockerode';
import { send } from './http.js';

/** What to look at: the Docker objects of one name prefix, and what envhub and the Hub hold for some users. */
export interface Watched {
  hubUrl: string;
  /** The service's path on the hub, e.g. `/services/envhub/`. */
  servicePrefix: string;
  /** Containers, volumes and images whose names start with `${namePrefix}-`. */
  namePrefix: string;
  /** A Hub admin's token: reads users' servers and shares. */
  adminToken: string;
  /** The users whose envhub servers and volumes are compared, with a token of each. */
  tokens: Record<string, string>;
  /** Servers whose Hub shares (their collaborators, as the Hub applies them) are compared. */
  shared: Array<{ owner: string; server: string }>;
}

/** Everything a request could leave behind, by section and key; values are canonical JSON. */
export interface Snapshot {
  containers: Record<string, string>;
  dockerVolumes: Record<string, string>;
  images: Record<string, string>;
  /** envhub's server records, `owner/name`, as their users see them. */
  servers: Record<string, string>;
  /** envhub's shared volumes, by name. */
  volumes: Record<string, string>;
  /** The Hub's server entries, `user/name`, stopped ones included. */
  hubServers: Record<string, string>;
  /** The Hub's shares of each watched server, `owner/server`. */
  shares: Record<string, string>;
}

/** One difference between two snapshots. */
export interface Change {
  section: keyof Snapshot;
  key: string;
  before?: string;
  after?: string;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v).sort(([a], [b]) => a.localeCompare(b))
        )
      : v
  );

async function getJson(
  base: string,
  path: string,
  token: string
): Promise<any> {
  const response = await send(base, path, {
    headers: { Authorization: `token ${token}` }
  });
  if (response.status !== 200)
    throw new Error(
      `GET ${path} answered ${response.status}: ${response.text.slice(0, 200)}`
    );
  return response.json;
}

/**
 * Takes a cheap snapshot (a few Docker list calls and one envhub and Hub request per user) of what
 * envhub, the Hub and the Docker engine hold, for before/after comparisons.
 */
export async function snapshot(
  watched: Watched,
  docker = new Docker()
): Promise<Snapshot> {
  const prefix = `${watched.namePrefix}-`;
  const users = Object.keys(watched.tokens);
  const [containers, dockerVolumes, images, views, hubUsers, shares] =
    await Promise.all([
      docker.listContainers({ all: true, filters: { name: [prefix] } }),
      docker.listVolumes({ filters: { name: [prefix] } }),
      docker.listImages({ filters: { reference: [`${prefix}*`] } }),
      Promise.all(
        users.map(async user => ({
          servers: (
            await getJson(
              watched.hubUrl,
              `${watched.servicePrefix}api/servers`,
              watched.tokens[user]
            )
          ).servers as any[],
          volumes: (
            await getJson(
              watched.hubUrl,
              `${watched.servicePrefix}api/volumes`,
              watched.tokens[user]
            )
          ).volumes as any[]
        }))
      ),
      Promise.all(
        users.map(user =>
          getJson(
            watched.hubUrl,
            `/hub/api/users/${encodeURIComponent(user)}?include_stopped_servers=1`,
            watched.adminToken
          )
        )
      ),
      Promise.all(
        watched.shared.map(({ owner, server }) =>
          getJson(
            watched.hubUrl,
            `/hub/api/shares/${owner}/${server}`,
            watched.adminToken
          ).catch(() => null)
        )
      )
    ]);
  const taken: Snapshot = {
    containers: {},
    dockerVolumes: {},
    images: {},
    servers: {},
    volumes: {},
    hubServers: {},
    shares: {}
  };
  for (const c of containers) {
    for (const name of c.Names.map(n => n.replace(/^\//, '')).filter(n =>
      n.startsWith(prefix)
    ))
      taken.containers[name] = canonical({ image: c.Image });
  }
  for (const v of dockerVolumes.Volumes ?? [])
    if (v.Name.startsWith(prefix)) taken.dockerVolumes[v.Name] = '{}';
  for (const image of images)
    for (const tag of image.RepoTags ?? [])
      if (tag.startsWith(prefix))
        taken.images[tag] = canonical({ id: image.Id });
  for (const { servers, volumes } of views) {
    for (const s of servers) {
      const {
        owner,
        name,
        displayName,
        repoUrl,
        ref,
        commit,
        image,
        state,
        spec
      } = s;
      taken.servers[`${owner}/${name}`] = canonical({
        displayName,
        repoUrl,
        ref,
        commit,
        image,
        state,
        spec
      });
    }
    for (const v of volumes)
      taken.volumes[v.name] = canonical({ owner: v.owner, members: v.members });
  }
  hubUsers.forEach((model, i) => {
    for (const [name, server] of Object.entries(
      (model.servers ?? {}) as Record<string, any>
    )) {
      taken.hubServers[`${users[i]}/${name}`] = canonical({
        ready: server.ready,
        stopped: server.stopped,
        pending: server.pending
      });
    }
  });
  watched.shared.forEach(({ owner, server }, i) => {
    const items = (shares[i]?.items ?? []) as Array<{
      user?: { name: string } | null;
      group?: { name: string } | null;
    }>;
    taken.shares[`${owner}/${server}`] = canonical(
      items
        .map(s => (s.user ? `user:${s.user.name}` : `group:${s.group?.name}`))
        .sort()
    );
  });
  return taken;
}

/**
 * What changed from `before` to `after`; removals from the sections in `ignoreRemovals` are left
 * out (e.g. Docker objects of other tests that share the prefix, which their servers' stops remove).
 */
export function changes(
  before: Snapshot,
  after: Snapshot,
  ignoreRemovals: Array<keyof Snapshot> = []
): Change[] {
  const found: Change[] = [];
  for (const section of Object.keys(before) as Array<keyof Snapshot>) {
    const keys = new Set([
      ...Object.keys(before[section]),
      ...Object.keys(after[section])
    ]);
    for (const key of [...keys].sort()) {
      const removed = after[section][key] === undefined;
      if (removed && ignoreRemovals.includes(section)) continue;
      if (before[section][key] !== after[section][key])
        found.push({
          section,
          key,
          before: before[section][key],
          after: after[section][key]
        });
    }
  }
  return found;
}

/** A change as one line, e.g. `+ hubServers alice/x {"ready":false,…}`; a changed value shows its changed fields. */
export function describeChange(change: Change): string {
  const { section, key, before, after } = change;
  if (before === undefined) return `+ ${section} ${key} ${after}`;
  if (after === undefined) return `- ${section} ${key}`;
  const [from, to] = [JSON.parse(before), JSON.parse(after)];
  if (
    !from ||
    !to ||
    typeof from !== 'object' ||
    typeof to !== 'object' ||
    Array.isArray(from)
  ) {
    return `~ ${section} ${key}: ${before} → ${after}`;
  }
  const fields = [
    ...new Set([...Object.keys(from), ...Object.keys(to)])
  ].filter(field => canonical(from[field]) !== canonical(to[field]));
  return `~ ${section} ${key}: ${fields.map(field => `${field} ${canonical(from[field])} → ${canonical(to[field])}`).join(', ')}`;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Removes what appeared since `baseline`: envhub servers and volumes (through envhub, as their
 * owners), Hub server entries (as the admin), then any container, volume or image of the watched
 * prefix left over. Returns what it could not remove.
 */
export async function removeCreated(
  watched: Watched,
  baseline: Snapshot,
  docker = new Docker()
): Promise<string[]> {
  const problems: string[] = [];
  const now = await snapshot(watched, docker);
  const created = (section: keyof Snapshot) =>
    Object.keys(now[section]).filter(
      key => baseline[section][key] === undefined
    );
  const tokenOf = (user: string) => watched.tokens[user] ?? watched.adminToken;
  for (const key of created('servers')) {
    const [owner, name] = key.split('/');
    const response = await send(
      watched.hubUrl,
      `${watched.servicePrefix}api/servers/${owner}/${name}`,
      {
        method: 'DELETE',
        headers: { Authorization: `token ${tokenOf(owner)}` }
      }
    );
    if (response.status !== 204)
      problems.push(`deleting server ${key} answered ${response.status}`);
  }
  for (const key of created('volumes')) {
    const owner = JSON.parse(now.volumes[key]).owner as string;
    const response = await send(
      watched.hubUrl,
      `${watched.servicePrefix}api/volumes/${encodeURIComponent(key)}`,
      {
        method: 'DELETE',
        headers: { Authorization: `token ${tokenOf(owner)}` }
      }
    );
    if (response.status !== 204)
      problems.push(`deleting volume ${key} answered ${response.status}`);
  }
  for (const key of created('hubServers')) {
    const slash = key.indexOf('/');
    const [user, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const path = name
      ? `/hub/api/users/${user}/servers/${encodeURIComponent(name)}`
      : `/hub/api/users/${user}/server`;
    for (let i = 0; i < 60; i++) {
      const model = await getJson(
        watched.hubUrl,
        `/hub/api/users/${user}?include_stopped_servers=1`,
        watched.adminToken
      );
      const server = model.servers?.[name];
      if (!server) break;
      // A pending spawn or stop must end before the entry can go.
      if (!server.pending)
        await send(watched.hubUrl, path, {
          method: 'DELETE',
          json: name ? { remove: true } : undefined,
          headers: { Authorization: `token ${watched.adminToken}` }
        });
      // The default server has no entry to remove; it only has to be stopped.
      if (!name && server.stopped && !server.pending) break;
      await sleep(500);
    }
  }
  const prefix = `${watched.namePrefix}-`;
  for (const name of created('containers'))
    await docker
      .getContainer(name)
      .remove({ force: true, v: false })
      .catch(err => problems.push(`container ${name}: ${err.message}`));
  for (const name of created('dockerVolumes')) {
    if (name.startsWith(prefix))
      await docker
        .getVolume(name)
        .remove()
        .catch(err => problems.push(`volume ${name}: ${err.message}`));
  }
  for (const tag of created('images')) {
    if (tag.startsWith(prefix))
      await docker
        .getImage(tag)
        .remove({ force: true, noprune: false })
        .catch(err => problems.push(`image ${tag}: ${err.message}`));
  }
  return problems;
}
