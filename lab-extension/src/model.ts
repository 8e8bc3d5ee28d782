import { Signal, ISignal } from '@lumino/signaling';

import { EnvhubRequestError, FetchFunction, getServer } from './client';
import {
  IEnvhubError,
  IEnvhubModel,
  IEnvhubState,
  IHubContext
} from './tokens';

/** Shown when the page does not run under JupyterHub. */
export const NOT_ENVHUB = 'This server was not started by envhub.';

/** Shown for the user's default (unnamed) server. */
export const DEFAULT_SERVER =
  'This server was not started by envhub: it is your default server, and envhub only starts named servers.';

/**
 * The environment of this server: loads it from the envhub service and
 * emits `changed` on every state change (loading, ready, error).
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
      error: null,
      reason
    };
  }

  /** Where the page runs. */
  get context(): IHubContext {
    return this._context;
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
    const { serviceUrl, token, serverUser, serverName } = this._context;
    try {
      const server = await getServer(
        { serviceUrl, token, fetch: this._fetch },
        serverUser,
        serverName
      );
      if (generation === this._generation) {
        this._setState({ ...this._state, status: 'ready', server });
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

function toError(reason: unknown): IEnvhubError {
  if (reason instanceof EnvhubRequestError) {
    return { status: reason.status, code: reason.code, message: reason.message };
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return { status: 0, code: 'unexpected', message };
}
