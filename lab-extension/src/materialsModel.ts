import { ServerConnection } from '@jupyterlab/services';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  diffMaterial,
  getMaterials,
  pullMaterials,
  restoreMaterial
} from './materialsClient';
import { toError } from './model';
import {
  IMaterialsDiff,
  IMaterialsModel,
  IMaterialsSnapshot,
  MaterialsPullEvent
} from './tokens';

/** How often an active materials model asks again: each ask fetches every upstream. */
export const MATERIALS_REFRESH_INTERVAL = 60_000;

/**
 * The course materials of this server, from the envhub server extension inside it.
 *
 * A `Poll` asks again every `MATERIALS_REFRESH_INTERVAL` while the model is active; it
 * stands by otherwise, and while the page is hidden.
 */
export class MaterialsModel implements IMaterialsModel {
  /**
   * @param options the Lab page's server settings (base URL, token, `fetch`).
   */
  constructor(options: MaterialsModel.IOptions) {
    this._settings = options.serverSettings;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: {
        interval: options.refreshInterval ?? MATERIALS_REFRESH_INTERVAL,
        backoff: false
      },
      name: '@envhub/lab-extension:MaterialsModel#poll',
      standby: () => !this._isActive || 'when-hidden'
    });
    void this._poll.start();
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stop asking the server, and disconnect every listener. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Whether something shows the model; becoming active asks at once. */
  get isActive(): boolean {
    return this._isActive;
  }
  set isActive(value: boolean) {
    if (this._isActive === value) {
      return;
    }
    this._isActive = value;
    if (value) {
      void this.refresh();
    }
  }

  /** The current state. */
  get state(): IMaterialsSnapshot {
    return this._state;
  }

  /** Emitted with the new state whenever it changes. */
  get changed(): ISignal<IMaterialsModel, IMaterialsSnapshot> {
    return this._changed;
  }

  /** Ask the server again, active or not; when refreshes overlap, the last one wins. */
  refresh(): Promise<void> {
    return this._load();
  }

  /** Pull one entry, its output in `state.logs[index]`; then refresh. */
  async pull(index: number, backup = false): Promise<MaterialsPullEvent> {
    const output: string[] = [];
    const log = (line: string): void => {
      output.push(line);
      this._setState({
        ...this._state,
        logs: { ...this._state.logs, [index]: [...output] }
      });
    };
    this._setState({
      ...this._state,
      pulling: index,
      logs: { ...this._state.logs, [index]: [] }
    });
    try {
      const final = await pullMaterials(this._settings, index, backup, event =>
        log(event.phase === 'syncing' ? event.output : (event.message ?? ''))
      );
      return final;
    } catch (reason) {
      log(toError(reason).message);
      throw reason;
    } finally {
      this._setState({ ...this._state, pulling: null });
      await this.refresh();
    }
  }

  /** Put the upstream version of one file back, keeping the user's copy; then refresh. */
  async restore(
    index: number,
    file: string
  ): Promise<{ restored: string; keptAs: string | null }> {
    const result = await restoreMaterial(this._settings, index, file);
    await this.refresh();
    return result;
  }

  /** How one file differs from its upstream version; changes nothing. */
  diff(index: number, file: string): Promise<IMaterialsDiff> {
    return diffMaterial(this._settings, index, file);
  }

  private async _load(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    const generation = ++this._generation;
    this._setState({ ...this._state, status: 'loading', error: null });
    try {
      const entries = await getMaterials(this._settings);
      if (generation === this._generation) {
        this._setState({ ...this._state, status: 'ready', entries });
      }
    } catch (reason) {
      if (generation === this._generation) {
        this._setState({
          ...this._state,
          status: 'error',
          error: toError(reason).message
        });
      }
    }
  }

  private _setState(state: IMaterialsSnapshot): void {
    if (this._isDisposed) {
      return;
    }
    this._state = state;
    this._changed.emit(state);
  }

  private readonly _settings: ServerConnection.ISettings;
  private readonly _poll: Poll;
  private _state: IMaterialsSnapshot = {
    status: 'idle',
    entries: [],
    error: null,
    pulling: null,
    logs: {}
  };
  private _generation = 0;
  private _isActive = false;
  private _isDisposed = false;
  private readonly _changed = new Signal<IMaterialsModel, IMaterialsSnapshot>(
    this
  );
}

/**
 * A namespace for MaterialsModel statics.
 */
export namespace MaterialsModel {
  /**
   * Options to build a materials model.
   */
  export interface IOptions {
    /** The Lab page's settings: `app.serviceManager.serverSettings`. */
    serverSettings: ServerConnection.ISettings;
    /** Milliseconds between the loads of an active model; defaults to `MATERIALS_REFRESH_INTERVAL`. */
    refreshInterval?: number;
  }
}
