import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IEnvhubBuild } from './tokens';

/** CSS class of the build log view. */
export const BUILD_LOG_CLASS = 'jp-envhub-build-log';

/**
 * A kept build log, read-only.
 */
export class BuildLogView extends Widget {
  constructor(
    build: IEnvhubBuild,
    trans: TranslationBundle = nullTranslator.load('envhub')
  ) {
    super();
    this.addClass(BUILD_LOG_CLASS);
    const status = document.createElement('p');
    status.textContent = build.finishedAt
      ? trans.__(
          'Build %1: %2, finished %3',
          build.id,
          build.status,
          new Date(build.finishedAt).toLocaleString()
        )
      : trans.__('Build %1: %2', build.id, build.status);
    const log = document.createElement('pre');
    log.textContent = build.log || trans.__('(the log is empty)');
    this.node.append(status, log);
  }
}

/**
 * Show the build log of an image in a dialog.
 */
export async function showBuildLog(
  build: IEnvhubBuild,
  trans: TranslationBundle = nullTranslator.load('envhub')
): Promise<void> {
  await showDialog({
    title: trans.__('Build log'),
    body: new BuildLogView(build, trans),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}
