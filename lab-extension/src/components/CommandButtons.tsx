import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CSS } from '../cssClasses';

/**
 * Properties of {@link CommandButtons}.
 */
export interface ICommandButtonsProps {
  /** Runs the commands and tells their labels, captions and enabled states. */
  commands: CommandRegistry;
  /** The commands, in order. */
  ids: readonly string[];
}

/**
 * A bar of buttons, one per command: its label, its caption as title, disabled while
 * the command is. Each button carries `data-command` with the command id.
 */
export function CommandButtons(props: ICommandButtonsProps): JSX.Element {
  const { commands, ids } = props;
  return (
    <div className={CSS.actions}>
      {ids.map(id => {
        const label = commands.label(id);
        const caption = commands.caption(id);
        return (
          <Button
            key={id}
            type="button"
            className="jp-mod-styled jp-mod-reject"
            data-command={id}
            title={caption}
            aria-label={caption || label}
            disabled={!commands.isEnabled(id)}
            onClick={() => void commands.execute(id)}
          >
            {label}
          </Button>
        );
      })}
    </div>
  );
}
