import { Mount } from '@envhub/schema';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
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

/** How often an active model asks the service again (the idle stop moves with activity). */
export const REFRESH_INTERVAL = 30_000;

/**
 * The environment of this server: loads it (and its image's build) from the envhub
 * service and emits `changed` on every state change (loading, ready, error).
 *
 * A `Poll` asks again every `REFRESH_INTERVAL` while the model is active and ready; it
 * stands by otherwise, and while the page is hidden.
 */
export class EnvhubModel implements IEnvhubModel {
  /**
   * @param options where the page runs, and optionally the `fetch` and translator to use.
   */
  constructor(options: EnvhubModel.IOptions) {
    this._context = options.context;
    this._fetch = options.fetch;
    const trans = (options.translator ?? nullTranslator).load('envhub');
    const reason = unavailableReason(this._context, trans);
    this._state = {
      status: reason ? 'unavailable' : 'loading',
      server: null,
      build: null,
      error: null,
      reason
    };
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: {
        interval: options.refreshInterval ?? REFRESH_INTERVAL,
        backoff: false
      },
      name: '@envhub/lab-extension:EnvhubModel#poll',
      // A failed or running load is not repeated on a timer: the user reloads.
      standby: () =>
        !this._isActive || this._state.status !== 'ready' || 'when-hidden'
    });
    if (!reason) {
      void this._poll.start();
    }
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop asking the service, and disconnect every listener.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Whether something shows the model: it asks again periodically only while active.
   * Becoming active asks at once when the state is `ready`.
   */
  get isActive(): boolean {
    return this._isActive;
  }
  set isActive(value: boolean) {
    if (this._isActive === value) {
      return;
    }
    this._isActive = value;
    if (value && this._state.status === 'ready') {
      void this.refresh();
    }
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
   * Load the server's record from the service, active or not. Makes no request when
   * envhub does not apply to this page, or once disposed. When refreshes overlap,
   * the last one wins.
   */
  refresh(): Promise<void> {
    return this._load();
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

  /** One load of the server and its build; the poll's factory, and `refresh()`. */
  private async _load(): Promise<void> {
    if (this._isDisposed || this._state.status === 'unavailable') {
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
    if (this._isDisposed) {
      return;
    }
    this._state = state;
    this._changed.emit(state);
  }

  private readonly _context: IHubContext;
  private readonly _fetch: FetchFunction | undefined;
  private readonly _poll: Poll;
  private _state: IEnvhubState;
  private _generation = 0;
  private _isActive = false;
  private _isDisposed = false;
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
    /** Translates the messages the model makes; defaults to none. */
    translator?: ITranslator;
    /** Milliseconds between the loads of an active model; defaults to `REFRESH_INTERVAL`. */
    refreshInterval?: number;
  }
}

/** Why envhub does not apply to this page; empty when it does. */
function unavailableReason(
  context: IHubContext,
  trans: TranslationBundle
): string {
  if (!context.user) {
    return trans.__('This server was not started by envhub.');
  }
  if (!context.serverName) {
    return trans.__(
      'This server was not started by envhub: it is your default server, and envhub only starts named servers.'
    );
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
