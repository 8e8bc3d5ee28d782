import { Mount } from '@envhub/schema';
import { Signal, ISignal } from '@lumino/signaling';

import {
  EnvhubRequestError,
  FetchFunction,
  IEnvhubConnection,
  getBuild,
  getServer,
  setCollaborators,
  setMounts
} from './client';
import {
  IEnvhubBuild,
  IEnvhubError,
  IEnvhubModel,
  IEnvhubServer,
  IEnvhubState,
  IHubContext
} from './tokens';

/** Shown when the page does not run under JupyterHub. */
export const NOT_ENVHUB = 'This server was not started by envhub.';

/** Shown for the user's default (unnamed) server. */
export const DEFAULT_SERVER =
  'This server was not started by envhub: it is your default server, and envhub only starts named servers.';

/**
 * The environment of this server: loads it (and its image's build) from the envhub
 * service and emits `changed` on every state change (loading, ready, error).
 */
export class EnvhubModel implements IEnvhubModel {
  /**
   * @param options where the page runs, and optionally the `fetch` to use.
   */
  constructor(options: EnvhubModel.IOptions) {
    this._context = options.context;
    this._fetch = options.fetch;
    const reason = unavailableReason(this._context);
    this._state = {
      status: reason ? 'unavailable' : 'loading',
      server: null,
      build: null,
      error: null,
      reason
    };
  }

  /** Where the page runs. */
  get context(): IHubContext {
    return this._context;
  }

  /** How to reach the envhub service, for requests beyond the model's. */
  get connection(): IEnvhubConnection {
    const { serviceUrl, token } = this._context;
    return { serviceUrl, token, fetch: this._fetch };
  }

  /** The current state. */
  get state(): IEnvhubState {
    return this._state;
  }

  /** Emitted with the new state whenever it changes. */
  get changed(): ISignal<IEnvhubModel, IEnvhubState> {
    return this._changed;
  }

  /**
   * Load the server's record from the service. Makes no request when envhub
   * does not apply to this page. When refreshes overlap, the last one wins.
   */
  async refresh(): Promise<void> {
    if (this._state.status === 'unavailable') {
      return;
    }
    const generation = ++this._generation;
    this._setState({ ...this._state, status: 'loading', error: null });
    const { serverUser, serverName } = this._context;
    try {
      const server = await getServer(this.connection, serverUser, serverName);
      const build = await this._buildOf(server);
      if (generation === this._generation) {
        this._setState({ ...this._state, status: 'ready', server, build });
      }
    } catch (reason) {
      if (generation === this._generation) {
        this._setState({
          ...this._state,
          status: 'error',
          error: toError(reason)
        });
      }
    }
  }

  /**
   * Replace the server's collaborators; the service applies them at once as Hub shares.
   *
   * @throws {EnvhubRequestError} when the service refuses (unknown names, not the owner);
   *   the state is left as it was.
   */
  async setCollaborators(users: string[], groups: string[]): Promise<void> {
    const { serverUser, serverName } = this._context;
    const server = await setCollaborators(
      this.connection,
      serverUser,
      serverName,
      {
        users,
        groups
      }
    );
    // Answers of refreshes started before this change are out of date.
    ++this._generation;
    this._setState({ ...this._state, status: 'ready', server, error: null });
  }

  /**
   * Replace the server's mounts; the service applies them at the server's next start.
   *
   * @throws {EnvhubRequestError} when the service refuses (unknown or closed volumes,
   *   invalid paths, not the owner); the state is left as it was.
   */
  async setMounts(mounts: Mount[]): Promise<IEnvhubServer> {
    const { serverUser, serverName } = this._context;
    const server = await setMounts(
      this.connection,
      serverUser,
      serverName,
      mounts
    );
    ++this._generation;
    this._setState({ ...this._state, status: 'ready', server, error: null });
    return server;
  }

  /** The build of the server's image; null when there is none or the viewer may not read it. */
  private async _buildOf(server: IEnvhubServer): Promise<IEnvhubBuild | null> {
    if (!server.buildId) {
      return null;
    }
    const known = this._state.build;
    // A finished build does not change.
    if (known?.id === server.buildId && known.status !== 'running') {
      return known;
    }
    try {
      return await getBuild(this.connection, server.buildId);
    } catch {
      return null;
    }
  }

  private _setState(state: IEnvhubState): void {
    this._state = state;
    this._changed.emit(state);
  }

  private readonly _context: IHubContext;
  private readonly _fetch: FetchFunction | undefined;
  private _state: IEnvhubState;
  private _generation = 0;
  private readonly _changed = new Signal<IEnvhubModel, IEnvhubState>(this);
}

/**
 * A namespace for EnvhubModel statics.
 */
export namespace EnvhubModel {
  /**
   * Options to build a model.
   */
  export interface IOptions {
    /** Where the page runs (see `readHubContext`). */
    context: IHubContext;
    /** Defaults to the global `fetch`. */
    fetch?: FetchFunction;
  }
}

function unavailableReason(context: IHubContext): string {
  if (!context.user) {
    return NOT_ENVHUB;
  }
  if (!context.serverName) {
    return DEFAULT_SERVER;
  }
  return '';
}

/**
 * A failure as the panel shows it.
 */
export function toError(reason: unknown): IEnvhubError {
  if (reason instanceof EnvhubRequestError) {
    return {
      status: reason.status,
      code: reason.code,
      message: reason.message
    };
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return { status: 0, code: 'unexpected', message };
}
