import { validateSpec, type ValidEnvironmentSpec } from '@envhub/schema';
import {
  homeVolumeName,
  imageName,
  sharedVolumeName
} from '../../src/naming.js';
import type { ServerRecord } from '../../src/store/store.js';
import { ENVHUB_SCOPE, NAME_PREFIX, PREFIX, type TestApp } from './fakes.js';
import { CookieJar, type Received } from './http.js';

/** Everyone an authorization rule can be about; the fixtures give each role a reason to exist. */
export const ROLES = [
  'owner',
  'collaborator',
  'groupCollaborator',
  'volumeReader',
  'volumeWriter',
  'otherUser',
  'admin',
  'serverToken',
  'anonymous'
] as const;
export type Role = (typeof ROLES)[number];

/** Who plays each role (the server token is alice's, given to her running server s1). */
export const PEOPLE = {
  owner: 'alice',
  collaborator: 'bob',
  groupCollaborator: 'carol',
  volumeReader: 'dave',
  volumeWriter: 'erin',
  otherUser: 'mallory',
  admin: 'root',
  serverToken: 'alice'
} as const;

export const COMMIT = 'c'.repeat(40);
/** The repository of alice's servers (never fetched: the fixtures hold its image and build). */
export const REPO = 'https://forge.example.org/alice/project.git';
/** The commit launches name: a full hash, so no git runs (and the builder is a fake). */
export const LAUNCH_COMMIT = 'a'.repeat(40);
/** The repository the tests launch, on the app's forge; its server is called `launchme`. */
export const launchRepo = (app: Pick<TestApp, 'forge'>): string =>
  `${app.forge.url}/lab/launchme.git`;
/** `<provider>/<spec>` of launchRepo at LAUNCH_COMMIT, as `/build/…` and `/v2/…` take it. */
export const launchPath = (app: Pick<TestApp, 'forge'>): string =>
  `git/${encodeURIComponent(launchRepo(app))}/${LAUNCH_COMMIT}`;

export const S1_IMAGE = imageName(`${NAME_PREFIX}-`, REPO, COMMIT);
export const OTHER_IMAGE = imageName(
  `${NAME_PREFIX}-`,
  'https://forge.example.org/mallory/other.git',
  COMMIT
);
/** When bob submitted sub1, his work for assignment a1 of class c1. */
export const SUB1_TIMESTAMP = '2026-01-02T10:00:00.000Z';

export const TICKETS = {
  s1: 'ticket-of-alice-s1',
  s2: 'ticket-of-alice-s2',
  visitor: 'ticket-of-a-visitor-of-s2'
} as const;

/** alice's token on forge.example.org, stored as her credential for that host. */
export const ALICE_FORGE_TOKEN = 'alice-forge-token-7f3a';

/** The temporary Hub user of a visitor's session of alice's public server s2. */
export const VISITOR = 'envhub-visitor-v1';

/** The tokens each role sends (none for anonymous). */
export type Tokens = Record<Exclude<Role, 'anonymous'>, string>;

function spec(candidate: object): ValidEnvironmentSpec {
  const validation = validateSpec(candidate);
  if (!validation.ok) {
    throw new Error(
      `fixture spec is invalid: ${validation.errors.map(e => e.message).join('; ')}`
    );
  }
  return validation.spec;
}

function serverRecord(
  name: string,
  extra: object,
  ticket: string
): ServerRecord {
  const now = '2026-01-01T00:00:00.000Z';
  return {
    owner: 'alice',
    name,
    repo: REPO,
    ref: 'main',
    commit: COMMIT,
    image: S1_IMAGE,
    ticket,
    spec: spec({ repo: REPO, ref: 'main', name, ...extra }),
    createdAt: now,
    updatedAt: now
  };
}

/**
 * The world every authorization test starts from:
 * - alice owns server s1 (running; collaborators: user bob and group team, whose member is carol)
 *   and s2 (stopped, shared with nobody, public: a visitor, VISITOR, is in a temporary session of
 *   it), both of image S1_IMAGE, built by build b1 at her request;
 * - alice keeps a credential for forge.example.org (ALICE_FORGE_TOKEN);
 * - alice owns volume v1: dave may read it, group writers (erin) may write it; s1 mounts it;
 * - mallory is signed in with no relation to any of it, and asked for build b2 of another image;
 * - root is a Hub admin; frank exists (to be added as a collaborator or member);
 * - alice teaches class c1, which bob and group team (carol) take; a1 is released, and bob
 *   submitted it as sub1.
 */
