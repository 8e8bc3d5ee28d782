/**
 * The envhub service's answers, as the service sends them and the lab extension reads them:
 * one declaration for both sides.
 */
import type { EnvironmentSpec, Mount } from './generated/environment.js';
import type { VolumeMembers } from './generated/volumeMembers.js';

/** Copy-ready README snippets showing the badge and linking to a launch URL. */
export interface BadgeSnippets {
  markdown: string;
  rst: string;
  html: string;
}

/** The resources a server runs with: its spec's within the hub's defaults. */
export interface EffectiveResources {
  /** e.g. `2G`. */
  memory: string;
  cpus: number;
  /** Seconds without activity before envhub stops the server; 0: never. */
  idleTimeout: number;
  /** Seconds after its start at which envhub stops the server; 0: never. */
  maxAge: number;
}

/** A server as `GET api/servers/<owner>/<name>` describes it: envhub's record joined with the Hub's state. */
export interface ServerView {
  /** Hub user who owns the server. */
  owner: string;
  /** Named-server name. */
  name: string;
  /** Name to show to people. */
  displayName: string;
  /** Git repository the environment was built from. */
  repoUrl: string;
  /** Ref the user asked for (branch, tag or commit). */
  ref: string;
  /** Commit the ref resolved to (40 hex digits). */
  commit: string;
  /** Image the server runs. */
  image: string;
  /** When envhub created the server (ISO 8601). */
  createdAt: string;
  /** `running`, `stopped`, `pending spawn`, `pending stop`, or `missing` (the Hub no longer has it). */
  state: string;
  /** Path of the server, e.g. `/user/alice/x/`. */
  url: string | null;
  /** The latest build of the server's image, for its log. */
  buildId: string | null;
  /** The full environment spec the server was launched with. */
  spec: EnvironmentSpec;
  /** Absolute canonical launch link of the spec (without the owner's collaborators). */
  launchUrl: string;
  /** Absolute URL of the badge image. */
  badgeUrl: string;
  /** README snippets for `launchUrl`. */
  snippets: BadgeSnippets;
  /** The resources in effect. */
  resources: EffectiveResources;
  /** When envhub will stop the running server for idleness or age, if nothing changes (ISO 8601). */
  stopsAt: { idle: string | null; maxAge: string | null };
  /** Whether the viewer may change the server (owner or admin), rather than only use it. */
  canManage: boolean;
  /**
   * The spec's mounts as the server's next start binds them: read-only also where the owner may only
   * read the volume, and `problem` saying why a mount would refuse the start (a missing or closed volume,
   * no credential for a WebDAV folder).
   */
  mounts: Array<
    Required<Mount> & {
      /** The WebDAV folder behind the volume (mounted with the owner's credential), or null. */
      webdav: string | null;
      problem: string | null;
    }
  >;
  /**
   * Whether the spec's mounts differ from those the running server started with: changed mounts
   * are applied at the next start.
   */
  mountsPending: boolean;
  /** How visitors reach it while it is public (`spec.public`); null while it is not. */
  public: PublicAccessView | null;
  /** What it used this month and its owner's quota; for the owner and admins only (null for others). */
  usage: ServerUsageView | null;
}

/** A server's usage this month (UTC), as the lab panel shows it, against its owner's quota. */
export interface ServerUsageView {
  /** This server this month: CPU-hours, memory × time (GB-hours) and hours running. */
  server: { cpuHours: number; gbHours: number; runningHours: number };
  /** Its owner's month, all servers, and the storage they hold now. */
  owner: { cpuHours: number; gbHours: number; storageGb: number };
  /** The owner's monthly quota (empty: none). */
  quota: { cpuHours?: number; gbHours?: number; storageGb?: number };
  /** When the month's quotas reset (ISO 8601). */
  resetsAt: string;
  /** What is over quota (the owner's, or a group's), each as a sentence; empty when nothing is. */
  overQuota: string[];
  /** When envhub stops a running server over quota: at the next full `hour`, the next UTC `day`, or `never`. */
  stopAt: 'hour' | 'day' | 'never';
  /** The owner's usage page. */
  usageUrl: string;
}

/** A public server's side for visitors who are not signed in. */
export interface PublicAccessView {
  /** Its public page, where anyone gets a temporary session of it. */
  url: string;
  /** README snippets of a badge linking to `url`. */
  snippets: BadgeSnippets;
  /** Visitors in temporary sessions of it now. */
  visitors: number;
}

/** A stored credential as `GET api/credentials` lists it: never its secret. */
export interface CredentialView {
  /** The host it is for: its name, with `:port` when the port is not the scheme's default. */
  host: string;
  username: string;
  createdAt: string;
  /** When envhub last used it (to fetch a repository, say); null: never. */
  lastUsedAt: string | null;
}

/** A temporary session of a public server, as `GET api/sessions` lists it. */
export interface SessionView {
  /** The temporary Hub user that runs it. */
  user: string;
  /** The public server it copies. */
  owner: string;
  server: string;
  image: string;
  createdAt: string;
  /** When a visitor got it; null while it waits in the warm pool. */
  claimedAt: string | null;
  /** The visitor's address, shown to admins only. */
  client?: string | null;
}

