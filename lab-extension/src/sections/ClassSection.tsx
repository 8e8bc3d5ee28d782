import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CSS } from '../cssClasses';
import {
  ClassAction,
  IClassAssignment,
  IClassModel,
  IClassSnapshot,
  IEnvhubState,
  ISubmissionView
} from '../tokens';
import { EnvhubSection } from './EnvhubSection';

/** JupyterLab's command opening a file of the server. */
const OPEN = 'docmanager:open';

/** JupyterLab's command showing a folder in the file browser. */
const GO_TO_PATH = 'filebrowser:go-to-path';

/**
 * JupyterLab's HTML viewer: it renders the file in an iframe sandboxed without scripts
 * (until the user trusts it), so feedback written by someone else cannot act as the student.
 */
const HTML_VIEWER = 'HTML Viewer';

/**
 * The class this server was launched for: its title, the user's role, and each released
 * nbgrader assignment with its due date and where it stands, with *Fetch*, *Open*, *Submit*
 * (and the receipt) and *Open feedback*; instructors also see how many submitted, and a
 * link to nbgrader's Formgrader.
 */
export class ClassSection extends EnvhubSection {
  constructor(options: EnvhubSection.IOptions) {
    super(options, 'class');
    this.title.label = this.trans.__('Class');
  }

  /** When the server was launched for a class. */
  appliesTo(state: IEnvhubState): boolean {
    return (
      state.server !== null &&
      this.classes !== null &&
      this.classes.state.class !== null
    );
  }

  protected render(): JSX.Element | null {
    const model = this.classes;
    const theClass = model?.state.class;
    if (!model || !theClass) {
      return null;
    }
    const { state } = model;
    const trans = this.trans;
    const instructor = theClass.role === 'instructor';
    return (
      <>
        {state.status === 'error' && state.error && (
          <p className={CSS.error} role="alert">
            {state.error}
          </p>
        )}
        <dl className={CSS.details}>
          <dt>{trans.__('Class')}</dt>
          <dd className={CSS.classTitle}>
            {theClass.title && theClass.title !== theClass.id
              ? trans.__('%1 (%2)', theClass.title, theClass.id)
              : theClass.id}
          </dd>
          <dt>{trans.__('Role')}</dt>
          <dd className={CSS.classRole} data-role={theClass.role}>
            {instructor ? trans.__('Instructor') : trans.__('Student')}
          </dd>
        </dl>
        {!state.nbgrader && (
          <p className={CSS.note} data-nbgrader="missing">
            {trans.__(
              'Fetching and submitting assignments need nbgrader in this environment: add %1 to the requirements.txt of its repository, then relaunch the server.',
              'nbgrader'
            )}
          </p>
        )}
        {instructor && state.nbgrader && (
          <p>
            <a
              className={CSS.formgrader}
              href={model.formgraderUrl}
              // nbgrader's own Formgrader panel frames this page; a tab of its own gives it room.
              target="_blank"
              rel="noopener noreferrer"
            >
              {trans.__('Open Formgrader')}
            </a>
          </p>
        )}
        {state.assignments.length === 0 && state.status === 'ready' && (
          <p className={CSS.message}>
            {trans.__('No assignments have been released yet.')}
          </p>
        )}
        <ul className={CSS.assignments}>
          {state.assignments.map(assignment => (
            <Assignment
              key={assignment.id}
              assignment={assignment}
              state={state}
              model={model}
              commands={this.commands}
              trans={trans}
            />
          ))}
        </ul>
      </>
    );
  }
}

/**
 * Properties of {@link Assignment}.
 */
