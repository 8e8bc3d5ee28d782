import { openApiDocument } from '../../../src/api/openapi.js';
import {
  captureLogs,
  INTERNAL_SECRET,
  PREFIX,
  testApp,
  type TestApp
} from '../../support/fakes.js';
import {
  authHeader,
  LAUNCH_COMMIT,
  launchRepo,
  PEOPLE,
  ROLES,
  seedFixtures,
  SUB1_TIMESTAMP,
  TICKETS,
  VISITOR,
  type Role,
  type Tokens
} from '../../support/fixtures.js';
import {
  expectReady,
  expectStatus,
  type Received,
  type Sent
} from '../../support/http.js';

/**
 * Every operation of the OpenAPI document × every role, against the fixtures of seedFixtures:
 * alice owns server s1 (collaborators bob, and carol through group team) and volume v1 (dave may
 * read it, erin may write it through group writers); mallory has no relation; root is an admin;
 * the server token is the one s1 got from the Hub (alice's, without access to envhub).
 *
 * The rule: anonymous 401 (pages: a redirect to sign in); a server token 403; someone who may not
 * see the thing 404, as if it did not exist; someone who may see it but not do this 403 naming who
 * may; owner and admin allowed. Launches always go to the caller's own servers. The internal API
 * opens to the Hub's secret only, never to a user's token.
 */