/** A shared volume as `GET api/volumes/<name>` describes it to someone who may use it. */
export interface VolumeView {
  /** The name mounts refer to (`mounts[].source`). */
  name: string;
  owner: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** A WebDAV folder's URL, which each user's servers reach with that user's own credential; null: a Docker volume. */
  webdav: string | null;
  members: VolumeMembers;
  /** The viewer's access: `owner` and `write` mount read-write, `read` read-only; null: none (an admin looking). */
  access: 'owner' | 'write' | 'read' | null;
  /** Whether the viewer may change its members or delete it (owner or admin). */
  canManage: boolean;
  /** The viewer's servers whose spec mounts it. */
  mountedBy: string[];
}

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The badge snippets (Markdown, reStructuredText, HTML) linking `badgeUrl` to `launchUrl`. */
export function badgeSnippets(
  launchUrl: string,
  badgeUrl: string
): BadgeSnippets {
  return {
    markdown: `[![Launch on envhub](${badgeUrl})](${launchUrl})`,
    rst: `.. image:: ${badgeUrl}\n   :target: ${launchUrl}\n   :alt: Launch on envhub`,
    html: `<a href="${escapeHtml(launchUrl)}"><img src="${escapeHtml(badgeUrl)}" alt="Launch on envhub"></a>`
  };
}

/** BinderHub's build and launch phases, in the order a launch passes through them. */
export type LaunchPhase =
  | 'waiting'
  | 'fetching'
  | 'building'
  | 'built'
  | 'launching'
  | 'ready'
  | 'failed';

/** One event of the BinderHub-compatible launch stream (`data: <json>` blocks of `GET build/…`). */
export interface LaunchEvent {
  phase: LaunchPhase;
  message?: string;
  imageName?: string;
  /** On `ready`: the named server's URL (with the path to open), and the BinderHub fields that describe the launch. */
  url?: string;
  image?: string;
  repo_url?: string;
  binder_ref_url?: string;
  binder_launch_host?: string;
  binder_request?: string;
  binder_persistent_request?: string;
}

/** Whether a launch stream ends with this event. */
export const isFinalEvent = (event: Pick<LaunchEvent, 'phase'>): boolean =>
  event.phase === 'ready' || event.phase === 'failed';

/** An image build and its kept log, as `GET api/builds/<id>` describes it. */
export interface BuildView {
  id: string;
  image: string;
  repo: string;
  ref: string;
  commit: string;
  /** The user whose launch started the build. */
  requestedBy: string;
  status: 'running' | 'built' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** The whole build log. */
  log: string;
}

/** How a build log marks a warning: a line of its own (what prints it may be in the log too). */
const WARNING_LINE = /^\[envhub\] warning: (.+)$/gm;

/** The warnings of a build log (packages left out, versions not honoured…), each once, in order. */
export function buildWarnings(log: string): string[] {
  return [...new Set([...log.matchAll(WARNING_LINE)].map(m => m[1].trim()))];
}

/** The stable code of every refusal the envhub service sends, grouped by what it is about. */
export type ErrorCode =
  // The request itself.
  | 'bad_request'
  | 'accept'
  | 'invalid_path'
  | 'invalid_body'
  | 'invalid_json'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'unsupported_charset'
  | 'unsupported_encoding'
  // Sign-in and access.
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'xsrf'
  | 'oauth_error'
  | 'oauth_state'
  // Specs and the hub's policy.
  | 'invalid_spec'
  | 'invalid_name'
  | 'invalid_members'
  | 'unknown_collaborator'
  | 'not_supported_yet'
  | 'over_cap'
  | 'under_minimum'
  | 'too_many_servers'
  | 'quota_exceeded'
  | 'too_many_volumes'
  | 'too_many_classes'
  | 'spec_differs'
  | 'name_taken'
  | 'launch_in_progress'
  // Repositories.
  | 'invalid_repo'
  | 'repo_scheme'
  | 'repo_credentials'
  | 'repo_host_unknown'
  | 'repo_host_refused'
  | 'repo_redirect_refused'
  | 'repo_redirect_unusable'
  | 'repo_too_many_redirects'
  | 'repo_unreachable'
  | 'invalid_ref'
  | 'invalid_commit'
  | 'ref_not_found'
  | 'fetch_failed'
  // Builds.
  | 'build_failed'
  | 'build_isolation_unavailable'
  | 'base_image_unavailable'
  | 'invalid_config'
  | 'unsupported_config'
  // Spawns and launch tickets.
  | 'bad_ticket'
  | 'not_launched'
  | 'user_options'
  | 'spawn_failed'
  | 'stop_pending'
  | 'server_config'
  | 'restarting'
  // Shared volumes.
  | 'volume_exists'
  | 'class_exists'
  | 'volume_in_use'
  | 'volume_create_failed'
  | 'class_create_failed'
  | 'no_such_volume'
  | 'volume_forbidden'
  // Public servers' temporary sessions.
  | 'too_many_sessions'
  | 'rate_limited'
  | 'session_failed'
  | 'session_cookie'
  | 'session_isolation_unavailable'
  // Credentials.
  | 'invalid_host'
  | 'no_credential'
  | 'private_repository'
  | 'credentials_unavailable'
  // WebDAV volumes.
  | 'invalid_webdav'
  | 'webdav_unavailable'
  | 'webdav_host_refused'
  | 'webdav_unreachable'
  | 'webdav_credential_refused'
  | 'webdav_not_found'
  | 'webdav_redirect'
  // The Hub and the service.
  | 'hub_unreachable'
  | 'hub_error'
  | 'hub_unsupported'
  | 'internal';

/** The body of every refusal from the envhub service: an HTTP status, a stable code and a message saying what to do. */
export interface ErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
}
