import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

/** The part of a model's state that loading drives. */
export interface ILoadedState {
  status: string;
  /** The last failure; cleared when a load starts. */
  error: unknown;
}

/**
 * A model that loads its state from a server and asks again with a `Poll` while it is active
 * (something shows it) and the page is visible; otherwise the poll stands by. Loads that overlap
 * keep the last one's answer; a disposed model makes no request and emits nothing.
 */
export abstract class PolledModel<
  S extends ILoadedState
> implements IDisposable {
  /**
   * @param options the state before the first load, the poll's name and interval.
   */
  constructor(options: PolledModel.IOptions<S>) {
    this._state = options.initial;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: { interval: options.interval, backoff: false },
      name: options.name,
      standby: () => !this._isActive || this.standsBy() || 'when-hidden'
    });
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Stop asking, and disconnect every listener. */
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
   * Becoming active asks at once, unless the model stands by.
   */
  get isActive(): boolean {
    return this._isActive;
  }
  set isActive(value: boolean) {
    if (this._isActive === value) {
      return;
    }
    this._isActive = value;
    if (value && !this.standsBy()) {
      void this.refresh();
    }
  }

  /** The current state. */
  get state(): S {
    return this._state;
  }

  /** Emitted with the new state whenever it changes. */
  get changed(): ISignal<this, S> {
    return this._changed;
  }

  /** Load again, active or not; when loads overlap, the last one wins. */
  refresh(): Promise<void> {
    return this._load();
  }

  /** Starts the poll (it stays in standby until the model is active). */
  protected startPolling(): void {
    void this._poll.start();
  }

  /** Whether the poll should stand by although the model is active (e.g. after a failure). */
  protected standsBy(): boolean {
    return false;
  }

  /** Whether loading applies at all; no request is made when it does not. */
  protected canLoad(): boolean {
    return true;
  }

  /** What one load adds to the state when it succeeds. */
  protected abstract fetchState(): Promise<Partial<S>>;

  /** What a failed load puts in the state. */
  protected abstract failedState(reason: unknown): Partial<S>;

  /** Sets a new state directly; answers of loads started before are then dropped. */
  protected replaceState(state: S): void {
    ++this._generation;
    this.setState(state);
  }

  protected setState(state: S): void {
    if (this._isDisposed) {
      return;
    }
    this._state = state;
    this._changed.emit(state);
  }

  private async _load(): Promise<void> {
    if (this._isDisposed || !this.canLoad()) {
      return;
    }
    const generation = ++this._generation;
    this.setState({ ...this._state, status: 'loading', error: null });
    try {
      const loaded = await this.fetchState();
      if (generation === this._generation) {
        this.setState({ ...this._state, status: 'ready', ...loaded });
      }
    } catch (reason) {
      if (generation === this._generation) {
        this.setState({
          ...this._state,
          status: 'error',
          ...this.failedState(reason)
        });
      }
    }
  }

  private readonly _poll: Poll;
  private _state: S;
  private _generation = 0;
  private _isActive = false;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, S>(this);
}

/**
 * A namespace for PolledModel statics.
 */
export namespace PolledModel {
  /**
   * Options of a polled model.
   */
  export interface IOptions<S> {
    /** The state before the first load. */
    initial: S;
    /** The poll's name, for debugging. */
    name: string;
    /** Milliseconds between the loads of an active model. */
    interval: number;
  }
}
