import type {
  AssignmentView,
  BadgeSnippets,
  BuildView,
  ClassView,
  CredentialBody,
  CredentialView,
  EffectiveResources,
  ErrorBody,
  LaunchEvent,
  Mount,
  PublicAccessView,
  ServerView,
  SubmissionView,
  VolumeView
} from '@envhub/schema';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

/** Copy-ready README snippets showing the badge and linking to a launch URL. */
export type IBadgeSnippets = BadgeSnippets;

/** The resources a server runs with: its spec's within the site's defaults. */
export type IEnvhubResources = EffectiveResources;

/** A server as the envhub service describes it: `GET services/envhub/api/servers/<owner>/<name>`. */
export type IEnvhubServer = ServerView;

/** How visitors reach a public server: its public page, that page's badge, visitors now. */
export type IPublicAccess = PublicAccessView;

/** A shared volume as the envhub service describes it: `GET services/envhub/api/volumes/<name>`. */
export type IEnvhubVolume = VolumeView;

/** A build of an image: `GET services/envhub/api/builds/<id>`. */
export type IEnvhubBuild = BuildView;

/** One event of the BinderHub-compatible launch stream. */
export type ILaunchEvent = LaunchEvent;

/** The body of every refusal from the envhub service. */
export type IEnvhubErrorBody = ErrorBody;

/** One of the viewer's stored credentials, as `GET services/envhub/api/credentials` lists it: never its secret. */
export type ICredential = CredentialView;

/** What `PUT services/envhub/api/credentials/<host>` stores: a user name and a token or app password. */
export type ICredentialBody = CredentialBody;

/**
 * Where this Lab page runs, as JupyterHub told it through PageConfig.
 */
export interface IHubContext {
  /** The user looking at this page (`hubUser`); empty when not under JupyterHub. */
  user: string;
  /** The user owning this server (`hubServerUser`, else `hubUser`). */
  serverUser: string;
  /** The named server's name (`hubServerName`); empty for the default server. */
  serverName: string;
  /** Base URL of the envhub service, ending in `/services/envhub/`. */
  serviceUrl: string;
  /** The page token (`PageConfig.getToken()`). */
  token: string;
}

/**
 * What the environment panel can be showing.
 *
 * - `unavailable`: this server was not started by envhub, or is a visitor's temporary
 *   session of a public server (`publicSession`); no request is made.
 * - `loading`: a request is under way.
 * - `ready`: `server` holds the service's answer.
 * - `error`: `error` holds what went wrong.
 */
export type EnvhubStatus = 'unavailable' | 'loading' | 'ready' | 'error';

/**
 * A snapshot of the model.
 */
export interface IEnvhubState {
  status: EnvhubStatus;
  /** The last server loaded; kept while reloading. */
  server: IEnvhubServer | null;
  /** The build of the server's image, when the viewer may read it. */
  build: IEnvhubBuild | null;
  /** The last failure, when `status` is `error`. */
  error: IEnvhubError | null;
  /** Why envhub does not apply, when `status` is `unavailable`. */
  reason: string;
  /**
   * The public server (`<owner>/<name>`) this server is a visitor's temporary session of;
   * null in any other server. A visitor may not ask the envhub service anything.
   */
  publicSession: string | null;
  /**
   * The viewer's stored credentials (the viewer's own, also in a shared server), loaded with
   * the server; null until they are.
   */
  credentials: ICredential[] | null;
  /** Why the credentials could not be loaded; the server shows regardless. */
  credentialsError: IEnvhubError | null;
}

/**
 * A failure the panel can show: HTTP status (0 when the service could not be reached),
 * the service's stable code and its human message.
 */
export interface IEnvhubError {
  status: number;
  code: string;
  message: string;
}

/**
 * The environment of this server, as envhub knows it, and the viewer's stored credentials.
 *
 * While it is active (something shows it) and its state is `ready`, the model asks the
 * service again every 30 s, so that the time left follows the server's activity; it stands
 * by otherwise, and while the page is hidden. Each load asks for the credentials too.
 * Disposing of it stops asking.
 */