// prettier-ignore
const EXPECTED: Record<string, readonly number[]> = {
  //                                                 owner collab group vread vwrite other admin server anon
  'GET /':                                            [200,  200,   200,  200,  200,   200,  200,  403,   302],
  'GET /builds/{id}':                                 [200,  200,   200,  404,  404,   404,  200,  403,   302],
  'GET /v2/{provider}/{spec}':                        [200,  200,   200,  200,  200,   200,  200,  403,   302],
  'POST /v2/{provider}/{spec}':                       [200,  200,   200,  200,  200,   200,  200,  403,   302],
  'GET /build/{provider}/{spec}':                     [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'GET /api/servers':                                 [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'GET /api/servers/{owner}/{name}':                  [200,  200,   200,  404,  404,   404,  200,  403,   401],
  'DELETE /api/servers/{owner}/{name}':               [204,  403,   403,  404,  404,   404,  204,  403,   401],
  'PUT /api/servers/{owner}/{name}/collaborators':    [200,  403,   403,  404,  404,   404,  200,  403,   401],
  'PUT /api/servers/{owner}/{name}/mounts':           [200,  403,   403,  404,  404,   404,  200,  403,   401],
  'POST /api/servers/{owner}/{name}/stop':            [202,  403,   403,  404,  404,   404,  202,  403,   401],
  'GET /api/servers/{owner}/{name}/credentials':      [403,  403,   403,  403,  403,   403,  403,  403,   401],
  'PUT /api/servers/{owner}/{name}/public':           [200,  403,   403,  404,  404,   404,  200,  403,   401],
  'GET /api/sessions':                                [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'DELETE /api/sessions/{user}':                      [204,  404,   404,  404,  404,   404,  204,  403,   401],
  'GET /public/{owner}/{name}':                       [200,  200,   200,  200,  200,   200,  200,  200,   200],
  'POST /public/{owner}/{name}':                      [303,  303,   303,  303,  303,   303,  303,  303,   303],
  'GET /api/credentials':                             [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'PUT /api/credentials/{host}':                      [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'DELETE /api/credentials/{host}':                   [204,  404,   404,  404,  404,   404,  404,  403,   401],
  'GET /api/volumes':                                 [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'POST /api/volumes':                                [201,  201,   201,  201,  201,   201,  201,  403,   401],
  'GET /api/volumes/{name}':                          [200,  404,   404,  200,  200,   404,  200,  403,   401],
  'PUT /api/volumes/{name}/members':                  [200,  404,   404,  403,  403,   404,  200,  403,   401],
  'DELETE /api/volumes/{name}':                       [204,  404,   404,  403,  403,   404,  204,  403,   401],
  'GET /api/builds/{id}':                             [200,  200,   200,  404,  404,   404,  200,  403,   401],
  'GET /api/classes':                                 [200,  200,   200,  200,  200,   200,  200,  200,   401],
  'POST /api/classes':                                [201,  201,   201,  201,  201,   201,  201,  403,   401],
  'GET /api/classes/{id}':                            [200,  200,   200,  404,  404,   404,  200,  200,   401],
  'DELETE /api/classes/{id}':                         [204,  403,   403,  404,  404,   404,  204,  403,   401],
  'PUT /api/classes/{id}/members':                    [200,  403,   403,  404,  404,   404,  200,  403,   401],
  'GET /api/classes/{id}/assignments':                [200,  200,   200,  404,  404,   404,  200,  200,   401],
  'PUT /api/classes/{id}/assignments/{assignment}':   [200,  403,   403,  404,  404,   404,  200,  200,   401],
  'DELETE /api/classes/{id}/assignments/{assignment}':[204,  403,   403,  404,  404,   404,  204,  204,   401],
  'GET /api/classes/{id}/assignments/{assignment}/files':
                                                      [200,  200,   200,  404,  404,   404,  200,  200,   401],
  'POST /api/classes/{id}/assignments/{assignment}/submissions':
                                                      [201,  201,   201,  404,  404,   404,  403,  201,   401],
  'GET /api/classes/{id}/assignments/{assignment}/submissions':
                                                      [200,  200,   200,  404,  404,   404,  200,  200,   401],
  'GET /api/classes/{id}/assignments/{assignment}/submissions/{submission}':
                                                      [200,  200,   404,  404,  404,   404,  200,  200,   401],
  'PUT /api/classes/{id}/assignments/{assignment}/feedback/{student}':
                                                      [200,  403,   403,  404,  404,   404,  200,  200,   401],
  'GET /api/classes/{id}/assignments/{assignment}/feedback':
                                                      [200,  200,   200,  404,  404,   404,  200,  200,   401],
  'POST /api/internal/spawn-config':                  [403,  403,   403,  403,  403,   403,  403,  403,   403],
  'GET /catalog':                                     [200,  200,   200,  200,  200,   200,  200,  403,   302],
  'POST /settings':                                   [303,  303,   303,  303,  303,   303,  303,  403,   302],
  'GET /api/catalog':                                 [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'GET /api/settings':                                [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'PUT /api/settings':                                [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'GET /usage':                                       [200,  200,   200,  200,  200,   200,  200,  403,   302],
  'GET /admin/usage':                                 [403,  403,   403,  403,  403,   403,  200,  403,   302],
  'GET /api/usage':                                   [200,  200,   200,  200,  200,   200,  200,  403,   401],
  'GET /metrics':                                     [403,  403,   403,  403,  403,   403,  403,  403,   401],
  'GET /api/health':                                  [200,  200,   200,  200,  200,   200,  200,  200,   200],
  'GET /api/openapi.json':                            [200,  200,   200,  200,  200,   200,  200,  200,   200],
  'GET /badge.svg':                                   [200,  200,   200,  200,  200,   200,  200,  200,   200]
};

const NOTEBOOK = {
  path: 'a1.ipynb',
  content: Buffer.from('{}').toString('base64')
};

/** Bodies that are valid for each operation that takes one, so that authorization alone decides. */
const BODIES: Record<string, Sent> = {
  'POST /v2/{provider}/{spec}': { form: { remember: '1' } },
  'POST /settings': { form: { hide_launches: '1' } },
  'PUT /api/settings': { json: { hideLaunches: true } },
  'PUT /api/servers/{owner}/{name}/collaborators': {
    json: { users: ['bob', 'frank'], groups: ['team'] }
  },
  'PUT /api/servers/{owner}/{name}/mounts': {
    json: [{ source: 'v1', target: '/mnt/shared', readOnly: true }]
  },
  'PUT /api/servers/{owner}/{name}/public': { json: { public: false } },
  'PUT /api/credentials/{host}': {
    json: { username: 'someone', token: 'a-fresh-token' }
  },
  'POST /api/volumes': { json: { name: 'fresh' } },
  'PUT /api/volumes/{name}/members': {
    json: {
      users: [
        { name: 'dave', readOnly: true },
        { name: 'frank', readOnly: false }
      ],
      groups: [{ name: 'writers', readOnly: false }]
    }
  },
  'POST /api/classes': { json: { id: 'fresh' } },
  'PUT /api/classes/{id}/members': {
    json: { students: { users: ['bob', 'frank'], groups: ['team'] } }
  },
  'PUT /api/classes/{id}/assignments/{assignment}': {
    json: { files: [NOTEBOOK], dueAt: '2026-12-24T12:00:00Z' }
  },
  'POST /api/classes/{id}/assignments/{assignment}/submissions': {
    json: { files: [NOTEBOOK] }
  },
  'PUT /api/classes/{id}/assignments/{assignment}/feedback/{student}': {
    json: {
      timestamp: SUB1_TIMESTAMP,
      files: [
        {
          path: 'a1.html',
          content: Buffer.from('<p>ok</p>').toString('base64')
        }
      ]
    }
  },
  'POST /api/internal/spawn-config': {
    json: { user: 'alice', server: 's1', user_options: { ticket: TICKETS.s1 } }
  }
};

type Operation = { method: string; path: string; hasBody: boolean };

function documentOperations(): Map<string, Operation> {
  const doc = openApiDocument(PREFIX) as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (
        !['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(
          method
        )
      ) {
        continue;
      }
      operations.set(`${method.toUpperCase()} ${path}`, {
        method: method.toUpperCase(),
        path,
        hasBody: operation.requestBody !== undefined
      });
    }
  }
  return operations;
}

/** A path of the document with its parameters taken from the fixtures (`missing`: naming nothing that exists). */
function fill(app: TestApp, path: string, missing = false): string {
  // In a class's paths only the last part names nothing (the class itself is there to see).
  const last = [...path.matchAll(/\{(\w+)\}/g)].at(-1)?.[1];
  const ghost = (name: string) =>
    missing && (!path.startsWith('/api/classes/') || name === last);
  const values: Record<string, string> = {
    owner: 'alice',
    name: missing
      ? 'ghost'
      : path.startsWith('/api/volumes/')
        ? 'v1'
        : path.startsWith('/public/')
          ? 's2'
          : 's1',
    user: missing ? 'ghost' : VISITOR,
    host: missing ? 'ghost.example.org' : 'forge.example.org',
    id: ghost('id') ? 'ghost' : path.startsWith('/api/classes/') ? 'c1' : 'b1',
    assignment: ghost('assignment') ? 'ghost' : 'a1',
    submission: ghost('submission') ? 'ghost' : 'sub1',
    student: ghost('student') ? 'ghost' : 'bob',
    provider: 'git',
    spec: `${encodeURIComponent(launchRepo(app))}/${LAUNCH_COMMIT}`
  };
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) {
      throw new Error(
        `no fixture for path parameter {${name}} of ${path}: add one to fill()`
      );
    }
    // The launch spec is a path already (`<escaped repo URL>/<ref>`); the rest are names.
    return name === 'spec' ? values[name] : encodeURIComponent(values[name]);
  });
  return PREFIX + filled.replace(/^\//, '');
}

/**
 * Sends `key` as `role`. Errors are asked for as JSON everywhere (pages answer HTML errors to
 * browsers), so that every refusal can be checked for its code and message.
 */
async function call(
  app: TestApp,
  tokens: Tokens,
  key: string,
  role: Role,
  missing = false
): Promise<Received> {
  const [method, path] = key.split(' ');
  const accept = path.startsWith('/build/')
    ? 'text/event-stream'
    : 'application/json';
  const body = BODIES[key] ?? {};
  return app.send(fill(app, path, missing), {
    ...body,
    method,
    headers: { ...authHeader(tokens, role), Accept: accept }
  });
}

const logs = captureLogs();
afterAll(() => logs.restore());

describe('the table covers the OpenAPI document', () => {
  const operations = documentOperations();

  test('every operation of the document has a row, and every row an operation', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...operations.keys()].sort());
  });

  test('every row has one expected status per role', () => {
    for (const [key, row] of Object.entries(EXPECTED)) {
      expect([key, row.length]).toEqual([key, ROLES.length]);
    }
  });

  test('every operation with a request body has a valid body to send, and no other', () => {
    const taking = [...operations]
      .filter(([, op]) => op.hasBody)
      .map(([key]) => key);
    expect(Object.keys(BODIES).sort()).toEqual(taking.sort());
  });
});

describe.each(Object.keys(EXPECTED))('%s', key => {
  const isRead = key.startsWith('GET ') && !key.startsWith('GET /build/');

  test.each(ROLES.map((role, i) => [role, EXPECTED[key][i]] as const))(
    '%s → %i',
    async (role, expected) => {
      const app = await testApp();
      try {
        const tokens = seedFixtures(app);
        const before = app.state();
        const response = await call(app, tokens, key, role);
        expectStatus(response, expected);

        if (expected === 302) {
          expect(String(response.headers.location)).toMatch(
            /hub\/api\/oauth2\/authorize\?/
          );
        }
        if (expected >= 400) {
          // One error body everywhere: status, a stable code, and a message saying what to do.
          expect(response.json).toEqual({
            status: expected,
            code: expect.any(String),
            message: expect.any(String)
          });
          expect(response.json.message.length).toBeGreaterThan(10);
        }
        if (
          expected === 403 &&
          role !== 'serverToken' &&
          !key.includes('/internal/')
        ) {
          // Who may: the owner or an admin, or a class's instructors or students.
          expect(response.json.message).toMatch(/owner|admin|instructors/i);
        }
        if (expected === 404) {
          // A thing you may not see answers exactly as a thing that does not exist.
          const ghost = await call(app, tokens, key, role, true);
          expect({ status: ghost.status, code: ghost.json?.code }).toEqual({
            status: 404,
            code: response.json.code
          });
          const names = (message: string) =>
            message.replace(
              /\b(?:ghost|[svbca][12]|sub1|envhub-visitor-v1|forge)\b/g,
              ''
            );
          expect(names(ghost.json.message)).toEqual(
            names(response.json.message)
          );
        }
        // Nothing was changed by a refusal or a read: records, Hub servers and shares, Docker, builds.
        // (A visitor's session is the one thing an anonymous POST makes.)
        if ((expected >= 300 && !key.startsWith('POST /public/')) || isRead) {
          expect(app.state()).toEqual(before);
        }
        if (key.startsWith('GET /build/') && expected === 200) {
          // A launch always goes to the caller's own server; nobody else's changes.
          expectReady(response.text);
          const caller = PEOPLE[role as keyof typeof PEOPLE];
          expect(app.store.getServer(caller, 'launchme')).toMatchObject({
            owner: caller,
            name: 'launchme',
            commit: LAUNCH_COMMIT
          });
          expect(
            app.store
              .allServers()
              .map(s => `${s.owner}/${s.name}`)
              .sort()
          ).toEqual(['alice/s1', 'alice/s2', `${caller}/launchme`].sort());
          expect(
            app.hub
              .callsOf('startServer')
              .map(([user, server]) => `${user}/${server}`)
          ).toEqual([`${caller}/launchme`]);
        }
      } finally {
        await app.close();
      }
    }
  );
});

/** The same operations on other fixtures: a build asked for by mallory, static files, the Hub's own call. */
// prettier-ignore
const MORE: Record<string, readonly number[]> = {
  //                                                 owner collab group vread vwrite other admin server anon
  'GET /builds/b2':                                   [404,  404,   404,  404,  404,   200,  200,  403,   302],
  'GET /api/builds/b2':                               [404,  404,   404,  404,  404,   200,  200,  403,   401],
  'GET /static/envhub.css':                           [200,  200,   200,  200,  200,   200,  200,  200,   200],
  'GET /static/schema/eventStream.js':                [200,  200,   200,  200,  200,   200,  200,  200,   200]
};

describe.each(Object.keys(MORE))('%s', key => {
  test.each(ROLES.map((role, i) => [role, MORE[key][i]] as const))(
    '%s → %i',
    async (role, expected) => {
      const app = await testApp();
      try {
        const tokens = seedFixtures(app);
        const before = app.state();
        const [method, path] = key.split(' ');
        const response = await app.send(PREFIX + path.slice(1), {
          method,
          headers: { ...authHeader(tokens, role), Accept: 'application/json' }
        });
        expectStatus(response, expected);
        if (expected === 302) {
          expect(String(response.headers.location)).toMatch(
            /hub\/api\/oauth2\/authorize\?/
          );
        }
        expect(app.state()).toEqual(before);
      } finally {
        await app.close();
      }
    }
  );
});

test("the Hub's secret opens the internal API (so that its 403s above are about the caller)", async () => {
  const app = await testApp();
  try {
    seedFixtures(app);
    const response = await app.send(`${PREFIX}api/internal/spawn-config`, {
      method: 'POST',
      headers: { Authorization: `token ${INTERNAL_SECRET}` },
      ...BODIES['POST /api/internal/spawn-config']
    });
    expectStatus(response, 200);
  } finally {
    await app.close();
  }
});
