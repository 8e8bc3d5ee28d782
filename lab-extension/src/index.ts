import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';

import { readHubContext } from './client';
import { addCommands } from './commands';
import { EnvhubModel } from './model';
import { EnvhubPanel, PANEL_ID } from './panel';
import { IEnvhubModel } from './tokens';

export * from './tokens';
export { EnvhubRequestError } from './client';

/**
 * envhub inside JupyterLab: the environment panel, and commands to share, fork and
 * relaunch the environment (palette, launcher, notebook toolbar).
 */
const plugin: JupyterFrontEndPlugin<IEnvhubModel> = {
  id: '@envhub/lab-extension:plugin',
  description:
    'Shows the envhub environment of this server and lets you share, fork and relaunch it.',
  autoStart: true,
  provides: IEnvhubModel,
  optional: [ICommandPalette, ILayoutRestorer, ILauncher, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null,
    notebooks: INotebookTracker | null
  ): IEnvhubModel => {
    const model = new EnvhubModel({ context: readHubContext() });
    // Commands first: the panel's action buttons show their labels.
    addCommands({
      app,
      model,
      panelId: PANEL_ID,
      palette,
      launcher,
      notebooks
    });
    const panel = new EnvhubPanel(model, app.commands);
    app.shell.add(panel, 'left', { rank: 1000 });
    if (restorer) {
      restorer.add(panel, 'envhub-environment');
    }

    // One notification per failure, not one per reload while the service stays away.
    let notified = '';
    model.changed.connect((_, state) => {
      if (state.status === 'error' && state.error) {
        if (state.error.message !== notified) {
          notified = state.error.message;
          Notification.error(`envhub: ${state.error.message}`, {
            autoClose: 8000
          });
        }
      } else if (state.status === 'ready') {
        notified = '';
      }
    });

    void model.refresh();
    return model;
  }
};

export default plugin;
