import {
  badgeSnippets,
  launchPath,
  type PublicAccessView,
  type ServerUsageView,
  type ServerView
} from '@envhub/schema';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import { ALLOWED, serverRelation } from '../policy/access.js';
import { effectiveResources, type SiteConfig } from '../policy/siteConfig.js';

export type { ServerView };
import type { ServerRecord, Store } from '../store/store.js';
import type { Volumes } from '../volumes/volumes.js';
import { monthStart, type Quotas, type QuotaStatus } from '../usage/quotas.js';
import { serverTotals } from '../usage/reports.js';

/** Where links point and whose view it is. */
export interface ViewContext {
  origin: string;
  prefix: string;
  site: SiteConfig;
  viewer: HubUser;
  volumes: Volumes;
  quotas: Quotas;
  /** An owner's month against the quotas, read once per context however many servers it lists. */
  quotaStatus: (owner: string) => Promise<QuotaStatus>;
}

/** The context of one request by `viewer`. */
export function viewContext(
  deps: {
    publicOrigin: string;
    prefix: string;
    site: SiteConfig;
    volumes: Volumes;
    quotas: Quotas;
  },
  viewer: HubUser
): ViewContext {
  const statuses = new Map<string, Promise<QuotaStatus>>();
  return {
    origin: deps.publicOrigin,
    prefix: deps.prefix,
    site: deps.site,
    viewer,
    volumes: deps.volumes,
    quotas: deps.quotas,
    quotaStatus: owner => {
      if (!statuses.has(owner)) statuses.set(owner, deps.quotas.status(owner));
      return statuses.get(owner)!;
    }
  };
}

/** What `record` used this month, and its owner's month against the quotas. */
async function serverUsage(
  store: Store,
  record: ServerRecord,
  context: ViewContext
): Promise<ServerUsageView> {
  const from = monthStart(new Date()).toISOString().slice(0, 10);
  const { cpuHours, gbHours, runningHours } = serverTotals(
    store,
    record.owner,
    record.name,
    from
  );
  const status = await context.quotaStatus(record.owner);
  return {
    server: { cpuHours, gbHours, runningHours },
    owner: status.used,
    quota: status.quota,
    resetsAt: status.resetsAt,
    overQuota: status.breaches.map(b => b.message),
    stopAt: context.quotas.settings.stopAt,
    usageUrl: `${context.origin}${context.prefix}usage`
  };
}

const plus = (iso: string | null | undefined, seconds: number) =>
  iso && seconds > 0
    ? new Date(Date.parse(iso) + seconds * 1000).toISOString()
    : null;

/** The public page of `owner/name`, where visitors get temporary sessions. */
export const publicPagePath = (owner: string, name: string) =>
  `public/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

function publicAccess(
  store: Store,
  record: ServerRecord,
  context: ViewContext,
  badgeUrl: string
): PublicAccessView {
  const url = `${context.origin}${context.prefix}${publicPagePath(record.owner, record.name)}`;
  return {
    url,
    snippets: badgeSnippets(url, badgeUrl),
    visitors: store
      .allSessions()
      .filter(
        s =>
          s.owner === record.owner &&
          s.server === record.name &&
          s.claimedAt !== null
      ).length
  };
}

export async function describeServer(
  hub: HubClient,
  store: Store,
  record: ServerRecord,
  context: ViewContext
): Promise<ServerView> {
  const server = await hub.getServer(record.owner, record.name);
  const state = !server
    ? 'missing'
    : server.ready
      ? 'running'
      : server.pending
        ? `pending ${server.pending}`
        : 'stopped';
  const resources = effectiveResources(record.spec, context.site);
  // Whoever follows a shared link gets a server of their own: the owner's collaborators stay out of it.
  const launchUrl = `${context.origin}${context.prefix}${launchPath({ ...record.spec, collaborators: undefined })}`;
  const badgeUrl = `${context.origin}${context.prefix}badge.svg`;
  const running = server?.ready ? server : null;
  const canManage = ALLOWED['server.manage'].includes(
    serverRelation(context.viewer, record)
  );
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
    spec: record.spec,
    launchUrl,
    badgeUrl,
    snippets: badgeSnippets(launchUrl, badgeUrl),
    resources,
    stopsAt: {
      idle: plus(
        running?.last_activity ?? running?.started,
        resources.idleTimeout
      ),
      maxAge: plus(running?.started, resources.maxAge)
    },
    canManage,
    mounts: (
      await context.volumes.effectiveMounts(
        record.owner,
        record.spec.mounts ?? []
      )
    ).map(m => ({ ...m, problem: m.problem?.message ?? null })),
    mountsPending:
      running !== null &&
      (record.startedMounts ?? '[]') !==
        JSON.stringify(record.spec.mounts ?? []),
    public: record.spec.public
      ? publicAccess(store, record, context, badgeUrl)
      : null,
    usage: canManage ? await serverUsage(store, record, context) : null
  };
}
