import { randomBytes } from 'node:crypto';
import {
  CLASS_ID_PATTERN,
  launchPath,
  validateClassBody,
  validateUpload,
  type AssignmentView,
  type ClassBody,
  type ClassMembers,
  type ClassView,
  type ExchangeUpload,
  type FeedbackView,
  type FilesBody,
  type SubmissionView
} from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import { log } from '../log.js';
import { authorize, type Operation, type Relation } from '../policy/access.js';
import type {
  AssignmentRecord,
  ClassRecord,
  Store,
  SubmissionRecord
} from '../store/store.js';
import type { Volumes } from '../volumes/volumes.js';
import type { ClassFiles } from './classFiles.js';

export interface ClassSettings {
  /** How many classes one user may create. */
  classesPerUser: number;
  /** Absolute base of envhub's pages, e.g. `https://hub.example.org/services/envhub/`. */
  baseUrl: string;
}

/** Where instructors' servers mount a class's course directory (nbgrader's `CourseDirectory.root`). */
export const courseRoot = (id: string): string => `/home/jovyan/course-${id}`;

const CLASS_EXAMPLE =
  '{"id": "intro101", "instructors": {"users": ["alice"]}, "students": {"groups": ["intro101-students"]}}';

/** `given` checked against the class schema, or a 400 naming each field that is wrong. */
function classBody(given: unknown): ClassBody {
  const result = validateClassBody(given);
  if (!result.ok)
    throw new EnvhubError(
      400,
      'invalid_body',
      `${result.errors.map(e => e.message).join('; ')}; send e.g. ${CLASS_EXAMPLE}`
    );
  return result.value;
}

function upload(given: unknown): ExchangeUpload {
  const result = validateUpload(given);
  if (!result.ok)
    throw new EnvhubError(
      400,
      'invalid_body',
      result.errors.map(e => e.message).join('; ')
    );
  return result.value;
}

const members = (given: Partial<ClassMembers> | undefined): ClassMembers => ({
  users: [...(given?.users ?? [])],
  groups: [...(given?.groups ?? [])]
});

/** Submission timestamps: the service's clock, ISO 8601 in UTC with milliseconds. */
const now = () => new Date().toISOString();

/**
 * Classes and their nbgrader exchange. Who the caller is comes from their Hub token (the route
 * passes the Hub's user), never from the request; membership is read from the Hub's groups at every
 * call, so a group change applies at once. Files live in the service's data directory.
 */
export class Classes {
  constructor(
    private readonly hub: HubClient,
    private readonly store: Store,
    private readonly files: ClassFiles,
    private readonly volumes: Volumes,
    private readonly settings: ClassSettings
  ) {}

  /**
   * The Hub's members of a group, each group asked once while the returned function is kept (one
   * request's worth); a group the Hub lacks has no one.
   */
  private groupMembers(): (group: string) => Promise<string[]> {
    const asked = new Map<string, Promise<string[]>>();
    return group => {
      if (!asked.has(group))
        asked.set(
          group,
          this.hub.groupMembers(group).catch((err: unknown): string[] => {
            if (err instanceof EnvhubError && err.status === 404) return [];
            throw err;
          })
        );
      return asked.get(group)!;
    };
  }

  /** Whether `name` is among `of`'s users or in one of its groups. */
  private async isIn(
    name: string,
    of: ClassMembers,
    members = this.groupMembers()
  ): Promise<boolean> {
    if (of.users.includes(name)) return true;
    for (const group of of.groups)
      if ((await members(group)).includes(name)) return true;
    return false;
  }

  /** How `user` stands to `record`: instructor, student, an admin outside it, or nothing. */
  async relation(
    user: HubUser,
    record: ClassRecord,
    members = this.groupMembers()
  ): Promise<Relation> {
    if (await this.isIn(user.name, record.instructors, members))
      return 'instructor';
    if (await this.isIn(user.name, record.students, members)) return 'student';
    return user.admin ? 'admin' : 'none';
  }

