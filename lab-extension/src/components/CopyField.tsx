import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CSS } from '../cssClasses';

/**
 * Properties of {@link CopyField}.
 */
export interface ICopyFieldProps {
  /** What the value is, e.g. "Launch link". */
  label: string;
  /** The value, shown read-only. */
  value: string;
  /** Stable name for tests and styling (`data-kind`), e.g. `link` or `markdown`. */
  kind: string;
  trans: TranslationBundle;
}

/**
 * One labelled, read-only value with a button that copies it.
 */
export function CopyField(props: ICopyFieldProps): JSX.Element {
  const { label, value, kind, trans } = props;
  const id = `envhub-copy-${kind}-${React.useId()}`;
  const field = {
    id,
    readOnly: true,
    value,
    className: 'jp-mod-styled',
    onFocus: (
      event: React.FocusEvent<HTMLInputElement | HTMLTextAreaElement>
    ) => event.currentTarget.select()
  };
  return (
    <div className={CSS.copyItem} data-kind={kind}>
      <label htmlFor={id}>{label}</label>
      {value.includes('\n') ? <textarea {...field} /> : <input {...field} />}
      <button
        type="button"
        className={`${CSS.copy} jp-Button jp-mod-styled jp-mod-reject`}
        title={trans.__('Copy the %1', label.toLowerCase())}
        onClick={() => {
          Clipboard.copyToSystem(value);
          Notification.success(trans.__('%1 copied.', label), {
            autoClose: 3000
          });
        }}
      >
        {trans.__('Copy')}
      </button>
    </div>
  );
}
