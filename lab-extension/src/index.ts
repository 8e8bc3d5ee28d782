import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { readHubContext } from './client';
// The model, the commands and the panel are all needed at activation: the panel's tab
// is in the sidebar from the start, and the commands are in the launcher and toolbars.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { ClassModel } from './classModel';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MaterialsModel } from './materialsModel';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { EnvhubModel } from './model';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { EnvhubPanel, PANEL_ID } from './panel';
// Whether this is a visitor's temporary session decides, at activation, what the panel shows.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { getPublicSession } from './publicAccess';
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
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ILauncher,
    INotebookTracker,
    ITranslator
  ],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null,
    notebooks: INotebookTracker | null,
    translator: ITranslator | null
  ): Promise<IEnvhubModel> => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('envhub');
    const serverSettings = app.serviceManager.serverSettings;
    // Asked of this server before anything of the envhub service: a visitor's token may not
    // call the service, and their panel shows only a notice.
    const publicSession = await getPublicSession(serverSettings);
    const model = new EnvhubModel({
      context: readHubContext(),
      translator,
      publicSession
    });
    // Commands first: the panel's action buttons show their labels.
    addCommands({
      app,
      model,
      panelId: PANEL_ID,
      palette,
      launcher,
      notebooks,
      translator
    });
    // The materials and class APIs are this server's own: only envhub's servers have them,
    // and a temporary session's visitor has neither materials nor a class.
    const envhubServer = model.state.status !== 'unavailable';
    const materials = envhubServer
      ? new MaterialsModel({ serverSettings })
      : null;
    const classes = envhubServer ? new ClassModel({ serverSettings }) : null;
    const panel = new EnvhubPanel({
      model,
      commands: app.commands,
      materials,
      classes,
      translator
    });
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
          Notification.error(trans.__('envhub: %1', state.error.message), {
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
