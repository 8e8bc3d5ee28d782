import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CSS } from '../cssClasses';
import {
  IEnvhubState,
  IMaterialsDiff,
  IMaterialsEntry,
  IMaterialsModel,
  IMaterialsSnapshot
} from '../tokens';
import { EnvhubSection } from './EnvhubSection';

/** JupyterLab's command opening a file of the home. */
const OPEN = 'docmanager:open';

/**
 * The course materials pulled into this server: each source with its state, *Pull*
 * with its live output, and the files changed here or in conflict, to open or restore.
 * Collaborators use it as the owner does: the materials are files of the shared home.
 */
export class MaterialsSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'materials');
    this.title.label = this.trans.__('Course materials');
  }

  /** When the server's spec has materials, or its extension reports some. */
  appliesTo(state: IEnvhubState): boolean {
    return (
      state.server !== null &&
      this.materials !== null &&
      ((state.server.spec.materials?.length ?? 0) > 0 ||
        this.materials.state.entries.length > 0)
    );
  }

  protected render(): JSX.Element | null {
    const materials = this.materials;
    if (!materials) {
      return null;
    }
    const { state } = materials;
    return (
      <>
        {state.status === 'error' && state.error && (
          <p className={CSS.error} role="alert">
            {state.error}
          </p>
        )}
        {state.entries.length === 0 &&
          (state.status === 'idle' || state.status === 'loading') && (
            <p className={CSS.message}>
              {this.trans.__('Loading the course materials…')}
            </p>
          )}
        {state.entries.length === 0 && state.status === 'ready' && (
          <p className={CSS.message}>
            {this.trans.__(
              'No course materials here yet: they are pulled at the next launch of this server.'
            )}
          </p>
        )}
        <ul className={CSS.materials}>
          {state.entries.map(entry => (
            <Material
              key={`${entry.index}:${entry.path}`}
              entry={entry}
              state={state}
              model={materials}
              commands={this.commands}
              trans={this.trans}
            />
          ))}
        </ul>
      </>
    );
  }
}

/**
 * Properties of {@link Material}.
 */
interface IMaterialProps {
  entry: IMaterialsEntry;
  state: IMaterialsSnapshot;
  model: IMaterialsModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

/** What an entry's state is, in a few words. */
function describeState(
  entry: IMaterialsEntry,
  trans: TranslationBundle
): string {
  const parts: string[] = [];
  switch (entry.state) {
    case 'missing':
      parts.push(trans.__('Not pulled yet'));
      break;
    case 'up to date':
      parts.push(trans.__('Up to date'));
      break;
    case 'behind':
      parts.push(
        trans._n('%1 update', '%1 updates', entry.behind ?? 0, entry.behind)
      );
      break;
    case 'diverged':
      parts.push(trans.__('Histories diverged'));
      break;
    case 'error':
      parts.push(trans.__('Error'));
      break;
  }
  if (entry.changed.length > 0) {
    parts.push(
      trans._n('%1 changed file', '%1 changed files', entry.changed.length)
    );
  }
  if (entry.conflicts.length > 0) {
    parts.push(trans._n('%1 conflict', '%1 conflicts', entry.conflicts.length));
  }
  return parts.join(', ');
}

/** The class of one line of a unified diff, for its colour. */
function diffLineClass(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) {
    return undefined;
  }
  if (line.startsWith('+')) {
    return CSS.diffAdded;
  }
  if (line.startsWith('-')) {
    return CSS.diffRemoved;
  }
  return line.startsWith('@@') ? CSS.diffHunk : undefined;
}

/** A unified diff, one element per line so that added and removed lines can be coloured. */
function DiffView(props: {
  diff: IMaterialsDiff;
  trans: TranslationBundle;
}): JSX.Element {
  const { diff, trans } = props;
  const lines = diff.diff.replace(/\n$/, '').split('\n');
  return (
    <div>
      <p className={CSS.note}>
        {diff.diff
          ? trans.__(
              'Lines starting with - are the upstream version (commit %1), lines starting with + are yours.',
              diff.upstreamCommit.slice(0, 12)
            )
          : trans.__(
              'Your %1 is the same as its upstream version (commit %2).',
              diff.file,
              diff.upstreamCommit.slice(0, 12)
            )}
      </p>
      {diff.diff && (
        <pre
          className={CSS.diff}
          aria-label={trans.__('Differences from upstream')}
        >
          {lines.map((line, i) => (
            <span key={i} className={diffLineClass(line)}>
              {`${line}\n`}
            </span>
          ))}
        </pre>
      )}
    </div>
  );
}

/** Says why a request failed, in a notification. */
function notifyFailure(trans: TranslationBundle, reason: unknown): void {
  Notification.error(
    trans.__(
      'envhub: %1',
      reason instanceof Error ? reason.message : String(reason)
    ),
    { autoClose: 8000 }
  );
}

