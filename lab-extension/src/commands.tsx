import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  ReactWidget,
  buildIcon,
  folderIcon,
  linkIcon,
  refreshIcon,
  shareIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { getBuild } from './client';
import { showBuildLog } from './buildLogDialog';
import { MountList } from './components/MountList';
import { showForkDialog } from './forkDialog';
import { showLaunch } from './launchDialog';
import { EnvhubModel } from './model';
import { editMounts } from './mountsDialog';
import { envhubIcon } from './panel';
import { ShareBody, showShareDialog } from './shareDialog';
import { badgeSnippets, notebookLaunchUrl } from './shareLink';
import { CommandIDs, IEnvhubServer } from './tokens';

/** Category of the envhub commands in the command palette and the launcher. */
export const CATEGORY = 'envhub';

/** The envhub commands take no arguments. */
const NO_ARGUMENTS: Partial<CommandRegistry.Description> = {
  args: { type: 'object', properties: {} }
};

/**
 * What the commands need from the application.
 */
export interface ICommandsOptions {
  app: JupyterFrontEnd;
  model: EnvhubModel;
  /** Shows the panel. */
  panelId: string;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  notebooks: INotebookTracker | null;
  /** Defaults to no translation. */
  translator?: ITranslator;
}

/**
 * Add the envhub commands, and list them in the palette and the launcher.
 */
