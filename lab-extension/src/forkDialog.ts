import { EnvironmentSpec, FieldError, validateSpec } from '@envhub/schema';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';

import { IEnvhubConnection } from './client';
import { showLaunch } from './launchDialog';
import { LaunchForm } from './launchForm';
import { IEnvhubServer } from './tokens';

/**
 * The spec a fork starts from: this server's, without its name, and private: a public
 * server's fork is public only when its owner ticks the box.
 */
export function forkStart(server: IEnvhubServer): EnvironmentSpec {
  const spec = structuredClone(server.spec);
  delete spec.name;
  delete spec.public;
  return spec;
}

/**
 * What keeps `spec` from launching as a fork of `server`: the schema's errors,
 * and a name that is missing or the server's own (that would relaunch it instead).
 */
export function forkErrors(
  spec: EnvironmentSpec,
  server: IEnvhubServer,
  trans: TranslationBundle = nullTranslator.load('envhub')
): FieldError[] {
  const validation = validateSpec(spec);
  const errors = validation.ok ? [] : validation.errors;
  if (!spec.name && !errors.some(e => e.field === 'name')) {
    errors.push({
      field: 'name',
      message: trans.__('Give the new server a name of its own.')
    });
  } else if (spec.name === server.name) {
    errors.push({
      field: 'name',
      message: trans.__(
        '"%1" is this server\'s name; a fork needs a name of its own.',
        spec.name
      )
    });
  }
  return errors;
}

/**
 * Ask for the fork's parameters (a form rendered from the schema, prefilled from this
 * server's spec), launch it with its build log shown, and go to the new server.
 */
export async function showForkDialog(
  connection: IEnvhubConnection,
  server: IEnvhubServer,
  trans: TranslationBundle = nullTranslator.load('envhub')
): Promise<void> {
  let spec = forkStart(server);
  let errors: FieldError[] = [];
  for (;;) {
    const result = await showDialog({
      title: trans.__('Fork %1', server.displayName),
      body: new LaunchForm(spec, errors, trans),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Launch') })
      ],
      focusNodeSelector: 'input[name="name"]'
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    spec = result.value;
    errors = forkErrors(spec, server, trans);
    if (errors.length === 0) {
      break;
    }
  }
  const url = await showLaunch(
    connection,
    spec,
    trans.__('Launching %1', spec.displayName ?? spec.name ?? ''),
    {},
    trans
  );
  if (url) {
    window.location.assign(url);
  }
}