export interface IEnvhubModel extends IDisposable {
  /** Where the page runs. */
  readonly context: IHubContext;
  /** The current state. */
  readonly state: IEnvhubState;
  /** Emitted whenever `state` changes. */
  readonly changed: ISignal<IEnvhubModel, IEnvhubState>;
  /**
   * Whether something shows the model (the panel, while it is visible). Becoming active
   * asks the service again at once when the state is `ready`.
   */
  isActive: boolean;
  /** Ask the service again, whether active or not; resolves when the state has settled. */
  refresh(): Promise<void>;
  /**
   * Replace the server's collaborators (applied at once as Hub shares).
   *
   * @throws {EnvhubRequestError} when the service refuses; the state is kept.
   */
  setCollaborators(users: string[], groups: string[]): Promise<void>;
  /**
   * Replace the server's mounts (applied at its next start).
   *
   * @returns the server as the service describes it now.
   * @throws {EnvhubRequestError} when the service refuses; the state is kept.
   */
  setMounts(mounts: Mount[]): Promise<IEnvhubServer>;
  /**
   * Make the server public (anyone with its public link gets a temporary session of it), or
   * stop its public access.
   *
   * @returns the server as the service describes it now.
   * @throws {EnvhubRequestError} when the service refuses; the state is kept.
   */
  setPublic(value: boolean): Promise<IEnvhubServer>;
  /**
   * Store the viewer's credential for `host` (replacing theirs for that host), then load the
   * credentials again. The token is sent once and kept nowhere in the model.
   *
   * @param host a host name, with `:port` when the port is not the scheme's default.
   * @returns the credential as the service lists it.
   * @throws {EnvhubRequestError} when the service refuses; the credentials are kept.
   */
  setCredential(host: string, body: ICredentialBody): Promise<ICredential>;
  /**
   * Remove the viewer's credential for `host`, then load the credentials again.
   *
   * @throws {EnvhubRequestError} when the service refuses; the credentials are kept.
   */
  removeCredential(host: string): Promise<void>;
}

/**
 * The envhub model, for other plugins to build on.
 */
export const IEnvhubModel = new Token<IEnvhubModel>(
  '@envhub/lab-extension:IEnvhubModel',
  'The environment of this server, as the envhub service describes it.'
);

/**
 * Command ids of the envhub extension.
 */
export namespace CommandIDs {
  /** Reload the environment from the envhub service. */
  export const refresh = 'envhub:refresh';
  /** Show the environment panel in the left sidebar. */
  export const openPanel = 'envhub:open-panel';
  /** Copy this environment's launch link or badge. */
  export const share = 'envhub:share';
  /** Copy a link opening the current notebook in this environment. */
  export const shareNotebook = 'envhub:share-notebook';
  /** Launch a new server from this one's spec, with changes. */
  export const fork = 'envhub:fork';
  /** Re-resolve the ref, rebuild if needed and restart this server. */
  export const relaunch = 'envhub:relaunch';
  /** Edit this server's mounts (the owner), or show them (a collaborator). */
  export const mounts = 'envhub:mounts';
  /** Restart this server with the same image, applying changed mounts. */
  export const restart = 'envhub:restart';
  /** Show the build log of this server's image. */
  export const buildLog = 'envhub:build-log';
}

/**
 * Where a materials entry stands, as the server's `envhub/api/materials` reports it:
 * not pulled yet (`missing`), `up to date`, upstream commits not pulled (`behind`),
 * files changed here (`changed`), histories that cannot be merged (`diverged`), or `error`.
 */
export type MaterialsState =
  'missing' | 'up to date' | 'behind' | 'changed' | 'diverged' | 'error';

/**
 * One course-materials entry of this server: a git repository pulled into a folder of the
 * home as nbgitpuller pulls it (`GET <server>/envhub/api/materials`).
 */
