import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  BuildView,
  ClassMembers,
  EnvironmentSpec,
  VolumeMembers
} from '@envhub/schema';
import type { UsageIncrement } from '../usage/meter.js';

/** A named server envhub launched: whose, which environment, and the ticket its spawns redeem. */
export interface ServerRecord {
  owner: string;
  name: string;
  repo: string;
  ref: string;
  commit: string;
  image: string;
  ticket: string;
  /** The whole spec the server was launched with (validated, defaults filled). */
  spec: EnvironmentSpec;
  /** Whether its repository is private (it was read with the launching user's credential). */
  private?: boolean;
  /** The mounts (JSON) the server last started with, as read from the store; saving ignores it. */
  startedMounts?: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A shared volume: its owner and who else may mount it. */
export interface VolumeRecord {
  name: string;
  owner: string;
  members: VolumeMembers;
  createdAt: string;
  /** A WebDAV folder's URL: each user's servers mount it with that user's credential; null: a Docker volume. */
  webdav?: string | null;
}

/** A class: who teaches it, who takes it, and the environment its links launch. */
export interface ClassRecord {
  id: string;
  title: string;
  createdBy: string;
  createdAt: string;
  instructors: ClassMembers;
  students: ClassMembers;
  repo: string | null;
  ref: string | null;
}

/** A released assignment (its files are kept by the exchange's file store). */
export interface AssignmentRecord {
  classId: string;
  id: string;
  releasedAt: string;
  dueAt: string | null;
  notebooks: string[];
}

/** A submission, as kept: its receipt (the files are in the exchange's file store). */
export interface SubmissionRecord {
  id: string;
  classId: string;
  assignment: string;
  student: string;
  timestamp: string;
  late: boolean;
  files: string[];
  bytes: number;
}

/** Feedback released for one submission (the files are in the exchange's file store). */
export interface FeedbackRecord {
  classId: string;
  assignment: string;
  student: string;
  timestamp: string;
  releasedAt: string;
  files: string[];
}

/**
 * A temporary session: a throw-away copy of a public server for one visitor, run by a temporary
 * Hub user made for it. Sessions started in advance wait in the warm pool until a visitor claims one.
 */
export interface SessionRecord {
  /** The temporary Hub user that runs it. */
  user: string;
  /** The public server it copies. */
  owner: string;
  server: string;
  image: string;
  /** The launch ticket its spawn redeems. */
  ticket: string;
  createdAt: string;
  /** When a visitor got it; null while it waits in the warm pool. */
  claimedAt: string | null;
  /** The visitor's address; null in the pool. */
  client: string | null;
}

/** A user's credential for one host, its secret sealed (see credentials/secretBox.ts). */
export interface CredentialRecord {
  user: string;
  host: string;
  username: string;
  secret: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** One image build: who asked, what for, how it ended, and its whole log (the wire type, stored as it is sent). */
export type BuildRecord = BuildView;

const MIGRATIONS = [
  `CREATE TABLE servers (
     owner TEXT NOT NULL,
     name TEXT NOT NULL,
     repo TEXT NOT NULL,
     ref TEXT NOT NULL,
     commit_sha TEXT NOT NULL,
     image TEXT NOT NULL,
     ticket TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (owner, name)
   )`,
  `CREATE TABLE builds (
     id TEXT PRIMARY KEY,
     image TEXT NOT NULL,
     repo TEXT NOT NULL,
     ref TEXT NOT NULL,
     commit_sha TEXT NOT NULL,
     requested_by TEXT NOT NULL,
     status TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     log TEXT NOT NULL DEFAULT ''
   );
   CREATE INDEX builds_by_image ON builds (image, started_at);
   CREATE TABLE image_launches (
     image TEXT PRIMARY KEY,
     last_launched_at TEXT NOT NULL
   )`,
  `ALTER TABLE servers ADD COLUMN spec TEXT NOT NULL DEFAULT '{}';
   UPDATE servers SET spec = json_object('repo', repo, 'ref', ref, 'name', name);
   CREATE TABLE trusted_launches (
     user TEXT NOT NULL,
     launch TEXT NOT NULL,
     PRIMARY KEY (user, launch)
   )`,
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     members TEXT NOT NULL DEFAULT '{"users":[],"groups":[]}',
     created_at TEXT NOT NULL
   );
   ALTER TABLE servers ADD COLUMN started_mounts TEXT`,
  `CREATE TABLE classes (
     id TEXT PRIMARY KEY,
     title TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at TEXT NOT NULL,
     instructors TEXT NOT NULL,
     students TEXT NOT NULL,
     repo TEXT,
     ref TEXT
   );
   CREATE TABLE assignments (
     class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
     id TEXT NOT NULL,
     released_at TEXT NOT NULL,
     due_at TEXT,
     notebooks TEXT NOT NULL,
     PRIMARY KEY (class_id, id)
   );
   CREATE TABLE submissions (
     id TEXT PRIMARY KEY,
     class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
     assignment TEXT NOT NULL,
     student TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     late INTEGER NOT NULL,
     files TEXT NOT NULL,
     bytes INTEGER NOT NULL
   );
   CREATE INDEX submissions_by_assignment ON submissions (class_id, assignment, student, timestamp);
   CREATE TABLE feedback (
     class_id TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
     assignment TEXT NOT NULL,
     student TEXT NOT NULL,
     timestamp TEXT NOT NULL,
     released_at TEXT NOT NULL,
     files TEXT NOT NULL,
     PRIMARY KEY (class_id, assignment, student, timestamp)
   )`,
  `CREATE TABLE sessions (
     user TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     server TEXT NOT NULL,
     image TEXT NOT NULL,
     ticket TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     claimed_at TEXT,
     client TEXT
   );
   CREATE INDEX sessions_by_server ON sessions (owner, server)`,
  `CREATE TABLE credentials (
     user TEXT NOT NULL,
     host TEXT NOT NULL,
     username TEXT NOT NULL,
     secret TEXT NOT NULL,
     created_at TEXT NOT NULL,
     last_used_at TEXT,
     PRIMARY KEY (user, host)
   );
   ALTER TABLE servers ADD COLUMN private INTEGER NOT NULL DEFAULT 0`,
  `ALTER TABLE volumes ADD COLUMN webdav TEXT`,
  `CREATE TABLE usage_days (
     day TEXT NOT NULL,
     owner TEXT NOT NULL,
     server TEXT NOT NULL,
     cpu_seconds REAL NOT NULL DEFAULT 0,
     memory_gb_seconds REAL NOT NULL DEFAULT 0,
     running_seconds REAL NOT NULL DEFAULT 0,
     PRIMARY KEY (day, owner, server)
   );
   CREATE TABLE storage_days (
     day TEXT NOT NULL,
     owner TEXT NOT NULL,
     volume TEXT NOT NULL,
     server TEXT,
     bytes INTEGER NOT NULL,
     PRIMARY KEY (day, owner, volume)
   );
   CREATE TABLE peak_days (
     day TEXT PRIMARY KEY,
     servers INTEGER NOT NULL
   );
   CREATE TABLE launches (
     at TEXT NOT NULL,
     user TEXT NOT NULL,
     repo TEXT NOT NULL,
     ref TEXT NOT NULL,
     hidden INTEGER NOT NULL,
     private INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE repo_titles (
     repo TEXT PRIMARY KEY,
     title TEXT NOT NULL
   );
   CREATE INDEX launches_by_repo ON launches (repo, at);
   CREATE TABLE user_settings (
     user TEXT PRIMARY KEY,
     hide_launches INTEGER NOT NULL DEFAULT 0
   )`
];

const COLUMNS = `owner, name, repo, ref, commit_sha AS "commit", image, ticket, spec, private, started_mounts AS startedMounts, created_at AS createdAt, updated_at AS updatedAt`;

type ServerRow = Omit<ServerRecord, 'spec' | 'private'> & {
  spec: string;
  private: number;
};
const toServer = (row: ServerRow | undefined): ServerRecord | undefined =>
  row && {
    ...row,
    spec: JSON.parse(row.spec) as EnvironmentSpec,
    private: row.private === 1
  };

type VolumeRow = Omit<VolumeRecord, 'members'> & { members: string };
const toVolume = (row: VolumeRow | undefined): VolumeRecord | undefined =>
  row && { ...row, members: JSON.parse(row.members) as VolumeMembers };
const VOLUME_COLUMNS = `name, owner, members, created_at AS createdAt, webdav`;

type ClassRow = Omit<ClassRecord, 'instructors' | 'students'> & {
  instructors: string;
  students: string;
};
const toClass = (row: ClassRow | undefined): ClassRecord | undefined =>
  row && {
    ...row,
    instructors: JSON.parse(row.instructors) as ClassMembers,
    students: JSON.parse(row.students) as ClassMembers
  };
const CLASS_COLUMNS = `id, title, created_by AS createdBy, created_at AS createdAt, instructors, students, repo, ref`;

type AssignmentRow = Omit<AssignmentRecord, 'notebooks'> & {
  notebooks: string;
};
const ASSIGNMENT_COLUMNS = `class_id AS classId, id, released_at AS releasedAt, due_at AS dueAt, notebooks`;

type SubmissionRow = Omit<SubmissionRecord, 'late' | 'files'> & {
  late: number;
  files: string;
};
const toSubmission = (
  row: SubmissionRow | undefined
): SubmissionRecord | undefined =>
  row && {
    ...row,
    late: row.late === 1,
    files: JSON.parse(row.files) as string[]
  };
const SUBMISSION_COLUMNS = `id, class_id AS classId, assignment, student, timestamp, late, files, bytes`;

const SESSION_COLUMNS = `user, owner, server, image, ticket, created_at AS createdAt, claimed_at AS claimedAt, client`;

const CREDENTIAL_COLUMNS = `user, host, username, secret, created_at AS createdAt, last_used_at AS lastUsedAt`;

const BUILD_COLUMNS = `id, image, repo, ref, commit_sha AS "commit", requested_by AS requestedBy, status, started_at AS startedAt, finished_at AS finishedAt, log`;

/** A server's usage on one day, in hours (see usage/meter.ts). */
export interface UsageDay {
  day: string;
  owner: string;
  server: string;
  cpuHours: number;
  gbHours: number;
  runningHours: number;
}

/** A repository's launches as the catalog counts them, and the ref launched last. */
export interface LaunchCount {
  repo: string;
  ref: string;
  week: number;
  month: number;
  users: number;
  last: string;
}

/** A user's builds on one day. */
export interface BuildDay {
  day: string;
  owner: string;
  builds: number;
  buildSeconds: number;
}

/** What one home (server set) or shared volume (server null) of `owner` holds. */
export interface StorageRow {
  owner: string;
  volume: string;
  server: string | null;
  bytes: number;
}

/** `AND <column> IN (?, …)` for a list of owners; nothing when the list is absent. */
const ownedBy = (owners: string[] | undefined, column = 'owner') =>
  owners
    ? `AND ${column} IN (${owners.map(() => '?').join(', ') || 'NULL'})`
    : '';

/** envhub's state, embedded in SQLite (one file in the data directory). */
export class Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    this.db.transaction(() => {
      MIGRATIONS.slice(version).forEach(sql => this.db.exec(sql));
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  }

  getServer(owner: string, name: string): ServerRecord | undefined {
    return toServer(
      this.db
        .prepare(`SELECT ${COLUMNS} FROM servers WHERE owner = ? AND name = ?`)
        .get(owner, name) as ServerRow | undefined
    );
  }

  listServers(owner: string): ServerRecord[] {
    return (
      this.db
        .prepare(`SELECT ${COLUMNS} FROM servers WHERE owner = ? ORDER BY name`)
        .all(owner) as ServerRow[]
    ).map(row => toServer(row)!);
  }

  /** Every server envhub launched, of every user. */
  allServers(): ServerRecord[] {
    return (
      this.db
        .prepare(`SELECT ${COLUMNS} FROM servers ORDER BY owner, name`)
        .all() as ServerRow[]
    ).map(row => toServer(row)!);
  }

  /** Inserts or replaces the record of (owner, name). */
  saveServer(record: ServerRecord): void {
    this.db
      .prepare(
        `INSERT INTO servers (owner, name, repo, ref, commit_sha, image, ticket, spec, private, created_at, updated_at)
         VALUES (@owner, @name, @repo, @ref, @commit, @image, @ticket, @spec, @private, @createdAt, @updatedAt)
         ON CONFLICT (owner, name) DO UPDATE SET repo = @repo, ref = @ref, commit_sha = @commit,
           image = @image, ticket = @ticket, spec = @spec, private = @private, updated_at = @updatedAt`
      )
      .run({
        ...record,
        spec: JSON.stringify(record.spec),
        private: record.private ? 1 : 0
      });
  }

  deleteServer(owner: string, name: string): void {
    this.db
      .prepare(`DELETE FROM servers WHERE owner = ? AND name = ?`)
      .run(owner, name);
  }

  /** Records the mounts (as a JSON text) a server was last started with. */
  setStartedMounts(owner: string, name: string, mounts: string): void {
    this.db
      .prepare(
        `UPDATE servers SET started_mounts = ? WHERE owner = ? AND name = ?`
      )
      .run(mounts, owner, name);
  }

  /** Adds a volume; false when the name is taken (names are unique across the hub). */
  addVolume(volume: VolumeRecord): boolean {
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO volumes (name, owner, members, created_at, webdav) VALUES (@name, @owner, @members, @createdAt, @webdav)`
      )
      .run({
        ...volume,
        members: JSON.stringify(volume.members),
        webdav: volume.webdav ?? null
      });
    return result.changes === 1;
  }

