import { EnvhubModel } from '../model';
import { EnvhubStatus, IHubContext } from '../tokens';
import {
  BUILD,
  CREDENTIALS,
  CREDENTIALS_URL,
  PUBLIC_SERVER,
  SERVER,
  credentialsAnswer,
  fakeFetch
} from './fakeService';

const ALICE_X = '/services/envhub/api/servers/alice/x';
const BUILD_B1 = '/services/envhub/api/builds/b1';

function context(overrides: Partial<IHubContext> = {}): IHubContext {
  return {
    user: 'alice',
    serverUser: 'alice',
    serverName: 'x',
    serviceUrl: '/services/envhub/',
    token: 'page-token',
    ...overrides
  };
}

const models: EnvhubModel[] = [];

/** A model over a fake service; disposed after the test. */
function modelOf(options: EnvhubModel.IOptions): EnvhubModel {
  const model = new EnvhubModel(options);
  models.push(model);
  return model;
}

afterEach(() => {
  models.splice(0).forEach(model => model.dispose());
});

function statuses(model: EnvhubModel): EnvhubStatus[] {
  const seen: EnvhubStatus[] = [];
  model.changed.connect((_, state) => seen.push(state.status));
  return seen;
}

describe('EnvhubModel', () => {
  it("loads the server, its build and the viewer's credentials, and emits loading then ready", async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD },
      [CREDENTIALS_URL]: credentialsAnswer()
    });
    const model = modelOf({ context: context(), fetch });
    const seen = statuses(model);

    await model.refresh();

    expect(seen).toEqual(['loading', 'ready']);
    expect(model.state.status).toBe('ready');
    expect(model.state.server?.commit).toBe(SERVER.commit);
    expect(model.state.server?.repoUrl).toBe('http://127.0.0.1:9999/demo.git');
    expect(model.state.build?.finishedAt).toBe(BUILD.finishedAt);
    expect(model.state.credentials).toEqual(CREDENTIALS);
    expect(model.state.error).toBeNull();
    expect(model.state.credentialsError).toBeNull();
    expect(requests.map(r => [r.url, r.headers.get('Authorization')])).toEqual([
      [ALICE_X, 'token page-token'],
      [CREDENTIALS_URL, 'token page-token'],
      [BUILD_B1, 'token page-token']
    ]);
  });

  it('asks for a finished build once, and shows no build to a viewer who may not read it', async () => {
    const table: Parameters<typeof fakeFetch>[0] = {
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD }
    };
    const { fetch, requests } = fakeFetch(table);
    const model = modelOf({ context: context(), fetch });
    await model.refresh();
    await model.refresh();
    expect(requests.filter(r => r.url === BUILD_B1)).toHaveLength(1);

    delete table[BUILD_B1];
    table[ALICE_X] = { status: 200, body: { ...SERVER, buildId: 'b2' } };
    await model.refresh();
    expect(model.state.status).toBe('ready');
    expect(model.state.build).toBeNull();
  });

  it("asks for the server owner's server and the viewer's own credentials on a shared server", async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [CREDENTIALS_URL]: credentialsAnswer([])
    });
    const model = modelOf({
      context: context({ user: 'bob', serverUser: 'alice' }),
      fetch
    });

    await model.refresh();

    expect(requests.map(r => r.url)).toEqual([
      ALICE_X,
      CREDENTIALS_URL,
      BUILD_B1
    ]);
    expect(model.state.status).toBe('ready');
    expect(model.state.credentials).toEqual([]);
  });

  it('goes to error with the service message on a 4xx', async () => {
    const message = 'No server alice/x is recorded by envhub.';
    const { fetch } = fakeFetch({
      [ALICE_X]: {
        status: 404,
        body: { status: 404, code: 'not_found', message }
      }
    });
    const model = modelOf({ context: context(), fetch });
    const seen = statuses(model);

    await model.refresh();

    expect(seen).toEqual(['loading', 'error']);
    expect(model.state.error).toEqual({
      status: 404,
      code: 'not_found',
      message
    });
    expect(model.state.server).toBeNull();
  });

  it('keeps the last server when a reload fails, and clears the error on success', async () => {
    const table: Parameters<typeof fakeFetch>[0] = {
      [ALICE_X]: { status: 200, body: SERVER }
    };
    const { fetch } = fakeFetch(table);
    const model = modelOf({ context: context(), fetch });
    await model.refresh();

    table[ALICE_X] = new TypeError('Failed to fetch');
    await model.refresh();
    expect(model.state.status).toBe('error');
    expect(model.state.error?.status).toBe(0);
    expect(model.state.server?.name).toBe('x');

    table[ALICE_X] = { status: 200, body: { ...SERVER, ref: 'v2' } };
    await model.refresh();
    expect(model.state.status).toBe('ready');
    expect(model.state.error).toBeNull();
    expect(model.state.server?.ref).toBe('v2');
  });

  it('ignores an older answer that arrives after a newer one', async () => {
    const pending: Array<(response: Response) => void> = [];
    const fetch = (url: string): Promise<Response> =>
      url === CREDENTIALS_URL
        ? Promise.resolve(new Response('{"credentials": []}'))
        : new Promise<Response>(resolve => pending.push(resolve));
    const answer = (ref: string): Response =>
      new Response(JSON.stringify({ ...SERVER, ref, buildId: null }), {
        status: 200
      });
    const model = modelOf({ context: context(), fetch });

    const first = model.refresh();
    const second = model.refresh();
    expect(pending).toHaveLength(2);
    pending[1](answer('second'));
    await second;
    pending[0](answer('first'));
    await first;

    expect(model.state.status).toBe('ready');
    expect(model.state.server?.ref).toBe('second');
  });

  it('sets collaborators and takes the server view the service answers with', async () => {
    const updated = {
      ...SERVER,
      spec: {
        ...SERVER.spec,
        collaborators: { users: ['bob', 'carol'], groups: [] }
      }
    };
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [`${ALICE_X}/collaborators`]: { status: 200, body: updated }
    });
    const model = modelOf({
      context: context({ user: 'admin' }),
      fetch
    });
    await model.refresh();
    const seen = statuses(model);

    await model.setCollaborators(['bob', 'carol'], []);

    expect(seen).toEqual(['ready']);
    expect(model.state.server?.spec.collaborators?.users).toEqual([
      'bob',
      'carol'
    ]);
    const put = requests.find(r => r.method === 'PUT');
    expect(put?.url).toBe(`${ALICE_X}/collaborators`);
    expect(JSON.parse(String(put?.init.body))).toEqual({
      users: ['bob', 'carol'],
      groups: []
    });
  });

  it('keeps the state when the service refuses new collaborators', async () => {
    const message = 'unknown Hub users: nobody';
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [`${ALICE_X}/collaborators`]: {
        status: 400,
        body: { status: 400, code: 'unknown_collaborators', message }
      }
    });
    const model = modelOf({ context: context(), fetch });
    await model.refresh();
    const before = model.state;

    await expect(
      model.setCollaborators(['bob', 'nobody'], [])
    ).rejects.toMatchObject({
      status: 400,
      message
    });
    expect(model.state).toBe(before);
  });

  it('saves new mounts and shows the server the service sends back', async () => {
    const mounts = [
      { source: 'course', target: '/mnt/course', readOnly: true }
    ];
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD },
      [`${ALICE_X}/mounts`]: {
        status: 200,
        body: {
          ...SERVER,
          spec: { ...SERVER.spec, mounts },
          mountsPending: true
        }
      }
    });
    const model = modelOf({ context: context(), fetch });
    await model.refresh();

    const saved = await model.setMounts(mounts);

    expect(saved.mountsPending).toBe(true);
    expect(model.state.server?.spec.mounts).toEqual(mounts);
    const put = requests.find(r => r.method === 'PUT');
    expect(put?.url).toBe(`${ALICE_X}/mounts`);
    expect(JSON.parse(String(put?.init.body))).toEqual(mounts);
  });

  it('keeps the state when the service refuses the mounts', async () => {
    const message =
      'mounts.0.source: alice may not mount volume "theirs" (ask its owner, bob, to add them as a member)';
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [`${ALICE_X}/mounts`]: {
        status: 403,
        body: { status: 403, code: 'volume_forbidden', message }
      }
    });
    const model = modelOf({ context: context(), fetch });
    await model.refresh();
    const before = model.state;

    await expect(
      model.setMounts([{ source: 'theirs', target: '/mnt/t', readOnly: false }])
    ).rejects.toMatchObject({ status: 403, message });
    expect(model.state).toBe(before);
  });

  it('makes the server public, or stops its public access, and shows what the service sends back', async () => {
    const table: Parameters<typeof fakeFetch>[0] = {
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD },
      [`${ALICE_X}/public`]: { status: 200, body: PUBLIC_SERVER }
    };
    const { fetch, requests } = fakeFetch(table);
    const model = modelOf({ context: context(), fetch });
    await model.refresh();

    const made = await model.setPublic(true);
    expect(made.public?.visitors).toBe(2);
    expect(model.state.server?.public).toEqual(PUBLIC_SERVER.public);

    table[`${ALICE_X}/public`] = { status: 200, body: SERVER };
    await model.setPublic(false);
    expect(model.state.server?.public).toBeNull();
    expect(
      requests
        .filter(r => r.method === 'PUT')
        .map(r => JSON.parse(String(r.init.body)))
    ).toEqual([{ public: true }, { public: false }]);
  });

  it('keeps the state when the service refuses to make the server public', async () => {
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: { ...SERVER, canManage: false } },
      [`${ALICE_X}/public`]: {
        status: 403,
        body: { status: 403, code: 'forbidden', message: 'not yours' }
      }
    });
    const model = modelOf({ context: context({ user: 'bob' }), fetch });
    await model.refresh();
    const before = model.state;

    await expect(model.setPublic(true)).rejects.toMatchObject({
      status: 403
    });
    expect(model.state).toBe(before);
  });

  it("asks the service nothing in a visitor's temporary session of a public server", async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER }
    });
    const model = modelOf({
      // A temporary user's server, named or not.
      context: context({ user: 'visitor-1', serverUser: '', serverName: '' }),
      fetch,
      publicSession: 'alice/x'
    });
    const seen = statuses(model);
    model.isActive = true;

    await model.refresh();

    expect(requests).toEqual([]);
    expect(seen).toEqual([]);
    expect(model.state.status).toBe('unavailable');
    expect(model.state.publicSession).toBe('alice/x');
    expect(model.state.reason).toBe(
      'Temporary public session of alice/x: nothing you change is kept; it ends after a while without activity.'
    );
  });

  it.each([
    [
      'not under JupyterHub',
      { user: '', serverUser: '' },
      'This server was not started by envhub.'
    ],
    [
      'the default server',
      { serverName: '' },
      'This server was not started by envhub: it is your default server, and envhub only starts named servers.'
    ]
  ])('makes no request on %s', async (_, overrides, reason) => {
    const { fetch, requests } = fakeFetch({});
    const model = modelOf({ context: context(overrides), fetch });
    const seen = statuses(model);

    await model.refresh();

    expect(requests).toHaveLength(0);
    expect(seen).toEqual([]);
    expect(model.state.status).toBe('unavailable');
    expect(model.state.reason).toBe(reason);
    expect(
      model.state.reason.startsWith('This server was not started by envhub')
    ).toBe(true);
  });
});

