/**
 * Classes and the nbgrader exchange, as the service sends them and its clients (the exchange in
 * every server, the lab extension, the pages) read them: one declaration for every side.
 *
 * Routes, all under `/services/envhub/api/`, all identified by the caller's Hub token (never by
 * anything in the request):
 *
 * | route | who | what |
 * | --- | --- | --- |
 * | `GET classes` | anyone | the caller's classes (`{classes: ClassView[]}`; admins: all) |
 * | `POST classes` | anyone | create (`ClassBody` with `id`); the caller becomes an instructor |
 * | `GET classes/<id>` | members | one `ClassView` |
 * | `PUT classes/<id>/members` | instructors | replace `instructors` and `students` |
 * | `DELETE classes/<id>` | instructors | the class, its exchange files and course directory |
 * | `GET classes/<id>/assignments` | members | `{assignments: AssignmentView[]}` (students: released ones) |
 * | `PUT classes/<id>/assignments/<a>` | instructors | release (or replace): `ExchangeUpload` with `dueAt` |
 * | `DELETE classes/<id>/assignments/<a>` | instructors | withdraw |
 * | `GET classes/<id>/assignments/<a>/files` | members | `FilesBody` of the released assignment |
 * | `POST classes/<id>/assignments/<a>/submissions` | members | submit: `ExchangeUpload` (`student`, if given, must be the caller) → 201 `SubmissionView` |
 * | `GET classes/<id>/assignments/<a>/submissions` | members | `{submissions: SubmissionView[]}`, students: own only; instructors may narrow with `?student=<name>` |
 * | `GET classes/<id>/assignments/<a>/submissions/<sid>` | the submitter, instructors | `{submission: SubmissionView, files: FileEntry[]}` |
 * | `PUT classes/<id>/assignments/<a>/feedback/<student>` | instructors | release feedback: `ExchangeUpload` with the submission's `timestamp` |
 * | `GET classes/<id>/assignments/<a>/feedback` | members | `{feedback: FeedbackView[]}` with files, students: own only |
 */

/** Class and assignment ids: what nbgrader accepts in a path and a Hub group name, e.g. `intro101`, `ps1`. */
export const CLASS_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

import type { ClassBody } from './generated/classBody.js';
import type { ExchangeUpload, FileEntry } from './generated/exchangeUpload.js';

/** The bodies of `POST classes`, `PUT classes/<id>/members` and the exchange's uploads (JSON Schemas). */
export type { ClassBody, ExchangeUpload, FileEntry };

/** Users and groups, by Hub name, as the service answers them. */
export interface ClassMembers {
  users: string[];
  groups: string[];
}

/** How the caller stands to a class. Admins act as instructors. */
export type ClassRole = 'instructor' | 'student';

/** A class as `GET classes/<id>` describes it to one of its members. */
export interface ClassView {
  id: string;
  title: string;
  createdBy: string;
  createdAt: string;
  role: ClassRole;
  instructors: ClassMembers;
  /** The students; only instructors see them (students see an empty list). */
  students: ClassMembers;
  repo: string | null;
  ref: string | null;
  /** The class page (absolute URL). */
  pageUrl: string;
  /** The launch link of the class environment with the class attached (absolute URL); null without a repo. */
  launchUrl: string | null;
  /** Where instructors' servers mount the course directory (nbgrader's `CourseDirectory.root`). */
  courseRoot: string;
}

/** Files as the exchange answers them (`files` of an `ExchangeUpload`). */
export interface FilesBody {
  files: FileEntry[];
}

/** A released assignment. */
export interface AssignmentView {
  id: string;
  releasedAt: string;
  dueAt: string | null;
  /** Notebook paths of the release, e.g. `ps1.ipynb`. */
  notebooks: string[];
  /** The caller's own submissions, oldest first. */
  submissions: SubmissionView[];
  /** Timestamps of submissions of the caller with feedback released. */
  feedback: string[];
  /** Instructors only: how many students submitted, and how many submissions in all. */
  submittedBy?: number;
  submissionCount?: number;
}

/** One submission: the service's receipt. */
export interface SubmissionView {
  id: string;
  student: string;
  assignment: string;
  /** When the service received it (ISO 8601, UTC, with milliseconds; later than the student's previous one): the submission's identity for feedback. */
  timestamp: string;
  /** Whether it came after the assignment's due date. */
  late: boolean;
  files: string[];
  bytes: number;
  /** Whether feedback for it has been released. */
  hasFeedback: boolean;
}

/** Released feedback for one submission. */
export interface FeedbackView extends FilesBody {
  student: string;
  assignment: string;
  timestamp: string;
  releasedAt: string;
}
