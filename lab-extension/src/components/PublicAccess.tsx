import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CSS } from '../cssClasses';
import { publicAccessMeaning } from '../publicAccess';
import { IEnvhubServer } from '../tokens';

/**
 * Properties of {@link PublicAccess}.
 */
export interface IPublicAccessProps {
  server: IEnvhubServer;
  trans: TranslationBundle;
  /** Makes the server public, or stops its public access; rejects with the service's reason. */
  onChange: (value: boolean) => Promise<unknown>;
}

/**
 * Whether the server is public, and how many visitors are in it now. Whoever manages it
 * makes it public, once a confirmation has said what that means, or stops its public
 * access. A private server shows nothing to those who cannot change it.
 */
export function PublicAccess(props: IPublicAccessProps): JSX.Element | null {
  const { server, trans, onChange } = props;
  const [busy, setBusy] = React.useState(false);
  const access = server.public;
  if (!access && !server.canManage) {
    return null;
  }

  const change = async (value: boolean): Promise<void> => {
    if (value) {
      const answer = await showDialog({
        title: trans.__('Make %1 public?', server.displayName),
        body: publicAccessMeaning(trans),
        buttons: [
          Dialog.cancelButton(),
          Dialog.warnButton({ label: trans.__('Make public') })
        ]
      });
      if (!answer.button.accept) {
        return;
      }
    }
    setBusy(true);
    try {
      await onChange(value);
    } catch (reason) {
      Notification.error(
        trans.__(
          'envhub: %1',
          reason instanceof Error ? reason.message : String(reason)
        ),
        { autoClose: 8000 }
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      className={`${CSS.group} ${CSS.publicAccess}`}
      data-public={access ? 'true' : 'false'}
    >
      <h3>{trans.__('Public access')}</h3>
      {access ? (
        <>
          <p className={CSS.publicState}>
            {trans.__(
              'Public: anyone with its public link, signed in or not, can run a throw-away copy of this server and read its mounted data (read-only).'
            )}
          </p>
          <p className={CSS.visitors} data-visitors={access.visitors}>
            {trans._n(
              '%1 visitor in it now',
              '%1 visitors in it now',
              access.visitors
            )}
          </p>
        </>
      ) : (
        <p className={CSS.publicState}>
          {trans.__('Private: only you and your collaborators use it.')}
        </p>
      )}
      {server.canManage && (
        <div className={CSS.actions}>
          <Button
            type="button"
            className="jp-mod-styled jp-mod-reject"
            data-public-action={access ? 'stop' : 'make'}
            disabled={busy}
            onClick={() => void change(!access)}
          >
            {access ? trans.__('Stop public access') : trans.__('Make public…')}
          </Button>
        </div>
      )}
    </section>
  );
}
