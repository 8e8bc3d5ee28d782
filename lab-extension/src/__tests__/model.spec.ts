import { EnvhubModel } from '../model';
import { EnvhubStatus, IHubContext } from '../tokens';
import { BUILD, PUBLIC_SERVER, SERVER, fakeFetch } from './fakeService';

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
  it('loads the server and its build, and emits loading then ready', async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER },
      [BUILD_B1]: { status: 200, body: BUILD }
    });
    const model = modelOf({ context: context(), fetch });
    const seen = statuses(model);

    await model.refresh();

    expect(seen).toEqual(['loading', 'ready']);
    expect(model.state.status).toBe('ready');
    expect(model.state.server?.commit).toBe(SERVER.commit);
    expect(model.state.server?.repoUrl).toBe('http://127.0.0.1:9999/demo.git');
    expect(model.state.build?.finishedAt).toBe(BUILD.finishedAt);
    expect(model.state.error).toBeNull();
    expect(requests.map(r => [r.url, r.headers.get('Authorization')])).toEqual([
      [ALICE_X, 'token page-token'],
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

  it('asks for the server owner, not the viewer, on a shared server', async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER }
    });
    const model = modelOf({
      context: context({ user: 'bob', serverUser: 'alice' }),
      fetch
    });

    await model.refresh();

    expect(requests.map(r => r.url)).toEqual([ALICE_X, BUILD_B1]);
    expect(model.state.status).toBe('ready');
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
    const fetch = (): Promise<Response> =>
      new Promise<Response>(resolve => pending.push(resolve));
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
      [BUILD_B1]: { status: 200, body: BUILD }
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
