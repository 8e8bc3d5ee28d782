import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { RemoveButton } from '../components/RemoveButton';
import { CSS } from '../cssClasses';
import { IEnvhubServer } from '../tokens';
import { EnvhubSection } from './EnvhubSection';

/**
 * Who shares this server: users and groups; the owner adds and removes them (applied
 * at once as Hub shares), collaborators see the list only.
 */
export class CollaboratorsSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'collaborators');
    this.title.label = this.trans.__('Collaborators');
  }

  protected render(): JSX.Element | null {
    const server = this.model.state.server;
    if (!server) {
      return null;
    }
    return (
      <Collaborators
        server={server}
        trans={this.trans}
        onChange={(users, groups) => this.model.setCollaborators(users, groups)}
      />
    );
  }
}

/**
 * Properties of {@link Collaborators}.
 */
interface ICollaboratorsProps {
  server: IEnvhubServer;
  trans: TranslationBundle;
  /** Replaces the collaborators; rejects with the service's reason. */
  onChange: (users: string[], groups: string[]) => Promise<void>;
}

function Collaborators(props: ICollaboratorsProps): JSX.Element {
  const { server, trans, onChange } = props;
  const { users = [], groups = [] } = server.spec.collaborators ?? {};
  const [busy, setBusy] = React.useState(false);
  const [kind, setKind] = React.useState<'user' | 'group'>('user');
  const [name, setName] = React.useState('');

  /** Applies a change; says why in a notification when the service refuses it. */
  const change = async (
    nextUsers: string[],
    nextGroups: string[]
  ): Promise<boolean> => {
    setBusy(true);
    try {
      await onChange(nextUsers, nextGroups);
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

  const entries = [
    ...users.map(entry => ({ kind: 'user' as const, name: entry })),
    ...groups.map(entry => ({ kind: 'group' as const, name: entry }))
  ];

  const add = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const value = name.trim();
    if (!value) {
      return;
    }
    const isUser = kind === 'user';
    const ok = await change(
      isUser && !users.includes(value) ? [...users, value] : users,
      !isUser && !groups.includes(value) ? [...groups, value] : groups
    );
    if (ok) {
      setName('');
    }
  };

  return (
    <>
      {entries.length > 0 ? (
        <ul className={CSS.collaborators}>
          {entries.map(entry => (
            <li
              key={`${entry.kind}:${entry.name}`}
              className={CSS.collaborator}
              data-kind={entry.kind}
              data-name={entry.name}
            >
              <span>
                {entry.kind === 'group'
                  ? trans.__('%1 (group)', entry.name)
                  : entry.name}
              </span>
              {server.canManage && (
                <RemoveButton
                  label={trans.__(
                    'Stop sharing this server with %1',
                    entry.name
                  )}
                  disabled={busy}
                  trans={trans}
                  onClick={() =>
                    void change(
                      entry.kind === 'user'
                        ? users.filter(u => u !== entry.name)
                        : users,
                      entry.kind === 'group'
                        ? groups.filter(g => g !== entry.name)
                        : groups
                    )
                  }
                />
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className={CSS.message}>{trans.__('Only you use this server.')}</p>
      )}
      {server.canManage ? (
        <form className={CSS.addForm} onSubmit={event => void add(event)}>
          <select
            name="kind"
            className="jp-mod-styled"
            aria-label={trans.__('User or group')}
            value={kind}
            onChange={event =>
              setKind(event.currentTarget.value === 'group' ? 'group' : 'user')
            }
          >
            <option value="user">{trans.__('User')}</option>
            <option value="group">{trans.__('Group')}</option>
          </select>
          <input
            name="name"
            className="jp-mod-styled"
            placeholder={trans.__('Hub user or group name')}
            aria-label={trans.__('Name of the user or group to add')}
            value={name}
            onChange={event => setName(event.currentTarget.value)}
          />
          <button
            type="submit"
            className="jp-Button jp-mod-styled jp-mod-accept"
            disabled={busy}
          >
            {trans.__('Add')}
          </button>
        </form>
      ) : (
        <p className={CSS.note}>
          {trans.__('Only the owner can change who shares this server.')}
        </p>
      )}
    </>
  );
}
