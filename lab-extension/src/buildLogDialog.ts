import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IEnvhubBuild } from './tokens';

/** CSS class of the build log view. */
export const BUILD_LOG_CLASS = 'jp-envhub-build-log';

/**
 * A kept build log, read-only.
 */
export class BuildLogView extends Widget {
  constructor(build: IEnvhubBuild) {
    super();
    this.addClass(BUILD_LOG_CLASS);
    const status = document.createElement('p');
    const finished = build.finishedAt
      ? `, finished ${new Date(build.finishedAt).toLocaleString()}`
      : '';
    status.textContent = `Build ${build.id}: ${build.status}${finished}`;
    const log = document.createElement('pre');
    log.textContent = build.log || '(the log is empty)';
    this.node.append(status, log);
  }
}

/**
 * Show the build log of an image in a dialog.
 */
export async function showBuildLog(build: IEnvhubBuild): Promise<void> {
  await showDialog({
    title: 'Build log',
    body: new BuildLogView(build),
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}