describe('EnvhubModel credentials', () => {
  const CLOUD = `${CREDENTIALS_URL}/cloud.example.org%3A8443`;
  const STORED = {
    host: 'cloud.example.org:8443',
    username: 'alice',
    createdAt: '2026-01-03T09:00:00.000Z',
    lastUsedAt: null
  };

  /** A model loaded from a service that lists `CREDENTIALS`, and its request table. */
  async function loaded(table: Parameters<typeof fakeFetch>[0] = {}) {
    const all = {
      [ALICE_X]: { status: 200, body: { ...SERVER, buildId: null } },
      [CREDENTIALS_URL]: credentialsAnswer(),
      ...table
    };
    const { fetch, requests } = fakeFetch(all);
    const model = modelOf({ context: context(), fetch });
    await model.refresh();
    requests.splice(0);
    return { model, requests, table: all };
  }

  it('stores a credential with one PUT of the user name and token, lists the credentials again, and keeps the token nowhere', async () => {
    const { model, requests, table } = await loaded({
      [CLOUD]: { status: 200, body: STORED }
    });
    const after = [STORED, ...CREDENTIALS];
    table[CREDENTIALS_URL] = credentialsAnswer(after);

    const stored = await model.setCredential('cloud.example.org:8443', {
      username: 'alice',
      token: 'app-password-1'
    });

    expect(stored).toEqual(STORED);
    expect(requests.map(r => [r.method, r.url])).toEqual([
      ['PUT', CLOUD],
      ['GET', CREDENTIALS_URL]
    ]);
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(String(requests[0].init.body))).toEqual({
      username: 'alice',
      token: 'app-password-1'
    });
    expect(model.state.credentials).toEqual(after);
    expect(model.state.status).toBe('ready');
    expect(JSON.stringify(model.state)).not.toContain('app-password-1');
  });

  it('removes a credential with a DELETE, then lists the credentials again', async () => {
    const { model, requests, table } = await loaded({
      [`${CREDENTIALS_URL}/forge.example.org`]: () =>
        new Response(null, { status: 204 })
    });
    table[CREDENTIALS_URL] = credentialsAnswer(CREDENTIALS.slice(1));

    await model.removeCredential('forge.example.org');

    expect(requests.map(r => [r.method, r.url])).toEqual([
      ['DELETE', `${CREDENTIALS_URL}/forge.example.org`],
      ['GET', CREDENTIALS_URL]
    ]);
    expect(model.state.credentials).toEqual(CREDENTIALS.slice(1));
  });

  it("rejects with the service's refusal and keeps the credentials", async () => {
    const message =
      '"https://forge.example.org/x" is not a host; give its name, e.g. forge.example.org';
    const { model, requests } = await loaded({
      [`${CREDENTIALS_URL}/https%3A%2F%2Fforge.example.org%2Fx`]: {
        status: 400,
        body: { status: 400, code: 'invalid_host', message }
      }
    });
    const before = model.state;

    await expect(
      model.setCredential('https://forge.example.org/x', {
        username: 'alice',
        token: 'app-password-1'
      })
    ).rejects.toMatchObject({ status: 400, code: 'invalid_host', message });
    expect(model.state).toBe(before);
    expect(requests.map(r => r.method)).toEqual(['PUT']);
  });

  it('shows the server when the credentials cannot be loaded, and says why', async () => {
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: { ...SERVER, buildId: null } }
    });
    const model = modelOf({ context: context(), fetch });

    await model.refresh();

    expect(model.state.status).toBe('ready');
    expect(model.state.server?.name).toBe('x');
    expect(model.state.credentials).toBeNull();
    expect(model.state.credentialsError).toEqual({
      status: 404,
      code: 'not_found',
      message: `No route ${CREDENTIALS_URL}`
    });
  });

  it('drops a list asked for before a change that answers after it', async () => {
    const lists: Array<(response: Response) => void> = [];
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: { ...SERVER, buildId: null } },
      [CREDENTIALS_URL]: () =>
        new Promise<Response>(resolve => lists.push(resolve)),
      [CLOUD]: { status: 200, body: STORED }
    });
    const list = (credentials: unknown[]) =>
      new Response(JSON.stringify({ credentials }));
    const model = modelOf({ context: context(), fetch });
    const load = model.refresh();
    const change = model.setCredential('cloud.example.org:8443', {
      username: 'alice',
      token: 'app-password-1'
    });
    while (lists.length < 2) {
      await new Promise(resolve => setTimeout(resolve, 0));
    }

    // The list asked for after the change answers first, then the one from before it.
    lists[1](list([STORED]));
    await change;
    expect(model.state.credentials).toEqual([STORED]);
    lists[0](list(CREDENTIALS));
    await load;
    expect(model.state.status).toBe('ready');
    expect(model.state.credentials).toEqual([STORED]);
  });
});

