import * as React from 'react';

import { CommandButtons } from '../components/CommandButtons';
import { MountList } from '../components/MountList';
import { CSS } from '../cssClasses';
import { CommandIDs } from '../tokens';
import { EnvhubSection } from './EnvhubSection';

/**
 * The volumes mounted into this server; for the owner, the editor, and a restart
 * while changed mounts wait for one.
 */
export class MountsSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'mounts');
    this.title.label = this.trans.__('Mounts');
  }

  protected render(): JSX.Element | null {
    const server = this.model.state.server;
    if (!server) {
      return null;
    }
    const trans = this.trans;
    return (
      <>
        <MountList mounts={server.mounts} trans={trans} />
        {server.mountsPending && (
          <p className={CSS.note} data-pending="true">
            {trans.__(
              'The mounts changed: they are applied when this server restarts.'
            )}
          </p>
        )}
        {server.canManage ? (
          <CommandButtons
            commands={this.commands}
            ids={
              server.mountsPending
                ? [CommandIDs.mounts, CommandIDs.restart]
                : [CommandIDs.mounts]
            }
          />
        ) : (
          <p className={CSS.note}>
            {trans.__('Only the owner can change the mounts.')}
          </p>
        )}
      </>
    );
  }
}