  /** The role of Hub user `name` in class `id` (for spawning), or null when not a member. */
  async roleOf(
    name: string,
    id: string
  ): Promise<'instructor' | 'student' | null> {
    const record = this.store.getClass(id);
    if (!record) return null;
    const relation = await this.relation(
      { name, kind: 'user', admin: false, scopes: [] },
      record
    );
    return relation === 'instructor' || relation === 'student'
      ? relation
      : null;
  }

  /** Class `id` if `user` may do `operation` on it, with how they stand to it. */
  private async classFor(
    user: HubUser,
    id: string,
    operation: Operation
  ): Promise<{ record: ClassRecord; relation: Relation }> {
    const record = this.store.getClass(id);
    const relation = record ? await this.relation(user, record) : 'none';
    authorize(operation, relation, `class ${id}`, record?.createdBy ?? '');
    return { record: record!, relation };
  }

  private view(record: ClassRecord, relation: Relation): ClassView {
    const teaches = relation !== 'student';
    const launch =
      record.repo &&
      launchPath({
        repo: record.repo,
        ref: record.ref ?? 'HEAD',
        name: record.id,
        class: record.id
      });
    return {
      id: record.id,
      title: record.title,
      createdBy: record.createdBy,
      createdAt: record.createdAt,
      role: teaches ? 'instructor' : 'student',
      instructors: record.instructors,
      students: teaches ? record.students : { users: [], groups: [] },
      repo: record.repo,
      ref: record.ref,
      pageUrl: `${this.settings.baseUrl}classes/${record.id}`,
      launchUrl: launch ? `${this.settings.baseUrl}${launch}` : null,
      courseRoot: courseRoot(record.id)
    };
  }

  /** The classes `user` teaches or takes (admins: every class). */
  async list(user: HubUser): Promise<ClassView[]> {
    // Classes share groups (a course's students take several): each is asked once.
    const members = this.groupMembers();
    const views: ClassView[] = [];
    for (const record of this.store.allClasses()) {
      const relation = await this.relation(user, record, members);
      if (relation !== 'none') views.push(this.view(record, relation));
    }
    return views;
  }

  async get(user: HubUser, id: string): Promise<ClassView> {
    const { record, relation } = await this.classFor(user, id, 'class.read');
    return this.view(record, relation);
  }

  /** Creates a class with `user` among its instructors, and its course directory. */
  async create(user: HubUser, given: unknown): Promise<ClassView> {
    const body = classBody(given);
    if (!body.id)
      throw new EnvhubError(
        400,
        'invalid_body',
        `id is required: the class id, e.g. intro101; send e.g. ${CLASS_EXAMPLE}`
      );
    const created = this.store
      .allClasses()
      .filter(c => c.createdBy === user.name).length;
    if (created >= this.settings.classesPerUser)
      throw new EnvhubError(
        409,
        'too_many_classes',
        `you created ${created} classes and this hub allows ${this.settings.classesPerUser}; delete one first`
      );
    const instructors = members(body.instructors);
    if (!instructors.users.includes(user.name))
      instructors.users.unshift(user.name);
    const record: ClassRecord = {
      id: body.id,
      title: body.title ?? body.id,
      createdBy: user.name,
      createdAt: now(),
      instructors,
      students: members(body.students),
      repo: body.repo ?? null,
      ref: body.repo ? (body.ref ?? null) : null
    };
    // The row claims the id first, so two concurrent creations cannot both make the class.
    if (!this.store.addClass(record))
      throw new EnvhubError(
        409,
        'class_exists',
        `a class with the id ${body.id} already exists on this hub; choose another id`
      );
    try {
      await this.volumes.createCourseVolume(record.id);
    } catch (err) {
      this.store.deleteClass(record.id);
      throw new EnvhubError(
        500,
        'class_create_failed',
        `could not create the course directory of class ${record.id}: ${(err as Error).message}`
      );
    }
    log.info('class.created', { id: record.id, by: user.name });
    return this.view(record, 'instructor');
  }