describe('EnvhubModel refreshing', () => {
  const INTERVAL = 30_000;
  const serverGets = (requests: ReturnType<typeof fakeFetch>['requests']) =>
    requests.filter(r => r.url === ALICE_X).length;

  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** A loaded model over a fake service, and what it asked. */
  async function loaded() {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD },
      [CREDENTIALS_URL]: credentialsAnswer()
    });
    const model = modelOf({
      context: context(),
      fetch,
      refreshInterval: INTERVAL
    });
    await model.refresh();
    return { model, requests };
  }

  it('asks again every interval while active, and stands by while inactive', async () => {
    const { model, requests } = await loaded();
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(serverGets(requests)).toBe(1);

    model.isActive = true;
    await jest.advanceTimersByTimeAsync(0);
    // Becoming active asks at once.
    expect(serverGets(requests)).toBe(2);
    await jest.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(serverGets(requests)).toBe(4);

    model.isActive = false;
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(serverGets(requests)).toBe(4);
  });

  it('asks for the credentials with the server, never more often', async () => {
    const { model, requests } = await loaded();
    model.isActive = true;
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    model.isActive = false;
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    const credentialGets = requests.filter(
      r => r.url === CREDENTIALS_URL
    ).length;
    expect(serverGets(requests)).toBeGreaterThan(3);
    expect(credentialGets).toBe(serverGets(requests));
  });

  it('does not repeat a failed load on a timer; a refresh asks again', async () => {
    const table: Parameters<typeof fakeFetch>[0] = {
      [ALICE_X]: new TypeError('Failed to fetch')
    };
    const { fetch, requests } = fakeFetch(table);
    const model = modelOf({
      context: context(),
      fetch,
      refreshInterval: INTERVAL
    });
    model.isActive = true;
    await model.refresh();
    expect(model.state.status).toBe('error');
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    expect(serverGets(requests)).toBe(1);

    table[ALICE_X] = { status: 200, body: { ...SERVER, buildId: null } };
    await model.refresh();
    expect(model.state.status).toBe('ready');
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(serverGets(requests)).toBe(3);
  });

  it('stops asking and emits nothing more once disposed', async () => {
    const { model, requests } = await loaded();
    model.isActive = true;
    await jest.advanceTimersByTimeAsync(0);
    const seen = statuses(model);
    const asked = serverGets(requests);

    model.dispose();
    expect(model.isDisposed).toBe(true);
    await jest.advanceTimersByTimeAsync(3 * INTERVAL);
    await model.refresh();
    expect(serverGets(requests)).toBe(asked);
    expect(seen).toEqual([]);
  });
});
