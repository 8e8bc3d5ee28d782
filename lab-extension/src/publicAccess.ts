import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { requestServerExtension } from './serverExtensionClient';

/**
 * What making a server public means, said wherever an owner can make one public
 * (the launch form, the confirmation before *Make public*, the panel).
 */
export function publicAccessMeaning(trans: TranslationBundle): string {
  return trans.__(
    'Anyone with the public link, signed in or not, can run the code and read the mounted data. Each visitor gets a throw-away copy of the server, with the mounts read-only for them; nothing they do is kept or reaches your home or volumes.'
  );
}

/**
 * What the panel says, instead of its sections, in a visitor's temporary session.
 *
 * @param session the public server, `<owner>/<name>`.
 */
export function publicSessionNotice(
  session: string,
  trans: TranslationBundle
): string {
  return trans.__(
    'Temporary public session of %1: nothing you change is kept; it ends after a while without activity.',
    session
  );
}

/**
 * The public server this server is a visitor's temporary session of (`<owner>/<name>`), as
 * the envhub server extension inside it says (`GET <base_url>envhub/api/session`); null in
 * any other server, including one without the extension or that cannot be asked.
 */
export async function getPublicSession(
  settings: ServerConnection.ISettings
): Promise<string | null> {
  try {
    const response = await requestServerExtension(settings, 'session', '');
    const { publicSession } = (await response.json()) as {
      publicSession?: unknown;
    };
    return typeof publicSession === 'string' && publicSession !== ''
      ? publicSession
      : null;
  } catch {
    return null;
  }
}