  /** Replaces the members (and title and environment, when given) of class `id`. */
  async setMembers(
    user: HubUser,
    id: string,
    given: unknown
  ): Promise<ClassView> {
    const { record } = await this.classFor(user, id, 'class.manage');
    const body = classBody(given);
    if (body.id !== undefined && body.id !== id)
      throw new EnvhubError(
        400,
        'invalid_body',
        `a class's id cannot change (this is ${id}); leave id out`
      );
    if (!body.instructors && !body.students)
      throw new EnvhubError(
        400,
        'invalid_body',
        `send the instructors and the students, e.g. ${CLASS_EXAMPLE}`
      );
    const updated: ClassRecord = {
      ...record,
      title: body.title ?? record.title,
      instructors: body.instructors
        ? members(body.instructors)
        : record.instructors,
      students: body.students ? members(body.students) : record.students,
      repo: body.repo ?? record.repo,
      ref: body.repo ? (body.ref ?? null) : record.ref
    };
    if (
      !user.admin &&
      !(await this.isIn(user.name, updated.instructors)) &&
      updated.instructors.users.length + updated.instructors.groups.length === 0
    )
      throw new EnvhubError(
        400,
        'invalid_members',
        `class ${id} needs at least one instructor`
      );
    this.store.updateClass(updated);
    log.info('class.members', { id, by: user.name });
    return this.view(updated, await this.relation(user, updated));
  }

  /** Deletes class `id`: its exchange files, records and course directory. */
  async remove(user: HubUser, id: string): Promise<void> {
    await this.classFor(user, id, 'class.manage');
    await this.volumes.removeCourseVolume(id);
    this.store.deleteClass(id);
    await this.files.remove([id]);
    log.info('class.deleted', { id, by: user.name });
  }

  private submissionView(
    record: SubmissionRecord,
    feedback: Set<string>
  ): SubmissionView {
    return {
      id: record.id,
      student: record.student,
      assignment: record.assignment,
      timestamp: record.timestamp,
      late: record.late,
      files: record.files,
      bytes: record.bytes,
      hasFeedback: feedback.has(`${record.student}\n${record.timestamp}`)
    };
  }

  private feedbackKeys(classId: string, assignment: string, student?: string) {
    return new Set(
      this.store
        .listFeedback(classId, assignment, student)
        .map(f => `${f.student}\n${f.timestamp}`)
    );
  }

  private assignmentView(
    record: AssignmentRecord,
    user: HubUser,
    teaches: boolean
  ): AssignmentView {
    const feedback = this.feedbackKeys(record.classId, record.id, user.name);
    const own = this.store
      .listSubmissions(record.classId, record.id, user.name)
      .map(s => this.submissionView(s, feedback));
    const view: AssignmentView = {
      id: record.id,
      releasedAt: record.releasedAt,
      dueAt: record.dueAt,
      notebooks: record.notebooks,
      submissions: own,
      feedback: own.filter(s => s.hasFeedback).map(s => s.timestamp)
    };
    if (teaches) {
      const all = this.store.listSubmissions(record.classId, record.id);
      view.submittedBy = new Set(all.map(s => s.student)).size;
      view.submissionCount = all.length;
    }
    return view;
  }

  /** The released assignment `id` of `classId`, or a 404 naming the released ones. */
  private released(classId: string, id: string): AssignmentRecord {
    const record = this.store.getAssignment(classId, id);
    if (!record) {
      const released = this.store.listAssignments(classId).map(a => a.id);
      throw new EnvhubError(
        404,
        'not_found',
        `class ${classId} has no released assignment ${id}${released.length ? ` (released: ${released.join(', ')})` : ' (nothing is released yet)'}`
      );
    }
    return record;
  }

