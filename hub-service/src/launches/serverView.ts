import type { EnvironmentSpec } from '@envhub/schema';
import type { HubClient } from '../hub/hubClient.js';
import type { ServerRecord, Store } from '../store/store.js';

/** A server as the API and pages show it: envhub's record joined with the Hub's state. */
export interface ServerView {
  owner: string;
  name: string;
  displayName: string;
  repoUrl: string;
  ref: string;
  commit: string;
  image: string;
  createdAt: string;
  /** `running`, `stopped`, `pending spawn`, `pending stop`, or `missing` (the Hub no longer has it). */
  state: string;
  url: string | null;
  /** The latest build of this server's image, for its log. */
  buildId: string | null;
  spec: EnvironmentSpec;
}

export async function describeServer(hub: HubClient, store: Store, record: ServerRecord): Promise<ServerView> {
  const server = await hub.getServer(record.owner, record.name);
  const state = !server ? 'missing' : server.ready ? 'running' : server.pending ? `pending ${server.pending}` : 'stopped';
  return {
    owner: record.owner,
    name: record.name,
    displayName: record.spec.displayName ?? record.name,
    repoUrl: record.repo,
    ref: record.ref,
    commit: record.commit,
    image: record.image,
    createdAt: record.createdAt,
    state,
    url: server?.url ?? null,
    buildId: store.latestBuild(record.image)?.id ?? null,
    spec: record.spec
  };
}