export function seedFixtures(app: TestApp): Tokens {
  const { hub, store, docker } = app;
  hub.addUser('alice');
  hub.addUser('bob');
  hub.addUser('carol', { groups: ['team'] });
  hub.addUser('dave');
  hub.addUser('erin', { groups: ['writers'] });
  hub.addUser('mallory');
  hub.addUser('frank', { groups: ['staff'] });
  hub.addUser('root', { admin: true });

  store.saveServer(
    serverRecord(
      's1',
      {
        collaborators: { users: ['bob'], groups: ['team'] },
        mounts: [{ source: 'v1', target: '/mnt/data' }]
      },
      TICKETS.s1
    )
  );
  store.saveServer(serverRecord('s2', { public: true }, TICKETS.s2));
  store.setStartedMounts(
    'alice',
    's1',
    JSON.stringify(store.getServer('alice', 's1')!.spec.mounts)
  );
  hub.putServer('alice', 's1', {
    running: true,
    userOptions: { ticket: TICKETS.s1 }
  });
  hub.putServer('alice', 's2', {
    running: false,
    userOptions: { ticket: TICKETS.s2 }
  });
  // As syncCollaborators leaves them: group members get a share of their own too.
  void hub.share('alice', 's1', { user: 'bob' });
  void hub.share('alice', 's1', { user: 'carol' });
  void hub.share('alice', 's1', { group: 'team' });

  app.credentials.set('alice', 'forge.example.org', {
    username: 'alice',
    token: ALICE_FORGE_TOKEN
  });

  store.addVolume({
    name: 'v1',
    owner: 'alice',
    members: {
      users: [{ name: 'dave', readOnly: true }],
      groups: [{ name: 'writers', readOnly: false }]
    },
    createdAt: '2026-01-01T00:00:00.000Z'
  });

  const started = '2026-01-01T00:00:00.000Z';
  store.startBuild({
    id: 'b1',
    image: S1_IMAGE,
    repo: REPO,
    ref: 'main',
    commit: COMMIT,
    requestedBy: 'alice',
    startedAt: started
  });
  store.finishBuild(
    'b1',
    'built',
    'Step 1/2 : FROM envhub-base\nStep 2/2 : COPY . /home/jovyan\n'
  );
  store.startBuild({
    id: 'b2',
    image: OTHER_IMAGE,
    repo: 'https://forge.example.org/mallory/other.git',
    ref: 'main',
    commit: COMMIT,
    requestedBy: 'mallory',
    startedAt: started
  });
  store.finishBuild(
    'b2',
    'failed',
    'requirements.txt: no version of nothing-here matches\n'
  );

  store.addClass({
    id: 'c1',
    title: 'Class one',
    createdBy: 'alice',
    createdAt: started,
    instructors: { users: ['alice'], groups: [] },
    students: { users: ['bob'], groups: ['team'] },
    repo: REPO,
    ref: 'main'
  });
  store.saveAssignment({
    classId: 'c1',
    id: 'a1',
    releasedAt: started,
    dueAt: null,
    notebooks: ['a1.ipynb']
  });
  store.addSubmission({
    id: 'sub1',
    classId: 'c1',
    assignment: 'a1',
    student: 'bob',
    timestamp: SUB1_TIMESTAMP,
    late: false,
    files: ['a1.ipynb'],
    bytes: 2
  });

  // A visitor is in a temporary session of s2, which is public.
  hub.addUser(VISITOR);
  store.addSession({
    user: VISITOR,
    owner: 'alice',
    server: 's2',
    image: S1_IMAGE,
    ticket: TICKETS.visitor,
    createdAt: started,
    claimedAt: started,
    client: '203.0.113.9'
  });
  hub.putServer(VISITOR, 's2', {
    running: true,
    userOptions: { ticket: TICKETS.visitor }
  });

  docker.images.add(S1_IMAGE);
  for (const volume of [
    homeVolumeName(NAME_PREFIX, 'alice', 's1'),
    homeVolumeName(NAME_PREFIX, 'alice', 's2'),
    sharedVolumeName(NAME_PREFIX, 'v1')
  ]) {
    void docker.createVolume({ Name: volume });
  }
  hub.calls.length = 0;
  docker.calls.length = 0;

  return {
    owner: hub.issueToken('alice', [ENVHUB_SCOPE], 'token-alice'),
    collaborator: hub.issueToken('bob', [ENVHUB_SCOPE], 'token-bob'),
    groupCollaborator: hub.issueToken('carol', [ENVHUB_SCOPE], 'token-carol'),
    volumeReader: hub.issueToken('dave', [ENVHUB_SCOPE], 'token-dave'),
    volumeWriter: hub.issueToken('erin', [ENVHUB_SCOPE], 'token-erin'),
    otherUser: hub.issueToken('mallory', [ENVHUB_SCOPE], 'token-mallory'),
    admin: hub.issueToken(
      'root',
      [ENVHUB_SCOPE, 'admin:users', 'admin:servers'],
      'token-root'
    ),
    serverToken: hub.issueServerToken('alice', 's1')
  };
}

/** Authorization header of a role's token, or none for anonymous. */
export function authHeader(tokens: Tokens, role: Role): Record<string, string> {
  return role === 'anonymous' ? {} : { Authorization: `token ${tokens[role]}` };
}

/**
 * Signs `user` in as a browser does: open a page, follow the redirect to the Hub's authorize
 * endpoint (the fake Hub consents for `user`), come back to the callback. Returns the browser's
 * cookies.
 */
export async function signIn(
  app: TestApp,
  user: string,
  jar = new CookieJar()
): Promise<CookieJar> {
  const page = await app.send(PREFIX, { headers: { Cookie: jar.header() } });
  if (page.status !== 302) {
    throw new Error(
      `signing in: expected a redirect to the Hub, got ${page.status}`
    );
  }
  jar.take(page);
  const authorize = new URL(
    String(page.headers.location),
    'http://hub.invalid'
  );
  const code = app.hub.authorize(authorize.searchParams, user);
  const back = await app.send(
    `${PREFIX}oauth_callback?${new URLSearchParams({ code, state: authorize.searchParams.get('state') ?? '' })}`,
    {
      headers: { Cookie: jar.header() }
    }
  );
  if (back.status !== 302) {
    throw new Error(
      `signing in: the callback answered ${back.status} ${back.text}`
    );
  }
  return jar.take(back);
}

/** The home page as a signed-in browser gets it (cookies it sets are kept in `jar`). */
export async function homePage(
  app: TestApp,
  jar: CookieJar
): Promise<Received> {
  const page = await app.send(PREFIX, { headers: { Cookie: jar.header() } });
  if (page.status !== 200) {
    throw new Error(`home page: expected 200, got ${page.status}`);
  }
  jar.take(page);
  return page;
}