function Material(props: IMaterialProps): JSX.Element {
  const { entry, state, model, commands, trans } = props;
  const busy = state.pulling !== null;
  const log = state.logs[entry.index];
  const [restoring, setRestoring] = React.useState(false);
  const [diffing, setDiffing] = React.useState<string | null>(null);

  const pull = async (backup: boolean): Promise<void> => {
    try {
      const final = await model.pull(entry.index, backup);
      if (final.phase === 'error') {
        notifyFailure(trans, final.message);
      }
    } catch (reason) {
      notifyFailure(trans, reason);
    }
  };

  const resync = async (): Promise<void> => {
    const answer = await showDialog({
      title: trans.__('Backup and resync'),
      body: trans.__(
        'The history of %1 cannot be merged with upstream. %2 will be moved aside as a backup (nothing is deleted) and a fresh copy pulled in its place.',
        entry.repo,
        entry.path
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Backup and resync') })
      ]
    });
    if (answer.button.accept) {
      await pull(true);
    }
  };

  const restore = async (file: string): Promise<void> => {
    const answer = await showDialog({
      title: trans.__('Restore upstream version'),
      body: trans.__(
        'Put the upstream version of %1 back? Your version is kept beside it under a new name.',
        file
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Restore') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    setRestoring(true);
    try {
      const { restored, keptAs } = await model.restore(entry.index, file);
      Notification.success(
        keptAs
          ? trans.__(
              'Restored the upstream version of %1; your version is kept as %2.',
              restored,
              keptAs
            )
          : trans.__(
              'Restored the upstream version of %1; it was the same as yours.',
              restored
            ),
        { autoClose: 8000 }
      );
    } catch (reason) {
      notifyFailure(trans, reason);
    } finally {
      setRestoring(false);
    }
  };

  const showDiff = async (file: string): Promise<void> => {
    setDiffing(file);
    let diff: IMaterialsDiff;
    try {
      diff = await model.diff(entry.index, file);
    } catch (reason) {
      notifyFailure(trans, reason);
      return;
    } finally {
      setDiffing(null);
    }
    await showDialog({
      title: trans.__('Upstream diff of %1', `${entry.path}/${diff.file}`),
      body: <DiffView diff={diff} trans={trans} />,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
  };

  const open = (file: string): void => {
    void commands.execute(OPEN, { path: `${entry.path}/${file}` });
  };

  const files = [
    ...entry.conflicts.map(file => ({ file, conflict: true })),
    ...entry.changed
      .filter(file => !entry.conflicts.includes(file))
      .map(file => ({ file, conflict: false }))
  ];

  return (
    <li
      className={CSS.material}
      data-index={entry.index}
      data-state={entry.state}
    >
      <div className={CSS.repo} title={entry.repo}>
        {entry.path}
        {entry.branch ? ` (${entry.branch})` : ''}
      </div>
      <div className={CSS.materialState}>{describeState(entry, trans)}</div>
      {entry.message && <p className={CSS.note}>{entry.message}</p>}
      {entry.lastPull && !entry.lastPull.ok && (
        <p className={CSS.note} data-last-pull="failed">
          {trans.__('Last pull failed: %1', entry.lastPull.message)}
        </p>
      )}
      {entry.backups.length > 0 && (
        <p className={CSS.note} data-backups="true">
          {trans.__('Backups of earlier copies: %1', entry.backups.join(', '))}
        </p>
      )}
      <div className={CSS.actions}>
        <Button
          type="button"
          className="jp-mod-styled"
          small
          disabled={busy}
          onClick={() => void pull(false)}
          data-action="pull"
        >
          {state.pulling === entry.index
            ? trans.__('Pulling…')
            : trans.__('Pull')}
        </Button>
        {entry.state === 'diverged' && (
          <Button
            type="button"
            className="jp-mod-styled jp-mod-warn"
            small
            disabled={busy}
            onClick={() => void resync()}
            data-action="resync"
          >
            {trans.__('Backup and resync')}
          </Button>
        )}
      </div>
      {log && log.length > 0 && (
        <pre
          className={CSS.pullLog}
          aria-label={trans.__('Output of the pull')}
        >
          {log.join('\n')}
        </pre>
      )}
      {(files.length > 0 || entry.renamed.length > 0) && (
        <ul className={CSS.materialFiles}>
          {files.map(({ file, conflict }) => (
            <li
              key={file}
              className={CSS.materialFile}
              data-file={file}
              data-kind={conflict ? 'conflict' : 'changed'}
            >
              <span>
                {conflict
                  ? trans.__('%1 (conflict: your lines were kept)', file)
                  : trans.__('%1 (changed)', file)}
              </span>
              <Button
                type="button"
                small
                minimal
                onClick={() => open(file)}
                data-action="open"
              >
                {trans.__('Open')}
              </Button>
              <Button
                type="button"
                small
                minimal
                disabled={diffing !== null}
                onClick={() => void showDiff(file)}
                data-action="diff"
              >
                {diffing === file
                  ? trans.__('Comparing…')
                  : trans.__('Show upstream diff')}
              </Button>
              <Button
                type="button"
                small
                minimal
                disabled={busy || restoring}
                onClick={() => void restore(file)}
                data-action="restore"
              >
                {trans.__('Restore upstream version')}
              </Button>
            </li>
          ))}
          {entry.renamed.map(({ from, to }) => (
            <li
              key={`renamed:${to}`}
              className={CSS.materialFile}
              data-file={to}
              data-kind="renamed"
            >
              <span>
                {trans.__(
                  '%1 (your file, moved aside for the upstream %2)',
                  to,
                  from
                )}
              </span>
              <Button
                type="button"
                small
                minimal
                onClick={() => open(to)}
                data-action="open"
              >
                {trans.__('Open')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