interface IAssignmentProps {
  assignment: IClassAssignment;
  state: IClassSnapshot;
  model: IClassModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

/** Where an assignment stands, furthest first, as `data-progress`. */
type Progress = 'feedback' | 'submitted' | 'fetched' | 'not-fetched';

/** A time for people: the local date and time. */
function formatTime(iso: string): string {
  const parsed = new Date(iso);
  return isNaN(parsed.getTime()) ? iso : parsed.toLocaleString();
}

/** The latest submission known: the service's list, or the receipt of one made here since. */
function lastSubmission(
  assignment: IClassAssignment,
  receipt: ISubmissionView | undefined
): ISubmissionView | null {
  const listed = assignment.submissions[assignment.submissions.length - 1];
  if (!listed || !receipt) {
    return listed ?? receipt ?? null;
  }
  return Date.parse(receipt.timestamp) > Date.parse(listed.timestamp)
    ? receipt
    : listed;
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

/** A button of an action that runs nbgrader in this server (fetch, submit). */
function NbgraderButton(props: {
  action: ClassAction;
  disabled: boolean;
  title: string | undefined;
  onClick: () => void;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <Button
      type="button"
      className="jp-mod-styled"
      small
      disabled={props.disabled}
      title={props.title}
      onClick={props.onClick}
      data-action={props.action}
    >
      {props.children}
    </Button>
  );
}

function Assignment(props: IAssignmentProps): JSX.Element {
  const { assignment, state, model, commands, trans } = props;
  const { id, local } = assignment;
  const running = state.running[id];
  const receipt = state.receipts[id];
  const failure = state.failures[id];
  const last = lastSubmission(assignment, receipt);

  let progress: Progress = 'not-fetched';
  let described = trans.__('Not fetched');
  if (assignment.feedback.length > 0) {
    progress = 'feedback';
    described = trans.__('Feedback available');
  } else if (last) {
    progress = 'submitted';
    described = last.late
      ? trans.__('Submitted at %1 (late)', formatTime(last.timestamp))
      : trans.__('Submitted at %1 (on time)', formatTime(last.timestamp));
  } else if (local.fetched) {
    progress = 'fetched';
    described = trans.__('Fetched');
  }

  // A failure is shown with the assignment, from the model's state; a second click before
  // the buttons render disabled is refused by the model, and dropped here.
  const fetch = (): void => {
    void model.fetchAssignment(id).catch(() => undefined);
  };

  const submit = (): void => {
    void model.submitAssignment(id).catch(() => undefined);
  };

  const openFeedback = async (): Promise<void> => {
    let paths: string[];
    try {
      paths = await model.fetchFeedback(id);
    } catch {
      return;
    }
    const html = paths.find(path => /\.html?$/i.test(path)) ?? paths[0];
    if (!html) {
      Notification.warning(
        trans.__('No feedback file of %1 was found in this server.', id),
        { autoClose: 8000 }
      );
      return;
    }
    try {
      await commands.execute(OPEN, { path: html, factory: HTML_VIEWER });
    } catch (reason) {
      notifyFailure(trans, reason);
    }
  };

  const openFolder = (): void => {
    if (local.path !== null) {
      void commands
        .execute(GO_TO_PATH, { path: local.path })
        .catch(reason => notifyFailure(trans, reason));
    }
  };

  const nbgraderButton = {
    disabled: !!running || !state.nbgrader,
    title: state.nbgrader
      ? undefined
      : trans.__('This environment does not have nbgrader.')
  };

  return (
    <li
      className={CSS.assignment}
      data-assignment={id}
      data-progress={progress}
    >
      <div className={CSS.assignmentName}>{id}</div>
      {assignment.dueAt ? (
        <time
          className={CSS.assignmentDue}
          dateTime={assignment.dueAt}
          title={assignment.dueAt}
        >
          {trans.__('Due %1', formatTime(assignment.dueAt))}
        </time>
      ) : (
        <div className={CSS.assignmentDue}>{trans.__('No due date')}</div>
      )}
      <div className={CSS.assignmentState}>{described}</div>
      {/* The service counts submissions for instructors only. */}
      {assignment.submittedBy !== undefined && (
        <div className={CSS.assignmentCounts}>
          {trans._n(
            '%1 student submitted',
            '%1 students submitted',
            assignment.submittedBy
          )}
          {', '}
          {trans._n(
            '%1 submission in all',
            '%1 submissions in all',
            assignment.submissionCount ?? assignment.submittedBy
          )}
        </div>
      )}
      {failure && (
        <p className={CSS.error} role="alert">
          {failure}
        </p>
      )}
      <div className={CSS.actions}>
        {!local.fetched && (
          <NbgraderButton {...nbgraderButton} action="fetch" onClick={fetch}>
            {running === 'fetch' ? trans.__('Fetching…') : trans.__('Fetch')}
          </NbgraderButton>
        )}
        {local.fetched && local.path !== null && (
          <Button
            type="button"
            className="jp-mod-styled jp-mod-reject"
            small
            onClick={openFolder}
            data-action="open"
          >
            {trans.__('Open')}
          </Button>
        )}
        {local.fetched && (
          <NbgraderButton {...nbgraderButton} action="submit" onClick={submit}>
            {running === 'submit'
              ? trans.__('Submitting…')
              : trans.__('Submit')}
          </NbgraderButton>
        )}
        {assignment.feedback.length > 0 && (
          <Button
            type="button"
            className="jp-mod-styled"
            small
            disabled={!!running}
            onClick={() => void openFeedback()}
            data-action="feedback"
          >
            {running === 'feedback'
              ? trans.__('Fetching feedback…')
              : trans.__('Open feedback')}
          </Button>
        )}
      </div>
      {receipt && <Receipt receipt={receipt} trans={trans} />}
    </li>
  );
}

/** The receipt of the last submission made from this page: when, late or not, and the files. */
function Receipt(props: {
  receipt: ISubmissionView;
  trans: TranslationBundle;
}): JSX.Element {
  const { receipt, trans } = props;
  return (
    <div
      className={CSS.receipt}
      data-submission={receipt.id}
      data-late={receipt.late}
      role="status"
    >
      <div>
        {receipt.late
          ? trans.__(
              'Submitted at %1, after the due date.',
              formatTime(receipt.timestamp)
            )
          : trans.__(
              'Submitted at %1, on time.',
              formatTime(receipt.timestamp)
            )}
      </div>
      <div>
        {trans._n(
          '%1 file submitted:',
          '%1 files submitted:',
          receipt.files.length
        )}
      </div>
      <ul className={CSS.receiptFiles}>
        {receipt.files.map(file => (
          <li key={file}>{file}</li>
        ))}
      </ul>
    </div>
  );
}