  /** The assignments of class `id` as `user` sees them. */
  async assignments(user: HubUser, id: string): Promise<AssignmentView[]> {
    return (await this.withAssignments(user, id)).assignments;
  }

  /** Class `id` and its assignments as `user` sees them (the class page), membership read once. */
  async withAssignments(
    user: HubUser,
    id: string
  ): Promise<{ view: ClassView; assignments: AssignmentView[] }> {
    const { record, relation } = await this.classFor(user, id, 'class.read');
    return {
      view: this.view(record, relation),
      assignments: this.store
        .listAssignments(id)
        .map(a => this.assignmentView(a, user, relation !== 'student'))
    };
  }

  /** Releases (or replaces) assignment `assignment` of class `id`, with its due date. */
  async release(
    user: HubUser,
    id: string,
    assignment: string,
    given: unknown
  ): Promise<AssignmentView> {
    await this.classFor(user, id, 'class.teach');
    if (!CLASS_ID_PATTERN.test(assignment))
      throw new EnvhubError(
        400,
        'invalid_name',
        `assignment id ${JSON.stringify(assignment)} does not have the expected form: 1-64 letters, digits, '_' or '-', starting with a letter or digit, e.g. ps1`
      );
    const body = upload(given);
    const { files } = this.files.decode(body.files);
    const notebooks = files
      .map(([path]) => path)
      .filter(path => path.endsWith('.ipynb'));
    if (notebooks.length === 0)
      throw new EnvhubError(
        400,
        'invalid_body',
        `assignment ${assignment} has no notebook (.ipynb); release what nbgrader generated in release/${assignment}`
      );
    await this.files.write([id, 'releases', assignment], files);
    const record: AssignmentRecord = {
      classId: id,
      id: assignment,
      releasedAt: now(),
      dueAt:
        body.dueAt === undefined || body.dueAt === null
          ? null
          : new Date(body.dueAt).toISOString(),
      notebooks
    };
    this.store.saveAssignment(record);
    log.info('class.released', { id, assignment, by: user.name });
    return this.assignmentView(record, user, true);
  }

  /** Withdraws a release (submissions and feedback stay). */
  async withdraw(user: HubUser, id: string, assignment: string): Promise<void> {
    await this.classFor(user, id, 'class.teach');
    this.released(id, assignment);
    this.store.deleteAssignment(id, assignment);
    await this.files.remove([id, 'releases', assignment]);
    log.info('class.withdrawn', { id, assignment, by: user.name });
  }

  /** The files of a released assignment. */
  async releasedFiles(
    user: HubUser,
    id: string,
    assignment: string
  ): Promise<FilesBody> {
    await this.classFor(user, id, 'class.read');
    this.released(id, assignment);
    return { files: await this.files.read([id, 'releases', assignment]) };
  }

  /** Keeps a submission of `user`'s (every one, timestamped here) and answers its receipt. */
  async submit(
    user: HubUser,
    id: string,
    assignment: string,
    given: unknown
  ): Promise<SubmissionView> {
    await this.classFor(user, id, 'class.submit');
    const body = upload(given);
    if (body.student !== undefined && body.student !== user.name)
      throw new EnvhubError(
        403,
        'forbidden',
        `you are signed in as ${user.name} and may submit only as yourself, not as ${body.student}`
      );
    const released = this.released(id, assignment);
    const { files, bytes } = this.files.decode(body.files);
    // A submission is named by its timestamp (feedback answers one): each later than the last.
    const previous = this.store
      .listSubmissions(id, assignment, user.name)
      .at(-1)?.timestamp;
    let timestamp = now();
    if (previous && timestamp <= previous)
      timestamp = new Date(Date.parse(previous) + 1).toISOString();
    const record: SubmissionRecord = {
      id: randomBytes(12).toString('hex'),
      classId: id,
      assignment,
      student: user.name,
      timestamp,
      late: false,
      files: files.map(([path]) => path),
      bytes
    };
    record.late = released.dueAt !== null && record.timestamp > released.dueAt;
    await this.files.write([id, 'submissions', record.id], files);
    this.store.addSubmission(record);
    log.info('class.submitted', {
      id,
      assignment,
      student: user.name,
      late: record.late
    });
    return this.submissionView(record, new Set());
  }