export interface IMaterialsEntry {
  /** Its place in the list, for `…/materials/<index>/pull` and `…/restore`. */
  index: number;
  repo: string;
  /** The branch asked for; null for the repository's default branch. */
  ref: string | null;
  /** The branch pulled, when known. */
  branch: string | null;
  /** The folder, relative to the home. */
  path: string;
  state: MaterialsState;
  upstreamCommit: string | null;
  localCommit: string | null;
  /** Upstream commits not pulled yet; null when unknown. */
  behind: number | null;
  /** Files changed here since the last pull, relative to `path`. */
  changed: string[];
  /** Files whose conflicting lines were kept as the user's in the last pull. */
  conflicts: string[];
  /** Local files renamed aside to make way for new upstream files. */
  renamed: { from: string; to: string }[];
  /** Backup folders left by "backup and resync", relative to the home. */
  backups: string[];
  lastPull: { at: string; ok: boolean; message: string } | null;
  /** Whether upstream could not be reached (the state is the one known here). */
  offline?: boolean;
  /** What the server has to say about the entry, if anything. */
  message?: string | null;
}

/**
 * One event of a materials pull stream (`POST <server>/envhub/api/materials/<index>/pull`).
 */
export type MaterialsPullEvent =
  | { phase: 'syncing'; index: number; output: string }
  | { phase: 'finished'; index: number; message?: string }
  | { phase: 'error'; index: number; message: string; code?: string };

/**
 * How one file of an entry differs from its upstream version
 * (`GET <server>/envhub/api/materials/<index>/diff?file=…`).
 */
export interface IMaterialsDiff {
  /** The file, relative to the entry's folder. */
  file: string;
  /** The upstream commit compared with: the last one pulled, whose version *Restore* puts back. */
  upstreamCommit: string;
  /**
   * The unified diff of the upstream version against the user's file (`git diff`):
   * `-` lines are upstream's, `+` lines the user's; empty when they are the same.
   */
  diff: string;
}

/**
 * A snapshot of the course materials of this server.
 */
export interface IMaterialsSnapshot {
  /** `idle` until first asked; `error` when the last request failed. */
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** The entries last loaded; kept while reloading. */
  entries: IMaterialsEntry[];
  /** The last failure, when `status` is `error`. */
  error: string | null;
  /** The index of the entry being pulled, or null. */
  pulling: number | null;
  /** The output of the last pull of each entry since the page loaded, by index. */
  logs: Record<number, string[]>;
}

/**
 * The course materials of this server, from the envhub server extension inside it.
 * Like `IEnvhubModel`, it asks again periodically only while active.
 */
export interface IMaterialsModel extends IDisposable {
  readonly state: IMaterialsSnapshot;
  /** Emitted whenever `state` changes. */
  readonly changed: ISignal<IMaterialsModel, IMaterialsSnapshot>;
  /** Whether something shows the model; becoming active asks at once. */
  isActive: boolean;
  /** Ask the server again; resolves when the state has settled. */
  refresh(): Promise<void>;
  /**
   * Pull one entry, collecting its output in `state.logs`, then refresh.
   *
   * @param backup keep the folder as a backup and clone afresh ("backup and resync").
   * @returns the final event (`finished` or `error`).
   * @throws {EnvhubRequestError} when the server refuses the pull (e.g. another one runs).
   */
  pull(index: number, backup?: boolean): Promise<MaterialsPullEvent>;
  /**
   * Put the upstream version of one file back, keeping the user's copy beside it; then refresh.
   *
   * @param file relative to the entry's folder.
   * @returns the file restored, and where the user's copy was kept (null when it equalled upstream).
   * @throws {EnvhubRequestError} when the server refuses.
   */
  restore(
    index: number,
    file: string
  ): Promise<{ restored: string; keptAs: string | null }>;
  /**
   * How one file differs from its upstream version (the one *Restore* puts back).
   *
   * @param file relative to the entry's folder.
   * @throws {EnvhubRequestError} when the server refuses (e.g. 404: not an upstream file).
   */
  diff(index: number, file: string): Promise<IMaterialsDiff>;
}

