import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CSS } from '../cssClasses';

/**
 * Properties of {@link RemoveButton}.
 */
export interface IRemoveButtonProps {
  /** What the button does, as its title and accessible name. */
  label: string;
  disabled: boolean;
  onClick: () => void;
  trans: TranslationBundle;
}

/** A list entry's *Remove* button. */
export function RemoveButton(props: IRemoveButtonProps): JSX.Element {
  const { label, disabled, onClick, trans } = props;
  return (
    <Button
      type="button"
      className={`${CSS.remove} jp-mod-styled`}
      minimal
      title={label}
      aria-label={label}
      disabled={disabled}
      onClick={onClick}
    >
      {trans.__('Remove')}
    </Button>
  );
}
