import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/**
 * A server as the envhub service describes it:
 * `GET services/envhub/api/servers/<owner>/<name>`.
 */
export interface IEnvhubServer {
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
  /** Path of the server, e.g. `/user/alice/x/`. */
  url: string;
}

/**
 * The body of every refusal from the envhub service.
 */
export interface IEnvhubErrorBody {
  status: number;
  code: string;
  message: string;
}

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
 * - `unavailable`: this server was not started by envhub; no request is made.
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
  /** The last failure, when `status` is `error`. */
  error: IEnvhubError | null;
  /** Why envhub does not apply, when `status` is `unavailable`. */
  reason: string;
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
 * The environment of this server, as envhub knows it.
 */
export interface IEnvhubModel {
  /** The current state. */
  readonly state: IEnvhubState;
  /** Emitted whenever `state` changes. */
  readonly changed: ISignal<IEnvhubModel, IEnvhubState>;
  /** Ask the service again; resolves when the state has settled. */
  refresh(): Promise<void>;
}

/**
 * The envhub model, for other plugins (share, fork, relaunch) to build on.
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
}