export function addCommands(options: ICommandsOptions): void {
  const { app, model, panelId, palette, launcher, notebooks } = options;
  const trans = (options.translator ?? nullTranslator).load('envhub');
  const { commands } = app;
  const server = (): IEnvhubServer | null => model.state.server;
  const ready = (): boolean => server() !== null;

  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Reload envhub Environment'),
    caption: trans.__('Ask the envhub service again about this server'),
    icon: refreshIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: () =>
      model.state.status !== 'unavailable' && model.state.status !== 'loading',
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Show envhub Environment'),
    caption: trans.__('Open the envhub environment panel'),
    icon: envhubIcon,
    describedBy: NO_ARGUMENTS,
    execute: () => app.shell.activateById(panelId)
  });

  commands.addCommand(CommandIDs.share, {
    label: trans.__('Share Environment'),
    caption: trans.__(
      'Copy the launch link or a badge of this environment; add collaborators in the envhub panel'
    ),
    icon: shareIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (!current) {
        return;
      }
      Clipboard.copyToSystem(current.launchUrl);
      await showShareDialog(
        trans.__('Share this environment'),
        new ShareBody({
          intro: trans.__(
            'The launch link (copied) starts this environment for whoever follows it, in a server of their own. To let people use this very server, add them as collaborators in the envhub panel.'
          ),
          link: current.launchUrl,
          snippets: current.snippets,
          badgeUrl: current.badgeUrl,
          publicAccess: current.public,
          trans
        }),
        trans
      );
    }
  });

  commands.addCommand(CommandIDs.shareNotebook, {
    label: trans.__('Share environment'),
    caption: trans.__(
      'Copy a link that opens this notebook in this environment'
    ),
    icon: linkIcon,
    describedBy: NO_ARGUMENTS,
    isVisible: () => model.state.status !== 'unavailable',
    isEnabled: () => ready() && !!notebooks?.currentWidget,
    execute: async () => {
      const current = server();
      const notebook = notebooks?.currentWidget;
      if (!current || !notebook) {
        return;
      }
      const link = notebookLaunchUrl(current.launchUrl, notebook.context.path);
      // Copied at once, while the click still counts as the user's gesture.
      Clipboard.copyToSystem(link);
      await showShareDialog(
        trans.__('Share this notebook in this environment'),
        new ShareBody({
          intro: trans.__(
            "The link (copied) opens %1 in this environment, in a server of its follower's own.",
            notebook.context.path
          ),
          link,
          snippets: badgeSnippets(link, current.badgeUrl),
          badgeUrl: current.badgeUrl,
          trans
        }),
        trans
      );
    }
  });

  commands.addCommand(CommandIDs.fork, {
    label: trans.__('Fork Environment…'),
    caption: trans.__(
      'Launch a new server of yours from this environment, with changes'
    ),
    icon: envhubIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (current) {
        await showForkDialog(model.connection, current, trans);
      }
    }
  });

  /** Restarts this server through a launch with `extra` (its log shown), then reloads the page. */
  const restart = async (
    current: IEnvhubServer,
    title: string,
    extra: Record<string, string>
  ): Promise<void> => {
    const url = await showLaunch(
      model.connection,
      current.spec,
      title,
      extra,
      trans
    );
    if (url) {
      window.location.reload();
    }
  };

  /** What a relaunch or a restart says before, and while, it happens. */
  const restartTexts = {
    relaunch: (current: IEnvhubServer) => ({
      question: trans.__('Relaunch %1?', current.displayName),
      warning: trans.__(
        'Relaunching fetches the ref again, rebuilds the image if the repository changed and restarts this server. Running kernels stop and unsaved changes are lost; the files in your home are kept.'
      ),
      button: trans.__('Relaunch'),
      progress: trans.__('Relaunching %1', current.displayName)
    }),
    restart: (current: IEnvhubServer) => ({
      question: trans.__('Restart %1?', current.displayName),
      warning: trans.__(
        'Restarting stops this server and starts it again from the same image, with its current mounts. Running kernels stop and unsaved changes are lost; the files in your home are kept.'
      ),
      button: trans.__('Restart'),
      progress: trans.__('Restarting %1', current.displayName)
    })
  };

  /** Says what a restart costs, and restarts only when the user agrees. */
  const confirmRestart = async (
    kind: keyof typeof restartTexts,
    extra: Record<string, string>
  ): Promise<void> => {
    const current = server();
    if (!current) {
      return;
    }
    const texts = restartTexts[kind](current);
    const answer = await showDialog({
      title: texts.question,
      body: texts.warning,
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: texts.button })
      ]
    });
    if (answer.button.accept) {
      await restart(current, texts.progress, extra);
    }
  };

  commands.addCommand(CommandIDs.relaunch, {
    label: trans.__('Relaunch Server…'),
    caption: trans.__(
      'Fetch the ref again, rebuild if needed and restart this server (the home is kept)'
    ),
    icon: refreshIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: () => ready() && Boolean(server()?.canManage),
    execute: () => confirmRestart('relaunch', { relaunch: '1' })
  });

  commands.addCommand(CommandIDs.restart, {
    label: trans.__('Restart Server…'),
    caption: trans.__(
      'Restart this server with the same image, applying changed mounts (the home is kept)'
    ),
    icon: refreshIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: () => ready() && Boolean(server()?.canManage),
    execute: () => confirmRestart('restart', { restart: '1' })
  });

  commands.addCommand(CommandIDs.mounts, {
    label: () =>
      server()?.canManage === false
        ? trans.__('Show Mounts')
        : trans.__('Edit Mounts…'),
    caption: trans.__(
      'The volumes mounted into this server; the owner changes them (applied at the next restart)'
    ),
    icon: folderIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (!current) {
        return;
      }
      if (!current.canManage) {
        await showDialog({
          title: trans.__('Mounts'),
          body: ReactWidget.create(
            <MountList mounts={current.mounts} trans={trans} />
          ),
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
        return;
      }
      const saved = await editMounts(model, model.connection, current, trans);
      if (!saved?.mountsPending) {
        return;
      }
      const answer = await showDialog({
        title: trans.__('Restart to apply the mounts?'),
        body: trans.__(
          'The new mounts are applied when this server restarts. Restarting now stops running kernels and loses unsaved changes; the files in your home and in the volumes are kept.'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Later') }),
          Dialog.warnButton({ label: trans.__('Restart now') })
        ]
      });
      if (answer.button.accept) {
        await restart(saved, trans.__('Restarting %1', saved.displayName), {
          restart: '1'
        });
      }
    }
  });

  commands.addCommand(CommandIDs.buildLog, {
    label: trans.__('Show Build Log'),
    caption: trans.__("The kept build log of this server's image"),
    icon: buildIcon,
    describedBy: NO_ARGUMENTS,
    isEnabled: () => Boolean(server()?.buildId),
    execute: async () => {
      const buildId = server()?.buildId;
      if (!buildId) {
        return;
      }
      try {
        const build =
          model.state.build?.id === buildId &&
          model.state.build.status !== 'running'
            ? model.state.build
            : await getBuild(model.connection, buildId);
        await showBuildLog(build, trans);
      } catch (reason) {
        Notification.error(
          trans.__(
            'envhub: %1',
            reason instanceof Error ? reason.message : String(reason)
          ),
          { autoClose: 8000 }
        );
      }
    }
  });

  // Enabled states follow the model.
  model.changed.connect(() => commands.notifyCommandChanged());
  notebooks?.currentChanged.connect(() =>
    commands.notifyCommandChanged(CommandIDs.shareNotebook)
  );

  const actions = [
    CommandIDs.share,
    CommandIDs.fork,
    CommandIDs.relaunch,
    CommandIDs.restart,
    CommandIDs.mounts,
    CommandIDs.buildLog
  ];
  if (palette) {
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.refresh,
      ...actions
    ]) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
  if (launcher && model.state.status !== 'unavailable') {
    actions.forEach((command, rank) => {
      launcher.add({ command, category: CATEGORY, rank });
    });
  }
}