/** A class as the envhub service describes it to one of its members. */
export type IClassView = ClassView;

/** A released assignment of the class, as the envhub service describes it to the caller. */
export type IAssignmentView = AssignmentView;

/** One submission: the envhub service's receipt. */
export type ISubmissionView = SubmissionView;

/**
 * What this server holds of an assignment (`local` in `GET <server>/envhub/api/class`).
 */
export interface IAssignmentLocal {
  /** Whether the assignment was fetched into this server. */
  fetched: boolean;
  /** Its folder, relative to the server's root; null when not fetched. */
  path: string | null;
  /** The feedback fetched into this server: the submission it is for, and its html file. */
  feedback: { timestamp: string; path: string }[];
}

/**
 * An assignment of the class, with what this server holds of it.
 */
export interface IClassAssignment extends IAssignmentView {
  local: IAssignmentLocal;
}

/**
 * The class this server was launched for (`GET <server>/envhub/api/class`).
 */
export interface IClassListing {
  /** Null when the server was not launched for a class. */
  class: IClassView | null;
  assignments: IClassAssignment[];
  /** Whether the environment has nbgrader, which fetching and submitting need. */
  nbgrader: boolean;
}

/** What can be asked of one assignment: fetch it, submit it, or fetch its feedback. */
export type ClassAction = 'fetch' | 'submit' | 'feedback';

/**
 * A snapshot of the class of this server.
 */
export interface IClassSnapshot {
  /** `idle` until first asked; `error` when the last request failed. */
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** The class, once known; null when the server was not launched for one. */
  class: IClassView | null;
  /** The assignments last loaded; kept while reloading. */
  assignments: IClassAssignment[];
  /** Whether the environment has nbgrader (assumed until the server says otherwise). */
  nbgrader: boolean;
  /** The last failure to load, when `status` is `error`. */
  error: string | null;
  /** The request running for an assignment, by assignment id. */
  running: Record<string, ClassAction>;
  /** The receipt of the last submission made from this page, by assignment id. */
  receipts: Record<string, ISubmissionView>;
  /** Why the last request for an assignment failed, by assignment id; cleared by the next one. */
  failures: Record<string, string>;
}

/**
 * The class of this server and its nbgrader assignments, from the envhub server extension
 * inside it. Like `IEnvhubModel`, it asks again periodically only while active.
 */
export interface IClassModel extends IDisposable {
  readonly state: IClassSnapshot;
  /** Emitted whenever `state` changes. */
  readonly changed: ISignal<IClassModel, IClassSnapshot>;
  /** Whether something shows the model; becoming active asks at once. */
  isActive: boolean;
  /** nbgrader's Formgrader in this server (`<base_url>formgrader`), for instructors. */
  readonly formgraderUrl: string;
  /** Ask the server again; resolves when the state has settled. */
  refresh(): Promise<void>;
  /**
   * Fetch an assignment into this server (`nbgrader fetch_assignment`), then refresh.
   *
   * @returns its folder, relative to the server's root.
   * @throws {EnvhubRequestError} when the server refuses, or a request for the assignment runs.
   */
  fetchAssignment(assignment: string): Promise<string>;
  /**
   * Submit the fetched assignment (`nbgrader submit`), keep its receipt in `state.receipts`,
   * then refresh.
   *
   * @throws {EnvhubRequestError} when the server refuses, or a request for the assignment runs.
   */
  submitAssignment(assignment: string): Promise<ISubmissionView>;
  /**
   * Fetch the released feedback of an assignment (`nbgrader fetch_feedback`), then refresh.
   *
   * @returns the html file of each feedback, relative to the server's root.
   * @throws {EnvhubRequestError} when the server refuses, or a request for the assignment runs.
   */
  fetchFeedback(assignment: string): Promise<string[]>;
}
