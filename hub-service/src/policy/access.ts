import { EnvhubError } from '../errors.js';
import type { HubUser } from '../hub/hubClient.js';

/**
 * Who may do what, in one table that every route asks (and the authorization test reads).
 *
 * The rule for answers: someone who may not see a thing gets 404 (its existence stays private);
 * someone who may see it but not do this gets 403 saying who may; anonymous callers get 401 and
 * tokens without envhub's access scope 403 before any of this (see HubAuth.require).
 */
export type Operation =
  | 'server.read'
  | 'server.manage'
  | 'server.stop'
  | 'server.delete'
  | 'volume.read'
  | 'volume.manage'
  | 'volume.delete'
  | 'build.read'
  | 'class.read'
  | 'class.manage'
  | 'class.teach'
  | 'class.submit'
  | 'session.read'
  | 'session.end';

/**
 * How the caller stands to the thing: owner, admin, a collaborator of a server, a member of a
 * volume, an instructor or a student of a class.
 */
export type Relation =
  | 'owner'
  | 'admin'
  | 'collaborator'
  | 'member'
  | 'instructor'
  | 'student'
  | 'none';

export const ALLOWED: Record<Operation, readonly Relation[]> = {
  'server.read': ['owner', 'admin', 'collaborator'],
  'server.manage': ['owner', 'admin'],
  'server.stop': ['owner', 'admin'],
  'server.delete': ['owner', 'admin'],
  'volume.read': ['owner', 'admin', 'member'],
  'volume.manage': ['owner', 'admin'],
  'volume.delete': ['owner', 'admin'],
  'build.read': ['owner', 'admin', 'collaborator'],
  // Admins act as instructors, but submit nothing: submissions are a student's (or an instructor's trial).
  'class.read': ['instructor', 'student', 'admin'],
  'class.manage': ['instructor', 'admin'],
  'class.teach': ['instructor', 'admin'],
  'class.submit': ['instructor', 'student'],
  // A temporary session is the business of the public server's owner (and admins), never the visitor's.
  'session.read': ['owner', 'admin'],
  'session.end': ['owner', 'admin']
};

const VERBS: Record<Operation, string> = {
  'server.read': 'see it',
  'server.manage': 'change it',
  'server.stop': 'stop it',
  'server.delete': 'delete it',
  'volume.read': 'see it',
  'volume.manage': 'change its members',
  'volume.delete': 'delete it',
  'build.read': 'read its log',
  'class.read': 'see it',
  'class.manage': 'change its members or delete it',
  'class.teach': 'release, collect or give feedback',
  'class.submit': 'submit work',
  'session.read': 'see it',
  'session.end': 'end it'
};

/** Who may do each operation, in a 403's words, where it is not "the owner or an admin". */
const HOLDERS: Partial<Record<Operation, (what: string) => string>> = {
  'class.manage': what => `the instructors of ${what} or an admin`,
  'class.teach': what => `the instructors of ${what} or an admin`,
  'class.submit': what => `the students and instructors of ${what}`
};

/** Whether `relation` may see the thing at all, i.e. read it. */
const canSeeAs = (operation: Operation, relation: Relation): boolean =>
  ALLOWED[`${operation.split('.')[0]}.read` as Operation].includes(relation);

/**
 * Allows `operation` on `what` (e.g. `server alice/x`) to a caller with `relation`, or throws the
 * 404 or 403 of the rule above.
 */
export function authorize(
  operation: Operation,
  relation: Relation,
  what: string,
  owner: string
): void {
  if (ALLOWED[operation].includes(relation)) return;
  if (!canSeeAs(operation, relation))
    throw new EnvhubError(
      404,
      'not_found',
      `envhub has no ${what} that you can see`
    );
  throw new EnvhubError(
    403,
    'forbidden',
    `only ${HOLDERS[operation]?.(what) ?? `${owner}, the owner of ${what}, or an admin`} may ${VERBS[operation]}`
  );
}

/** How `user` stands to a server owned by `owner` with these collaborators. */
export function serverRelation(
  user: HubUser,
  server: {
    owner: string;
    spec: { collaborators?: { users?: string[]; groups?: string[] } };
  }
): Relation {
  if (server.owner === user.name) return 'owner';
  if (user.admin) return 'admin';
  const { users = [], groups = [] } = server.spec.collaborators ?? {};
  return users.includes(user.name) ||
    (user.groups ?? []).some(g => groups.includes(g))
    ? 'collaborator'
    : 'none';
}

/** How `user` stands to a temporary session: the owner of the server it copies, an admin, or neither. */
export function sessionRelation(
  user: HubUser,
  session: { owner: string }
): Relation {
  return session.owner === user.name ? 'owner' : user.admin ? 'admin' : 'none';
}
