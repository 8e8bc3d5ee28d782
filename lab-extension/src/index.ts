import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';

import { readHubContext } from './client';
import { EnvhubModel } from './model';
import { EnvhubPanel, envhubIcon } from './panel';
import { CommandIDs, IEnvhubError, IEnvhubModel } from './tokens';

export * from './tokens';
export { EnvhubRequestError } from './client';

/**
 * The envhub environment panel: shows which repository, ref, commit and image
 * this server was started from.
 */
const plugin: JupyterFrontEndPlugin<IEnvhubModel> = {
  id: '@envhub/lab-extension:plugin',
  description: 'Shows the envhub environment of this server in the left sidebar.',
  autoStart: true,
  provides: IEnvhubModel,
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): IEnvhubModel => {
    const model = new EnvhubModel({ context: readHubContext() });
    const panel = new EnvhubPanel(model);
    app.shell.add(panel, 'left', { rank: 1000 });
    if (restorer) {
      restorer.add(panel, 'envhub-environment');
    }

    // One notification per failure, not one per re-render.
    let notified: IEnvhubError | null = null;
    model.changed.connect((_, state) => {
      if (state.status === 'error' && state.error && state.error !== notified) {
        notified = state.error;
        Notification.error(`envhub: ${state.error.message}`, {
          autoClose: 8000
        });
      }
    });

    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Reload envhub Environment',
      caption: 'Ask the envhub service again about this server',
      icon: envhubIcon,
      isEnabled: () => model.state.status !== 'unavailable',
      execute: () => model.refresh()
    });
    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show envhub Environment',
      caption: 'Open the envhub environment panel',
      icon: envhubIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh]) {
        palette.addItem({ command, category: 'envhub' });
      }
    }

    void model.refresh();
    return model;
  }
};

export default plugin;