  /** Submissions of an assignment: all of them for instructors, a student's own for students. */
  async submissions(
    user: HubUser,
    id: string,
    assignment: string,
    student?: string
  ): Promise<SubmissionView[]> {
    const { relation } = await this.classFor(user, id, 'class.read');
    if (
      relation === 'student' &&
      student !== undefined &&
      student !== user.name
    )
      throw new EnvhubError(
        403,
        'forbidden',
        `only the instructors of class ${id} may list ${student}'s submissions`
      );
    const whose = relation === 'student' ? user.name : student;
    const feedback = this.feedbackKeys(id, assignment, whose);
    return this.store
      .listSubmissions(id, assignment, whose)
      .map(s => this.submissionView(s, feedback));
  }

  /** One submission with its files: the submitter's own, or any for instructors. */
  async submission(
    user: HubUser,
    id: string,
    assignment: string,
    submissionId: string
  ): Promise<{ submission: SubmissionView } & FilesBody> {
    const { relation } = await this.classFor(user, id, 'class.read');
    const record = this.store.getSubmission(submissionId);
    if (
      !record ||
      record.classId !== id ||
      record.assignment !== assignment ||
      (relation === 'student' && record.student !== user.name)
    )
      throw new EnvhubError(
        404,
        'not_found',
        `class ${id} has no submission ${submissionId} of ${assignment} that you can see`
      );
    return {
      submission: this.submissionView(
        record,
        this.feedbackKeys(id, assignment, record.student)
      ),
      files: await this.files.read([id, 'submissions', record.id])
    };
  }

  /** Releases feedback for `student`'s submission made at `timestamp`. */
  async releaseFeedback(
    user: HubUser,
    id: string,
    assignment: string,
    student: string,
    given: unknown
  ): Promise<FeedbackView> {
    await this.classFor(user, id, 'class.teach');
    const body = upload(given);
    const submission = this.store
      .listSubmissions(id, assignment, student)
      // Compared as instants: the exchange may send the time back in another ISO spelling.
      .find(
        s => Date.parse(s.timestamp) === Date.parse(String(body.timestamp))
      );
    if (!submission)
      throw new EnvhubError(
        404,
        'not_found',
        `${student} has no submission of ${assignment} made at ${String(body.timestamp)}; give the timestamp of a collected submission`
      );
    const { files } = this.files.decode(body.files);
    await this.files.write([id, 'feedback', submission.id], files);
    const record = {
      classId: id,
      assignment,
      student,
      timestamp: submission.timestamp,
      releasedAt: now(),
      files: files.map(([path]) => path)
    };
    this.store.saveFeedback(record);
    log.info('class.feedback', { id, assignment, student, by: user.name });
    return {
      student,
      assignment,
      timestamp: record.timestamp,
      releasedAt: record.releasedAt,
      files: body.files
    };
  }

  /** Released feedback with its files: a student's own, or everyone's for instructors. */
  async feedback(
    user: HubUser,
    id: string,
    assignment: string
  ): Promise<FeedbackView[]> {
    const { relation } = await this.classFor(user, id, 'class.read');
    const records = this.store.listFeedback(
      id,
      assignment,
      relation === 'student' ? user.name : undefined
    );
    const submissions = this.store.listSubmissions(id, assignment);
    return Promise.all(
      records.map(async f => {
        const submission = submissions.find(
          s => s.student === f.student && s.timestamp === f.timestamp
        )!;
        return {
          student: f.student,
          assignment,
          timestamp: f.timestamp,
          releasedAt: f.releasedAt,
          files: await this.files.read([id, 'feedback', submission.id])
        };
      })
    );
  }
}
