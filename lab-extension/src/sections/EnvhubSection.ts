import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';

import { CSS } from '../cssClasses';
import {
  IClassModel,
  IEnvhubModel,
  IEnvhubState,
  IMaterialsModel
} from '../tokens';

/**
 * One section of the envhub panel: a React view of the model under a title of its own,
 * rendered again whenever the model or the commands change.
 *
 * A section sets its `title.label` and `data-section` name, renders from `model.state`,
 * and says in `appliesTo` when it has something to show; the panel leaves it out otherwise.
 */
export abstract class EnvhubSection extends ReactWidget {
  /**
   * @param options what every section is given.
   * @param name the section's stable name (`data-section`), e.g. `mounts`.
   */
  constructor(options: EnvhubSection.IOptions, name: string) {
    super();
    this.model = options.model;
    this.commands = options.commands;
    this.trans = options.trans;
    this.materials = options.materials ?? null;
    this.classes = options.classes ?? null;
    this.addClass(CSS.section);
    this.node.dataset.section = name;
    this.model.changed.connect(this._onChanged, this);
    this.commands.commandChanged.connect(this._onChanged, this);
    this.materials?.changed.connect(this._onChanged, this);
    this.classes?.changed.connect(this._onChanged, this);
  }

  /** The share of the panel's height the section starts with, relative to the others. */
  get stretch(): number {
    return 1;
  }

  /**
   * Whether the section has something to show in `state`; by default, once the
   * server is known.
   */
  appliesTo(state: IEnvhubState): boolean {
    return state.server !== null;
  }

  /** Dispose of the section and stop listening to the model and the commands. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._onChanged, this);
    this.commands.commandChanged.disconnect(this._onChanged, this);
    this.materials?.changed.disconnect(this._onChanged, this);
    this.classes?.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  private _onChanged(): void {
    this.update();
  }

  /** The environment shown. */
  protected readonly model: IEnvhubModel;
  /** The envhub commands, behind the section's buttons. */
  protected readonly commands: CommandRegistry;
  /** The extension's translations. */
  protected readonly trans: TranslationBundle;
  /** The course materials of this server, when the panel was given them. */
  protected readonly materials: IMaterialsModel | null;
  /** The class of this server and its assignments, when the panel was given them. */
  protected readonly classes: IClassModel | null;
}

/**
 * A namespace for EnvhubSection statics.
 */
export namespace EnvhubSection {
  /**
   * What every section is given.
   */
  export interface IOptions {
    model: IEnvhubModel;
    commands: CommandRegistry;
    trans: TranslationBundle;
    /** The course materials of this server; sections re-render when they change. */
    materials?: IMaterialsModel | null;
    /** The class of this server; sections re-render when it changes. */
    classes?: IClassModel | null;
  }

  /**
   * A section class, as the panel lists them.
   */
  export interface IConstructor {
    new (options: IOptions): EnvhubSection;
  }
}
