import { EnvironmentSpec, gitProviderPath, launchQuery } from '@envhub/schema';
import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { EnvhubRequestError, IEnvhubConnection, launchStream } from './client';
import { ILaunchEvent } from './tokens';

/** CSS classes of the launch log. */
export namespace LaunchCSS {
  export const log = 'jp-envhub-launch';
  export const phase = 'jp-envhub-launch-phase';
  export const lines = 'jp-envhub-launch-log';
  export const failed = 'jp-envhub-mod-failed';
}

/**
 * The build-stream path and query that launch `spec`:
 * `git/<url-escaped repo>/<ref>` and `launchQuery(spec)` plus `extra`.
 */
export function launchRequest(
  spec: EnvironmentSpec,
  extra: Record<string, string> = {}
): { path: string; query: URLSearchParams } {
  const query = launchQuery(spec);
  for (const [key, value] of Object.entries(extra)) {
    query.set(key, value);
  }
  return { path: gitProviderPath(spec.repo, spec.ref ?? 'HEAD'), query };
}

/**
 * A launch as it goes: the current phase and every message of the build log.
 */
export class LaunchLog extends Widget {
  constructor(trans: TranslationBundle = nullTranslator.load('envhub')) {
    super();
    this._trans = trans;
    this.addClass(LaunchCSS.log);
    this._phase.className = LaunchCSS.phase;
    this._phase.setAttribute('role', 'status');
    this._phase.textContent = trans.__('Starting…');
    this._lines.className = LaunchCSS.lines;
    this.node.append(this._phase, this._lines);
  }

  /** Show one event of the stream. */
  add(event: ILaunchEvent): void {
    this._phase.textContent = event.phase;
    if (event.message) {
      this._lines.textContent += event.message.endsWith('\n')
        ? event.message
        : `${event.message}\n`;
      this._lines.scrollTop = this._lines.scrollHeight;
    }
  }

  /** Show that the launch failed, and why. */
  fail(message: string): void {
    this.addClass(LaunchCSS.failed);
    this._phase.textContent = this._trans.__('failed: %1', message);
  }

  private readonly _trans: TranslationBundle;
  private readonly _phase = document.createElement('p');
  private readonly _lines = document.createElement('pre');
}

/**
 * Launch `spec` in a dialog that shows the build log as it streams.
 *
 * @param title the dialog's title.
 * @param extra more query parameters, e.g. `{ relaunch: '1' }`.
 * @param trans translates what the dialog says.
 * @returns the new server's URL when it is ready; null when the launch failed (the
 *   dialog then stays open with the reason) or the user closed the dialog.
 */
export async function showLaunch(
  connection: IEnvhubConnection,
  spec: EnvironmentSpec,
  title: string,
  extra: Record<string, string> = {},
  trans: TranslationBundle = nullTranslator.load('envhub')
): Promise<string | null> {
  const log = new LaunchLog(trans);
  const controller = new AbortController();
  const dialog = new Dialog({
    title,
    body: log,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  void dialog.launch().then(() => controller.abort());
  const { path, query } = launchRequest(spec, extra);
  try {
    const final = await launchStream(
      connection,
      path,
      query,
      event => log.add(event),
      controller.signal
    );
    if (final.phase === 'ready' && final.url) {
      dialog.resolve();
      return final.url;
    }
    log.fail(final.message ?? trans.__('the launch failed'));
  } catch (reason) {
    if (!(reason instanceof EnvhubRequestError && reason.code === 'aborted')) {
      log.fail(reason instanceof Error ? reason.message : String(reason));
    }
  }
  return null;
}
