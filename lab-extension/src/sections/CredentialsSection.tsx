import { credentialBodySchema } from '@envhub/schema';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { RemoveButton } from '../components/RemoveButton';
import { CSS } from '../cssClasses';
import { FormCSS } from '../launchForm';
import {
  ICredential,
  ICredentialBody,
  IEnvhubError,
  IEnvhubState
} from '../tokens';
import { EnvhubSection } from './EnvhubSection';

const fields = credentialBodySchema.properties;

/** What a host looks like, as the field's placeholder. */
const HOST_EXAMPLE = 'forge.example.org';

/**
 * The viewer's stored credentials (host, user name, when envhub last used each), each with
 * *Remove*, and a form to store one. Never in a visitor's temporary session, which may not
 * ask the envhub service anything.
 */
export class CredentialsSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'credentials');
    this.title.label = this.trans.__('Credentials');
  }

  /** Once the server is known, except in a visitor's temporary session. */
  appliesTo(state: IEnvhubState): boolean {
    return state.server !== null && state.publicSession === null;
  }

  protected render(): JSX.Element | null {
    const { server, credentials, credentialsError } = this.model.state;
    if (!server) {
      return null;
    }
    const { user, serverUser, serviceUrl } = this.model.context;
    return (
      <Credentials
        credentials={credentials}
        error={credentialsError}
        owner={user === serverUser ? null : serverUser}
        pageUrl={serviceUrl}
        trans={this.trans}
        onStore={(host, body) => this.model.setCredential(host, body)}
        onRemove={host => this.model.removeCredential(host)}
      />
    );
  }
}

/**
 * Properties of {@link Credentials}.
 */
interface ICredentialsProps {
  /** Null until loaded. */
  credentials: ICredential[] | null;
  /** Why they could not be loaded. */
  error: IEnvhubError | null;
  /** The server's owner when it is not the viewer: then the form is not offered. */
  owner: string | null;
  /** envhub's page, where credentials can be stored too. */
  pageUrl: string;
  trans: TranslationBundle;
  /** Stores a credential; rejects with the service's reason. */
  onStore: (host: string, body: ICredentialBody) => Promise<unknown>;
  /** Removes a credential; rejects with the service's reason. */
  onRemove: (host: string) => Promise<void>;
}

function Credentials(props: ICredentialsProps): JSX.Element {
  const { credentials, error, owner, pageUrl, trans, onStore, onRemove } =
    props;
  const [busy, setBusy] = React.useState(false);
  const [host, setHost] = React.useState('');
  const [username, setUsername] = React.useState('');
  // The token stays in its field, never in React state, and the field is emptied once sent.
  const tokenField = React.useRef<HTMLInputElement>(null);

  /** Runs a request; says why in a notification when the service refuses it. */
  const run = async (request: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    try {
      await request();
      return true;
    } catch (reason) {
      Notification.error(
        trans.__(
          'envhub: %1',
          reason instanceof Error ? reason.message : String(reason)
        ),
        { autoClose: 8000 }
      );
      return false;
    } finally {
      setBusy(false);
    }
  };

  const store = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const field = tokenField.current;
    const target = host.trim();
    const body = { username: username.trim(), token: field?.value ?? '' };
    if (!field || !target || !body.username || !body.token) {
      return;
    }
    field.value = '';
    if (await run(() => onStore(target, body))) {
      setHost('');
      setUsername('');
    }
  };

  const remove = async (target: string): Promise<void> => {
    const answer = await showDialog({
      title: trans.__('Remove your credential for %1?', target),
      body: trans.__(
        'envhub will no longer use it on your behalf, e.g. to fetch private repositories from %1. You can store a new one at any time.',
        target
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Remove') })
      ]
    });
    if (answer.button.accept) {
      await run(() => onRemove(target));
    }
  };

  return (
    <>
      <p className={CSS.note}>
        {trans.__(
          'A user name and a token or app password per host, kept encrypted and never shown again; envhub uses them on your behalf.'
        )}
      </p>
      {error && (
        <p className={CSS.error} role="alert">
          {error.message}
        </p>
      )}
      {credentials === null ? (
        !error && (
          <p className={CSS.message}>{trans.__('Loading your credentials…')}</p>
        )
      ) : credentials.length === 0 ? (
        <p className={CSS.message}>{trans.__('No credentials yet.')}</p>
      ) : (
        <ul className={CSS.credentials}>
          {credentials.map(credential => (
            <li
              key={credential.host}
              className={CSS.credential}
              data-host={credential.host}
            >
              <span>
                <code className={CSS.credentialHost}>{credential.host}</code>{' '}
                <span className={CSS.credentialUser}>
                  {credential.username}
                </span>
                <LastUsed iso={credential.lastUsedAt} trans={trans} />
              </span>
              <RemoveButton
                label={trans.__(
                  'Remove your credential for %1',
                  credential.host
                )}
                disabled={busy}
                trans={trans}
                onClick={() => void remove(credential.host)}
              />
            </li>
          ))}
        </ul>
      )}
      {owner === null ? (
        <details className={CSS.group}>
          <summary>{trans.__('Add credential')}</summary>
          <form
            className={CSS.credentialForm}
            onSubmit={event => void store(event)}
          >
            <label className={FormCSS.field}>
              {trans.__('Host')}
              <input
                name="host"
                className="jp-mod-styled"
                required
                placeholder={HOST_EXAMPLE}
                value={host}
                onChange={event => setHost(event.currentTarget.value)}
              />
              <small className={FormCSS.help}>
                {trans.__(
                  "The host name, with :port when the port is not the scheme's default"
                )}
              </small>
            </label>
            <label className={FormCSS.field}>
              {fields.username.title}
              <input
                name="username"
                className="jp-mod-styled"
                required
                maxLength={fields.username.maxLength}
                autoComplete="off"
                value={username}
                onChange={event => setUsername(event.currentTarget.value)}
              />
              <small className={FormCSS.help}>
                {fields.username.description}
              </small>
            </label>
            <label className={FormCSS.field}>
              {fields.token.title}
              <input
                name="token"
                type="password"
                className="jp-mod-styled"
                required
                maxLength={fields.token.maxLength}
                autoComplete="new-password"
                ref={tokenField}
              />
              <small className={FormCSS.help}>{fields.token.description}</small>
            </label>
            <button
              type="submit"
              className="jp-Button jp-mod-styled jp-mod-accept"
              disabled={busy}
            >
              {trans.__('Store credential')}
            </button>
          </form>
        </details>
      ) : (
        <p className={CSS.note}>
          {trans.__(
            "To add a credential, use your own server or envhub's page: this server is %1's, and its code could read what you type here.",
            owner
          )}{' '}
          <a href={pageUrl} target="_blank" rel="noopener noreferrer">
            {trans.__("Open envhub's page")}
          </a>
        </p>
      )}
    </>
  );
}

/** When envhub last used a credential, or that it never did. */
function LastUsed(props: {
  iso: string | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { iso, trans } = props;
  if (iso === null) {
    return (
      <span className={CSS.credentialUsed} data-last-used="never">
        {trans.__('Last used: never')}
      </span>
    );
  }
  const parsed = new Date(iso);
  return (
    <time className={CSS.credentialUsed} dateTime={iso} title={iso}>
      {trans.__(
        'Last used: %1',
        isNaN(parsed.getTime()) ? iso : parsed.toLocaleString()
      )}
    </time>
  );
}
