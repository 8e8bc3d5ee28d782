import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  fetchAssignment,
  fetchFeedback,
  getClass,
  submitAssignment
} from './classClient';
import { EnvhubRequestError } from './client';
import { toError } from './model';
import { PolledModel } from './polledModel';
import {
  ClassAction,
  IClassModel,
  IClassSnapshot,
  ISubmissionView
} from './tokens';

/** How often an active class model asks again: each ask reaches the envhub service. */
export const CLASS_REFRESH_INTERVAL = 60_000;

/**
 * The class of this server and its nbgrader assignments, from the envhub server extension
 * inside it.
 *
 * A `Poll` asks again every `CLASS_REFRESH_INTERVAL` while the model is active; it stands by
 * otherwise, while the page is hidden, and for good once the server says it was not launched
 * for a class (a server's class is set at its launch).
 */
export class ClassModel
  extends PolledModel<IClassSnapshot>
  implements IClassModel
{
  /**
   * @param options the Lab page's server settings (base URL, token, `fetch`).
   */
  constructor(options: ClassModel.IOptions) {
    super({
      initial: {
        status: 'idle',
        class: null,
        assignments: [],
        nbgrader: true,
        error: null,
        running: {},
        receipts: {},
        failures: {}
      },
      name: '@envhub/lab-extension:ClassModel#poll',
      interval: options.refreshInterval ?? CLASS_REFRESH_INTERVAL
    });
    this._settings = options.serverSettings;
    this.startPolling();
  }

  /** nbgrader's Formgrader in this server. */
  get formgraderUrl(): string {
    return URLExt.join(this._settings.baseUrl, 'formgrader');
  }

  /** Fetch an assignment into this server, then refresh. */
  fetchAssignment(assignment: string): Promise<string> {
    return this._run(assignment, 'fetch', () =>
      fetchAssignment(this._settings, assignment)
    );
  }

  /** Submit the fetched assignment and keep its receipt, then refresh. */
  submitAssignment(assignment: string): Promise<ISubmissionView> {
    return this._run(assignment, 'submit', async () => {
      const receipt = await submitAssignment(this._settings, assignment);
      this.setState({
        ...this.state,
        receipts: { ...this.state.receipts, [assignment]: receipt }
      });
      return receipt;
    });
  }

  /** Fetch the released feedback of an assignment, then refresh. */
  fetchFeedback(assignment: string): Promise<string[]> {
    return this._run(assignment, 'feedback', () =>
      fetchFeedback(this._settings, assignment)
    );
  }

  protected async fetchState(): Promise<Partial<IClassSnapshot>> {
    const listing = await getClass(this._settings);
    this._noClass = listing.class === null;
    return {
      class: listing.class,
      assignments: listing.assignments,
      nbgrader: listing.nbgrader
    };
  }

  protected failedState(reason: unknown): Partial<IClassSnapshot> {
    // A server extension without the class API will not grow one before the server restarts.
    this._noClass =
      reason instanceof EnvhubRequestError && reason.status === 404;
    return { error: toError(reason).message };
  }

  protected standsBy(): boolean {
    return this._noClass;
  }

  /**
   * Run one request for an assignment: it shows in `state.running` while it runs, its
   * failure in `state.failures`; the class is asked again afterwards, as it changed.
   */
  private async _run<T>(
    assignment: string,
    action: ClassAction,
    request: () => Promise<T>
  ): Promise<T> {
    const { running, failures } = this.state;
    if (running[assignment]) {
      throw new EnvhubRequestError(
        409,
        'busy',
        `A request for ${assignment} is running already; wait for it to finish.`
      );
    }
    const failed = { ...failures };
    delete failed[assignment];
    this.setState({
      ...this.state,
      running: { ...running, [assignment]: action },
      failures: failed
    });
    try {
      return await request();
    } catch (reason) {
      this.setState({
        ...this.state,
        failures: {
          ...this.state.failures,
          [assignment]: toError(reason).message
        }
      });
      throw reason;
    } finally {
      const left = { ...this.state.running };
      delete left[assignment];
      this.setState({ ...this.state, running: left });
      await this.refresh();
    }
  }

  private readonly _settings: ServerConnection.ISettings;
  private _noClass = false;
}

/**
 * A namespace for ClassModel statics.
 */
export namespace ClassModel {
  /**
   * Options to build a class model.
   */
  export interface IOptions {
    /** The Lab page's settings: `app.serviceManager.serverSettings`. */
    serverSettings: ServerConnection.ISettings;
    /** Milliseconds between the loads of an active model; defaults to `CLASS_REFRESH_INTERVAL`. */
    refreshInterval?: number;
  }
}
