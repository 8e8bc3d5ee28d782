import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  LabIcon,
  ReactWidget,
  SidePanel
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { PanelLayout, SplitPanel } from '@lumino/widgets';
import * as React from 'react';

import { CSS } from './cssClasses';
import { EnvhubSection, SECTIONS } from './sections';
import {
  CommandIDs,
  IClassModel,
  IEnvhubModel,
  IMaterialsModel
} from './tokens';

/** DOM id of the panel, stable for tests and the layout restorer. */
export const PANEL_ID = 'envhub-environment-panel';

/** The sidebar icon: a box, for "environment". */
export const envhubIcon = new LabIcon({
  name: 'envhub:environment',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M12 2 3 7v10l9 5 9-5V7l-9-5zm0 2.3L18.6 8 12 11.7 5.4 8 12 4.3zM5 9.7l6 3.4v6.6l-6-3.3V9.7zm8 10v-6.6l6-3.4v6.7l-6 3.3z"/>' +
    '</svg>'
});

/**
 * The left-sidebar panel: a title, a reload button, what keeps the environment from
 * showing (not envhub's server, loading, the last failure), and one section per
 * concern (see `SECTIONS`), each shown once it has something to show.
 *
 * It makes the model active while it is visible, so that the model asks the
 * service again periodically only then.
 */
export class EnvhubPanel extends SidePanel {
  /**
   * @param options the model to show, the commands behind its buttons, and the translator.
   */
  constructor(options: EnvhubPanel.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ translator });
    const trans = translator.load('envhub');
    const { model, commands } = options;
    this._model = model;
    this._materials = options.materials ?? null;
    this._classes = options.classes ?? null;
    this.id = PANEL_ID;
    this.addClass(CSS.panel);
    this.title.icon = envhubIcon;
    this.title.caption = trans.__('envhub environment');

    const title = ReactWidget.create(<h2>{trans.__('envhub Environment')}</h2>);
    title.addClass(CSS.title);
    this.header.addWidget(title);
    this.toolbar.addItem(
      'refresh',
      new CommandToolbarButton({ commands, id: CommandIDs.refresh, label: '' })
    );
    // Between the toolbar and the sections.
    const layout = this.layout as PanelLayout;
    layout.insertWidget(
      layout.widgets.indexOf(this.content),
      new StatusView(model, trans)
    );

    this._sections = (options.sections ?? SECTIONS).map(Section => {
      const section = new Section({
        model,
        commands,
        trans,
        materials: this._materials,
        classes: this._classes
      });
      SplitPanel.setStretch(section, section.stretch);
      return section;
    });
    model.changed.connect(this._onStateChanged, this);
    this._materials?.changed.connect(this._onStateChanged, this);
    this._classes?.changed.connect(this._onStateChanged, this);
    this._onStateChanged();
  }

  /** The sections, shown or not, in order. */
  get sections(): readonly EnvhubSection[] {
    return this._sections;
  }

  /** Dispose of the panel and its sections, and stop listening to the model. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._onStateChanged, this);
    this._materials?.changed.disconnect(this._onStateChanged, this);
    this._classes?.changed.disconnect(this._onStateChanged, this);
    this._setActive(false);
    this._sections.forEach(section => section.dispose());
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this._setActive(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._setActive(false);
  }

  /** The models ask again periodically only while the panel is shown. */
  private _setActive(value: boolean): void {
    this._model.isActive = value;
    if (this._materials) {
      this._materials.isActive = value;
    }
    if (this._classes) {
      this._classes.isActive = value;
    }
  }

  /** Shows the sections that have something to show, in their order; hides the reload button where envhub does not apply. */
  private _onStateChanged(): void {
    const state = this._model.state;
    this.toolbar.setHidden(state.status === 'unavailable');
    const wanted = this._sections.filter(section => section.appliesTo(state));
    const shown = this.widgets;
    let same = 0;
    while (same < shown.length && shown[same] === wanted[same]) {
      same++;
    }
    // The accordion appends what it adds to the page: to keep the page in the order
    // shown, the sections after the first change are taken out and added again.
    for (const section of shown.slice(same)) {
      section.parent = null;
    }
    for (const section of wanted.slice(same)) {
      this.addWidget(section);
    }
  }

  private readonly _model: IEnvhubModel;
  private readonly _materials: IMaterialsModel | null;
  private readonly _classes: IClassModel | null;
  private readonly _sections: EnvhubSection[];
}

/**
 * A namespace for EnvhubPanel statics.
 */
export namespace EnvhubPanel {
  /**
   * Options to build the panel.
   */
  export interface IOptions {
    /** The envhub model to show. */
    model: IEnvhubModel;
    /** Runs the envhub commands behind the buttons. */
    commands: CommandRegistry;
    /** The course materials of this server, for the Course materials section. */
    materials?: IMaterialsModel | null;
    /** The class of this server and its assignments, for the Class section. */
    classes?: IClassModel | null;
    /** Defaults to no translation. */
    translator?: ITranslator;
    /** The section classes, top to bottom; defaults to `SECTIONS`. */
    sections?: readonly EnvhubSection.IConstructor[];
  }
}

/**
 * What keeps the environment from showing: that this is a visitor's temporary session of a
 * public server, why envhub does not apply, the last failure (kept above the sections of
 * the last server loaded), or that it is loading.
 */
class StatusView extends ReactWidget {
  constructor(model: IEnvhubModel, trans: TranslationBundle) {
    super();
    this._model = model;
    this._trans = trans;
    this.addClass(CSS.status);
    model.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._onChanged, this);
    super.dispose();
  }

  protected render(): JSX.Element | null {
    const { status, server, error, reason, publicSession } = this._model.state;
    if (publicSession) {
      return (
        <p className={CSS.publicSession} data-public-session={publicSession}>
          {reason}
        </p>
      );
    }
    if (status === 'unavailable') {
      return <p className={CSS.message}>{reason}</p>;
    }
    if (status === 'error' && error) {
      return (
        <p className={CSS.error} role="alert">
          {error.message}
        </p>
      );
    }
    if (status === 'loading' && !server) {
      return (
        <p className={CSS.message}>
          {this._trans.__('Loading the environment…')}
        </p>
      );
    }
    return null;
  }

  private _onChanged(): void {
    this.update();
  }

  private readonly _model: IEnvhubModel;
  private readonly _trans: TranslationBundle;
}
