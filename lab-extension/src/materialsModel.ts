import { ServerConnection } from '@jupyterlab/services';

import {
  diffMaterial,
  getMaterials,
  pullMaterials,
  restoreMaterial
} from './materialsClient';
import { toError } from './model';
import { PolledModel } from './polledModel';
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
export class MaterialsModel
  extends PolledModel<IMaterialsSnapshot>
  implements IMaterialsModel
{
  /**
   * @param options the Lab page's server settings (base URL, token, `fetch`).
   */
  constructor(options: MaterialsModel.IOptions) {
    super({
      initial: {
        status: 'idle',
        entries: [],
        error: null,
        pulling: null,
        logs: {}
      },
      name: '@envhub/lab-extension:MaterialsModel#poll',
      interval: options.refreshInterval ?? MATERIALS_REFRESH_INTERVAL
    });
    this._settings = options.serverSettings;
    this.startPolling();
  }

  /** Pull one entry, its output in `state.logs[index]`; then refresh. */
  async pull(index: number, backup = false): Promise<MaterialsPullEvent> {
    const output: string[] = [];
    const log = (line: string): void => {
      output.push(line);
      this.setState({
        ...this.state,
        logs: { ...this.state.logs, [index]: [...output] }
      });
    };
    this.setState({
      ...this.state,
      pulling: index,
      logs: { ...this.state.logs, [index]: [] }
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
      this.setState({ ...this.state, pulling: null });
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

  protected async fetchState(): Promise<Partial<IMaterialsSnapshot>> {
    return { entries: await getMaterials(this._settings) };
  }

  protected failedState(reason: unknown): Partial<IMaterialsSnapshot> {
    return { error: toError(reason).message };
  }

  private readonly _settings: ServerConnection.ISettings;
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
