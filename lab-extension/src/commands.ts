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
import {
  buildIcon,
  folderIcon,
  linkIcon,
  refreshIcon,
  shareIcon
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { getBuild } from './client';
import { showBuildLog } from './buildLogDialog';
import { showForkDialog } from './forkDialog';
import { showLaunch } from './launchDialog';
import { EnvhubModel } from './model';
import { MOUNTS_RESTART_NOTE, editMounts } from './mountsDialog';
import { envhubIcon, mounts } from './panel';
import { ShareBody, showShareDialog } from './shareDialog';
import { badgeSnippets, notebookLaunchUrl } from './shareLink';
import { CommandIDs, IEnvhubServer } from './tokens';

/** Category of the envhub commands in the command palette and the launcher. */
export const CATEGORY = 'envhub';

/** Said before a relaunch: what stops and what is kept. */
export const RELAUNCH_WARNING =
  'Relaunching fetches the ref again, rebuilds the image if the repository changed and restarts ' +
  'this server. Running kernels stop and unsaved changes are lost; the files in your home are kept.';

/** Said before a restart: what stops and what is kept. */
export const RESTART_WARNING =
  'Restarting stops this server and starts it again from the same image, with its current ' +
  'mounts. Running kernels stop and unsaved changes are lost; the files in your home are kept.';

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
}

/**
 * Add the envhub commands, and list them in the palette and the launcher.
 */
export function addCommands(options: ICommandsOptions): void {
  const { app, model, panelId, palette, launcher, notebooks } = options;
  const { commands } = app;
  const server = (): IEnvhubServer | null => model.state.server;
  const ready = (): boolean => server() !== null;

  commands.addCommand(CommandIDs.refresh, {
    label: 'Reload envhub Environment',
    caption: 'Ask the envhub service again about this server',
    icon: refreshIcon,
    isEnabled: () => model.state.status !== 'unavailable',
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.openPanel, {
    label: 'Show envhub Environment',
    caption: 'Open the envhub environment panel',
    icon: envhubIcon,
    execute: () => app.shell.activateById(panelId)
  });

  commands.addCommand(CommandIDs.share, {
    label: 'Share Environment',
    caption:
      'Copy the launch link or a badge of this environment; add collaborators in the envhub panel',
    icon: shareIcon,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (!current) {
        return;
      }
      Clipboard.copyToSystem(current.launchUrl);
      await showShareDialog(
        'Share this environment',
        new ShareBody(
          'The launch link (copied) starts this environment for whoever follows it, in a server of their own. ' +
            'To let people use this very server, add them as collaborators in the envhub panel.',
          current.launchUrl,
          current.snippets,
          current.badgeUrl
        )
      );
    }
  });

  commands.addCommand(CommandIDs.shareNotebook, {
    label: 'Share environment',
    caption: 'Copy a link that opens this notebook in this environment',
    icon: linkIcon,
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
        'Share this notebook in this environment',
        new ShareBody(
          `The link (copied) opens ${notebook.context.path} in this environment, in a server of its follower's own.`,
          link,
          badgeSnippets(link, current.badgeUrl),
          current.badgeUrl
        )
      );
    }
  });

  commands.addCommand(CommandIDs.fork, {
    label: 'Fork Environment…',
    caption: 'Launch a new server of yours from this environment, with changes',
    icon: envhubIcon,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (current) {
        await showForkDialog(model.connection, current);
      }
    }
  });

  /** Restarts this server through a launch with `extra` (its log shown), then reloads the page. */
  const restart = async (
    current: IEnvhubServer,
    title: string,
    extra: Record<string, string>
  ): Promise<void> => {
    const url = await showLaunch(model.connection, current.spec, title, extra);
    if (url) {
      window.location.reload();
    }
  };

  /** Says what a restart costs, and restarts only when the user agrees. */
  const confirmRestart = async (
    verb: 'Relaunch' | 'Restart',
    warning: string,
    extra: Record<string, string>
  ): Promise<void> => {
    const current = server();
    if (!current) {
      return;
    }
    const answer = await showDialog({
      title: `${verb} ${current.displayName}?`,
      body: warning,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: verb })]
    });
    if (answer.button.accept) {
      await restart(current, `${verb}ing ${current.displayName}`, extra);
    }
  };

  commands.addCommand(CommandIDs.relaunch, {
    label: 'Relaunch Server…',
    caption:
      'Fetch the ref again, rebuild if needed and restart this server (the home is kept)',
    icon: refreshIcon,
    isEnabled: () => ready() && Boolean(server()?.canManage),
    execute: () =>
      confirmRestart('Relaunch', RELAUNCH_WARNING, { relaunch: '1' })
  });

  commands.addCommand(CommandIDs.restart, {
    label: 'Restart Server…',
    caption:
      'Restart this server with the same image, applying changed mounts (the home is kept)',
    icon: refreshIcon,
    isEnabled: () => ready() && Boolean(server()?.canManage),
    execute: () => confirmRestart('Restart', RESTART_WARNING, { restart: '1' })
  });

  commands.addCommand(CommandIDs.mounts, {
    label: () =>
      server()?.canManage === false ? 'Show Mounts' : 'Edit Mounts…',
    caption:
      'The volumes mounted into this server; the owner changes them (applied at the next restart)',
    icon: folderIcon,
    isEnabled: ready,
    execute: async () => {
      const current = server();
      if (!current) {
        return;
      }
      if (!current.canManage) {
        await showDialog({
          title: 'Mounts',
          body: new Widget({ node: mounts(current) }),
          buttons: [Dialog.okButton({ label: 'Close' })]
        });
        return;
      }
      const saved = await editMounts(model, model.connection, current);
      if (!saved?.mountsPending) {
        return;
      }
      const answer = await showDialog({
        title: 'Restart to apply the mounts?',
        body: MOUNTS_RESTART_NOTE,
        buttons: [
          Dialog.cancelButton({ label: 'Later' }),
          Dialog.warnButton({ label: 'Restart now' })
        ]
      });
      if (answer.button.accept) {
        await restart(saved, `Restarting ${saved.displayName}`, {
          restart: '1'
        });
      }
    }
  });

  commands.addCommand(CommandIDs.buildLog, {
    label: 'Show Build Log',
    caption: "The kept build log of this server's image",
    icon: buildIcon,
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
        await showBuildLog(build);
      } catch (reason) {
        Notification.error(
          `envhub: ${reason instanceof Error ? reason.message : String(reason)}`,
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