  getVolume(name: string): VolumeRecord | undefined {
    return toVolume(
      this.db
        .prepare(`SELECT ${VOLUME_COLUMNS} FROM volumes WHERE name = ?`)
        .get(name) as VolumeRow | undefined
    );
  }

  allVolumes(): VolumeRecord[] {
    return (
      this.db
        .prepare(`SELECT ${VOLUME_COLUMNS} FROM volumes ORDER BY name`)
        .all() as VolumeRow[]
    ).map(row => toVolume(row)!);
  }

  setVolumeMembers(name: string, members: VolumeMembers): void {
    this.db
      .prepare(`UPDATE volumes SET members = ? WHERE name = ?`)
      .run(JSON.stringify(members), name);
  }

  deleteVolume(name: string): void {
    this.db.prepare(`DELETE FROM volumes WHERE name = ?`).run(name);
  }

  /** Remembers that `user` need not confirm `launch` (a canonical launch path) again. */
  trustLaunch(user: string, launch: string): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO trusted_launches (user, launch) VALUES (?, ?)`
      )
      .run(user, launch);
  }

  isTrustedLaunch(user: string, launch: string): boolean {
    return (
      this.db
        .prepare(`SELECT 1 FROM trusted_launches WHERE user = ? AND launch = ?`)
        .get(user, launch) !== undefined
    );
  }

  startBuild(build: Omit<BuildRecord, 'status' | 'finishedAt' | 'log'>): void {
    this.db
      .prepare(
        `INSERT INTO builds (id, image, repo, ref, commit_sha, requested_by, status, started_at)
         VALUES (@id, @image, @repo, @ref, @commit, @requestedBy, 'running', @startedAt)`
      )
      .run(build);
  }

  finishBuild(id: string, status: 'built' | 'failed', log: string): void {
    this.db
      .prepare(
        `UPDATE builds SET status = ?, log = ?, finished_at = ? WHERE id = ?`
      )
      .run(status, log, new Date().toISOString(), id);
  }

  getBuild(id: string): BuildRecord | undefined {
    return this.db
      .prepare(`SELECT ${BUILD_COLUMNS} FROM builds WHERE id = ?`)
      .get(id) as BuildRecord | undefined;
  }

  /** Every build of `image`, oldest first. */
  buildsOf(image: string): BuildRecord[] {
    return this.db
      .prepare(
        `SELECT ${BUILD_COLUMNS} FROM builds WHERE image = ? ORDER BY started_at`
      )
      .all(image) as BuildRecord[];
  }

  /** The most recent build of `image`, if envhub built it. */
  latestBuild(image: string): BuildRecord | undefined {
    return this.db
      .prepare(
        `SELECT ${BUILD_COLUMNS} FROM builds WHERE image = ? ORDER BY started_at DESC LIMIT 1`
      )
      .get(image) as BuildRecord | undefined;
  }

  /** Builds a service restart interrupted: they never finished, so they failed. */
  failInterruptedBuilds(): number {
    return this.db
      .prepare(
        `UPDATE builds SET status = 'failed', finished_at = ?, log = log || ? WHERE status = 'running'`
      )
      .run(
        new Date().toISOString(),
        '\n[envhub] build interrupted by a service restart\n'
      ).changes;
  }

  recordLaunch(image: string): void {
    this.db
      .prepare(
        `INSERT INTO image_launches (image, last_launched_at) VALUES (?, ?) ON CONFLICT (image) DO UPDATE SET last_launched_at = excluded.last_launched_at`
      )
      .run(image, new Date().toISOString());
  }

  /** When each image was last launched (images never launched are absent). */
  imageLaunchTimes(): Map<string, string> {
    const rows = this.db
      .prepare(`SELECT image, last_launched_at AS at FROM image_launches`)
      .all() as Array<{ image: string; at: string }>;
    return new Map(rows.map(r => [r.image, r.at]));
  }

  /** Adds a class; false when the id is taken. */
  addClass(record: ClassRecord): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO classes (id, title, created_by, created_at, instructors, students, repo, ref)
           VALUES (@id, @title, @createdBy, @createdAt, @instructors, @students, @repo, @ref)`
        )
        .run({
          ...record,
          instructors: JSON.stringify(record.instructors),
          students: JSON.stringify(record.students)
        }).changes === 1
    );
  }

  getClass(id: string): ClassRecord | undefined {
    return toClass(
      this.db
        .prepare(`SELECT ${CLASS_COLUMNS} FROM classes WHERE id = ?`)
        .get(id) as ClassRow | undefined
    );
  }

  allClasses(): ClassRecord[] {
    return (
      this.db
        .prepare(`SELECT ${CLASS_COLUMNS} FROM classes ORDER BY id`)
        .all() as ClassRow[]
    ).map(row => toClass(row)!);
  }

  /** Replaces what `PUT classes/<id>/members` changes. */
  updateClass(record: ClassRecord): void {
    this.db
      .prepare(
        `UPDATE classes SET title = @title, instructors = @instructors, students = @students, repo = @repo, ref = @ref WHERE id = @id`
      )
      .run({
        ...record,
        instructors: JSON.stringify(record.instructors),
        students: JSON.stringify(record.students)
      });
  }

  /** Deletes a class with its assignments, submissions and feedback. */
  deleteClass(id: string): void {
    this.db.prepare(`DELETE FROM classes WHERE id = ?`).run(id);
  }

  /** Inserts or replaces a release. */
  saveAssignment(record: AssignmentRecord): void {
    this.db
      .prepare(
        `INSERT INTO assignments (class_id, id, released_at, due_at, notebooks)
         VALUES (@classId, @id, @releasedAt, @dueAt, @notebooks)
         ON CONFLICT (class_id, id) DO UPDATE SET released_at = @releasedAt, due_at = @dueAt, notebooks = @notebooks`
      )
      .run({ ...record, notebooks: JSON.stringify(record.notebooks) });
  }

  getAssignment(classId: string, id: string): AssignmentRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT ${ASSIGNMENT_COLUMNS} FROM assignments WHERE class_id = ? AND id = ?`
      )
      .get(classId, id) as AssignmentRow | undefined;
    return row && { ...row, notebooks: JSON.parse(row.notebooks) as string[] };
  }

  listAssignments(classId: string): AssignmentRecord[] {
    return (
      this.db
        .prepare(
          `SELECT ${ASSIGNMENT_COLUMNS} FROM assignments WHERE class_id = ? ORDER BY released_at, id`
        )
        .all(classId) as AssignmentRow[]
    ).map(row => ({
      ...row,
      notebooks: JSON.parse(row.notebooks) as string[]
    }));
  }

  /** Withdraws a release; its submissions and feedback stay. */
  deleteAssignment(classId: string, id: string): void {
    this.db
      .prepare(`DELETE FROM assignments WHERE class_id = ? AND id = ?`)
      .run(classId, id);
  }

  addSubmission(record: SubmissionRecord): void {
    this.db
      .prepare(
        `INSERT INTO submissions (id, class_id, assignment, student, timestamp, late, files, bytes)
         VALUES (@id, @classId, @assignment, @student, @timestamp, @late, @files, @bytes)`
      )
      .run({
        ...record,
        late: record.late ? 1 : 0,
        files: JSON.stringify(record.files)
      });
  }

  getSubmission(id: string): SubmissionRecord | undefined {
    return toSubmission(
      this.db
        .prepare(`SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE id = ?`)
        .get(id) as SubmissionRow | undefined
    );
  }

  /** Submissions of an assignment, oldest first; only `student`'s when given. */
  listSubmissions(
    classId: string,
    assignment: string,
    student?: string
  ): SubmissionRecord[] {
    return (
      this.db
        .prepare(
          `SELECT ${SUBMISSION_COLUMNS} FROM submissions WHERE class_id = ? AND assignment = ? AND (? IS NULL OR student = ?) ORDER BY timestamp, id`
        )
        .all(
          classId,
          assignment,
          student ?? null,
          student ?? null
        ) as SubmissionRow[]
    ).map(row => toSubmission(row)!);
  }

  /** Inserts or replaces the feedback of one submission. */
  saveFeedback(record: FeedbackRecord): void {
    this.db
      .prepare(
        `INSERT INTO feedback (class_id, assignment, student, timestamp, released_at, files)
         VALUES (@classId, @assignment, @student, @timestamp, @releasedAt, @files)
         ON CONFLICT (class_id, assignment, student, timestamp) DO UPDATE SET released_at = @releasedAt, files = @files`
      )
      .run({ ...record, files: JSON.stringify(record.files) });
  }

  /** Feedback of an assignment; only `student`'s when given. */
  listFeedback(
    classId: string,
    assignment: string,
    student?: string
  ): FeedbackRecord[] {
    return (
      this.db
        .prepare(
          `SELECT class_id AS classId, assignment, student, timestamp, released_at AS releasedAt, files FROM feedback
           WHERE class_id = ? AND assignment = ? AND (? IS NULL OR student = ?) ORDER BY student, timestamp`
        )
        .all(classId, assignment, student ?? null, student ?? null) as Array<
        Omit<FeedbackRecord, 'files'> & { files: string }
      >
    ).map(row => ({ ...row, files: JSON.parse(row.files) as string[] }));
  }

  addSession(record: SessionRecord): void {
    this.db
      .prepare(
        `INSERT INTO sessions (user, owner, server, image, ticket, created_at, claimed_at, client)
         VALUES (@user, @owner, @server, @image, @ticket, @createdAt, @claimedAt, @client)`
      )
      .run(record);
  }

  getSession(user: string): SessionRecord | undefined {
    return this.db
      .prepare(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE user = ?`)
      .get(user) as SessionRecord | undefined;
  }

  /** Every temporary session, oldest first. */
  allSessions(): SessionRecord[] {
    return this.db
      .prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions ORDER BY created_at, user`
      )
      .all() as SessionRecord[];
  }

  /** Gives a pooled session to a visitor; false when another visitor got it first. */
  claimSession(user: string, client: string, at: string): boolean {
    return (
      this.db
        .prepare(
          `UPDATE sessions SET claimed_at = ?, client = ? WHERE user = ? AND claimed_at IS NULL`
        )
        .run(at, client, user).changes === 1
    );
  }

  deleteSession(user: string): void {
    this.db.prepare(`DELETE FROM sessions WHERE user = ?`).run(user);
  }

  saveCredential(record: CredentialRecord): void {
    this.db
      .prepare(
        `INSERT INTO credentials (user, host, username, secret, created_at, last_used_at)
         VALUES (@user, @host, @username, @secret, @createdAt, @lastUsedAt)
         ON CONFLICT (user, host) DO UPDATE SET username = @username, secret = @secret,
           created_at = @createdAt, last_used_at = @lastUsedAt`
      )
      .run(record);
  }

  getCredential(user: string, host: string): CredentialRecord | undefined {
    return this.db
      .prepare(
        `SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE user = ? AND host = ?`
      )
      .get(user, host) as CredentialRecord | undefined;
  }

  listCredentials(user: string): CredentialRecord[] {
    return this.db
      .prepare(
        `SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE user = ? ORDER BY host`
      )
      .all(user) as CredentialRecord[];
  }

  /** Every credential of every user, sealed (for before/after comparisons in tests and audits). */
  allCredentials(): CredentialRecord[] {
    return this.db
      .prepare(
        `SELECT ${CREDENTIAL_COLUMNS} FROM credentials ORDER BY user, host`
      )
      .all() as CredentialRecord[];
  }

  touchCredential(user: string, host: string, at: string): void {
    this.db
      .prepare(
        `UPDATE credentials SET last_used_at = ? WHERE user = ? AND host = ?`
      )
      .run(at, user, host);
  }

  /** False when there was none. */
  deleteCredential(user: string, host: string): boolean {
    return (
      this.db
        .prepare(`DELETE FROM credentials WHERE user = ? AND host = ?`)
        .run(user, host).changes === 1
    );
  }

  /** Adds what servers used (see usage/meter.ts) to their days. */
  addUsage(increments: UsageIncrement[]): void {
    const add = this.db.prepare(
      `INSERT INTO usage_days (day, owner, server, cpu_seconds, memory_gb_seconds, running_seconds)
       VALUES (@day, @owner, @server, @cpuSeconds, @memoryGbSeconds, @runningSeconds)
       ON CONFLICT (day, owner, server) DO UPDATE SET
         cpu_seconds = cpu_seconds + excluded.cpu_seconds,
         memory_gb_seconds = memory_gb_seconds + excluded.memory_gb_seconds,
         running_seconds = running_seconds + excluded.running_seconds`
    );
    this.db.transaction(() => increments.forEach(i => add.run(i)))();
  }

  /** Keeps the most servers seen running at once on `day`. */
  recordPeak(day: string, servers: number): void {
    this.db
      .prepare(
        `INSERT INTO peak_days (day, servers) VALUES (?, ?)
         ON CONFLICT (day) DO UPDATE SET servers = max(servers, excluded.servers)`
      )
      .run(day, servers);
  }

  /** The storage homes and volumes hold on `day` (the day's last reading replaces earlier ones). */
  setStorage(day: string, rows: StorageRow[]): void {
    const put = this.db.prepare(
      `INSERT INTO storage_days (day, owner, volume, server, bytes) VALUES (@day, @owner, @volume, @server, @bytes)
       ON CONFLICT (day, owner, volume) DO UPDATE SET bytes = excluded.bytes, server = excluded.server`
    );
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM storage_days WHERE day = ?`).run(day);
      rows.forEach(row => put.run({ day, ...row }));
    })();
  }

  /** Servers' usage per day since `from` (`YYYY-MM-DD`), of `owners` (everyone when absent). */
  usageDays(from: string, owners?: string[]): UsageDay[] {
    return this.db
      .prepare(
        `SELECT day, owner, server, cpu_seconds / 3600.0 AS cpuHours, memory_gb_seconds / 3600.0 AS gbHours,
                running_seconds / 3600.0 AS runningHours
         FROM usage_days WHERE day >= ? ${ownedBy(owners)} ORDER BY day, owner, server`
      )
      .all(from, ...(owners ?? [])) as UsageDay[];
  }

  /** Builds per day and user since `from`: how many, and how long the finished ones took. */
  buildDays(from: string, owners?: string[]): BuildDay[] {
    return this.db
      .prepare(
        `SELECT substr(started_at, 1, 10) AS day, requested_by AS owner, count(*) AS builds,
                coalesce(sum((julianday(finished_at) - julianday(started_at)) * 86400.0), 0) AS buildSeconds
         FROM builds WHERE substr(started_at, 1, 10) >= ? ${ownedBy(owners, 'requested_by')}
         GROUP BY day, owner ORDER BY day, owner`
      )
      .all(from, ...(owners ?? [])) as BuildDay[];
  }

  /** The last reading of storage: each home and volume with its owner and size. */
  latestStorage(owners?: string[]): Array<StorageRow & { day: string }> {
    return this.db
      .prepare(
        `SELECT day, owner, volume, server, bytes FROM storage_days
         WHERE day = (SELECT max(day) FROM storage_days) ${ownedBy(owners)} ORDER BY owner, volume`
      )
      .all(...(owners ?? [])) as Array<StorageRow & { day: string }>;
  }

  /** The most servers running at once, per day since `from`. */
  peakDays(from: string): Array<{ day: string; servers: number }> {
    return this.db
      .prepare(`SELECT day, servers FROM peak_days WHERE day >= ? ORDER BY day`)
      .all(from) as Array<{ day: string; servers: number }>;
  }

  /**
   * Records a launch for the catalog's counts: hidden when the user asked to be left out of them,
   * private when the repository was read with the user's credential (never listed).
   */
  recordUserLaunch(
    user: string,
    launch: { repo: string; ref: string; private: boolean; at: string }
  ): void {
    this.db
      .prepare(
        `INSERT INTO launches (at, user, repo, ref, hidden, private) VALUES (?, ?, ?, ?, ?, ?)`
      )
      .run(
        launch.at,
        user,
        launch.repo,
        launch.ref,
        this.hidesLaunches(user) ? 1 : 0,
        launch.private ? 1 : 0
      );
  }

  /** The title of a repository's README, as its last build read it. */
  setRepoTitle(repo: string, title: string): void {
    this.db
      .prepare(
        `INSERT INTO repo_titles (repo, title) VALUES (?, ?)
         ON CONFLICT (repo) DO UPDATE SET title = excluded.title`
      )
      .run(repo, title);
  }

  repoTitles(): Map<string, string> {
    const rows = this.db
      .prepare(`SELECT repo, title FROM repo_titles`)
      .all() as Array<{ repo: string; title: string }>;
    return new Map(rows.map(r => [r.repo, r.title]));
  }

  /** When each repository's newest successful build finished. */
  lastBuilds(): Map<string, string> {
    const rows = this.db
      .prepare(
        `SELECT repo, max(finished_at) AS at FROM builds WHERE status = 'built' GROUP BY repo`
      )
      .all() as Array<{ repo: string; at: string }>;
    return new Map(rows.map(r => [r.repo, r.at]));
  }

  hidesLaunches(user: string): boolean {
    const row = this.db
      .prepare(`SELECT hide_launches AS hide FROM user_settings WHERE user = ?`)
      .get(user) as { hide: number } | undefined;
    return row?.hide === 1;
  }

  /** Leaves `user`'s launches out of the catalog's counts (past ones too), or puts them back. */
  setHideLaunches(user: string, hide: boolean): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO user_settings (user, hide_launches) VALUES (?, ?)
           ON CONFLICT (user) DO UPDATE SET hide_launches = excluded.hide_launches`
        )
        .run(user, hide ? 1 : 0);
      this.db
        .prepare(`UPDATE launches SET hidden = ? WHERE user = ?`)
        .run(hide ? 1 : 0, user);
    })();
  }

  /** Launches counted by the catalog, per repository: since each of `since` (ISO), and distinct users. */
  launchCounts(since: { week: string; month: string }): LaunchCount[] {
    return this.db
      .prepare(
        `SELECT repo, sum(at >= @week) AS week, sum(at >= @month) AS month,
                count(DISTINCT user) AS users, max(at) AS last,
                (SELECT ref FROM launches AS newest WHERE newest.repo = launches.repo
                 ORDER BY at DESC LIMIT 1) AS ref
         FROM launches WHERE hidden = 0 AND repo NOT IN (SELECT repo FROM launches WHERE private = 1)
         GROUP BY repo`
      )
      .all(since) as LaunchCount[];
  }

  close(): void {
    this.db.close();
  }
}
