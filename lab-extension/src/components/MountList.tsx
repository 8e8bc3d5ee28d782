import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CSS } from '../cssClasses';
import { IEnvhubServer } from '../tokens';

/**
 * Properties of {@link MountList}.
 */
export interface IMountListProps {
  /** The mounts as the service describes them. */
  mounts: IEnvhubServer['mounts'];
  trans: TranslationBundle;
}

/**
 * The mounts of a server: mount path, volume and whether it is read-only, and what
 * keeps a mount from working.
 */
export function MountList(props: IMountListProps): JSX.Element {
  const { mounts, trans } = props;
  if (mounts.length === 0) {
    return <p className={CSS.message}>{trans.__('No volumes are mounted.')}</p>;
  }
  return (
    <ul className={CSS.mounts}>
      {mounts.map((mount, index) => (
        <li key={index} data-source={mount.source}>
          <code>{mount.target}</code>
          {mount.readOnly
            ? trans.__(' ← %1 (read-only)', mount.source)
            : trans.__(' ← %1', mount.source)}
          {mount.problem && (
            <p className={CSS.error}>
              {trans.__('Keeps the server from starting: %1', mount.problem)}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}
