import { PageConfig } from '@jupyterlab/coreutils';

import {
  EnvhubRequestError,
  credentialPath,
  getBuild,
  getServer,
  launchStream,
  readHubContext,
  requestAPI,
  serverPath,
  serviceUrl,
  setCollaborators,
  setPublic,
  createVolume,
  listVolumes
} from '../client';
import { ILaunchEvent } from '../tokens';
import {
  BUILD,
  PUBLIC_SERVER,
  SERVER,
  fakeFetch,
  streamResponse
} from './fakeService';

const ALICE_X = '/services/envhub/api/servers/alice/x';

describe('serviceUrl', () => {
  it.each([
    ['/hub/', '', '/services/envhub/'],
    ['/hub', '', '/services/envhub/'],
    ['/jupyter/hub/', '', '/jupyter/services/envhub/'],
    [
      '/hub/',
      'https://hub.example.org/',
      'https://hub.example.org/services/envhub/'
    ]
  ])('hubPrefix %j, hubHost %j -> %j', (prefix, host, expected) => {
    expect(serviceUrl(prefix, host)).toBe(expected);
  });
});

describe('serverPath', () => {
  it('encodes owner and server name as single path segments', () => {
    expect(serverPath('a/b@c', 'my server?#')).toBe(
      'api/servers/a%2Fb%40c/my%20server%3F%23'
    );
  });
});

describe('credentialPath', () => {
  it('keeps a host with its port as one path segment', () => {
    expect(credentialPath('cloud.example.org:8443')).toBe(
      'api/credentials/cloud.example.org%3A8443'
    );
    expect(credentialPath('forge.example.org/../x')).toBe(
      'api/credentials/forge.example.org%2F..%2Fx'
    );
  });
});

describe('readHubContext', () => {
  const options = {
    hubUser: 'bob',
    hubServerUser: 'alice',
    hubServerName: 'x',
    hubPrefix: '/jupyter/hub/',
    hubHost: '',
    token: 'page-token'
  };
  let saved: Record<string, string>;

  beforeEach(() => {
    saved = {};
    for (const [name, value] of Object.entries(options)) {
      saved[name] = PageConfig.setOption(name, value);
    }
  });

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      PageConfig.setOption(name, value);
    }
  });

  it('reads the hub fields and the token from PageConfig', () => {
    expect(readHubContext()).toEqual({
      user: 'bob',
      serverUser: 'alice',
      serverName: 'x',
      serviceUrl: '/jupyter/services/envhub/',
      token: 'page-token'
    });
  });

  it('falls back to hubUser as owner before jupyterhub set hubServerUser', () => {
    PageConfig.setOption('hubServerUser', '');
    expect(readHubContext().serverUser).toBe('bob');
  });
});

describe('requestAPI', () => {
  it('GETs the server URL with the page token and returns the JSON body', async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER }
    });

    const server = await getServer(
      { serviceUrl: '/services/envhub/', token: 'secret', fetch },
      'alice',
      'x'
    );

    expect(server).toEqual(SERVER);
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(ALICE_X);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].headers.get('Authorization')).toBe('token secret');
    expect(requests[0].headers.get('Accept')).toBe('application/json');
    expect(requests[0].init.credentials).toBe('same-origin');
  });

  it('sends no Authorization header without a token', async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: SERVER }
    });
    await requestAPI(
      { serviceUrl: '/services/envhub', token: '', fetch },
      '/api/servers/alice/x'
    );
    expect(requests[0].url).toBe(ALICE_X);
    expect(requests[0].headers.has('Authorization')).toBe(false);
  });

  it.each([
    [404, 'not_found', 'No server alice/x is recorded by envhub.'],
    [403, 'forbidden', 'This token lacks access:services!service=envhub.'],
    [400, 'invalid_name', 'Server names may use letters, digits, - and _.']
  ])(
    'throws EnvhubRequestError on %i with the service message',
    async (status, code, message) => {
      const { fetch } = fakeFetch({
        [ALICE_X]: { status, body: { status, code, message } }
      });

      const error = await getServer(
        { serviceUrl: '/services/envhub/', token: 't', fetch },
        'alice',
        'x'
      ).catch(e => e);

      expect(error).toBeInstanceOf(EnvhubRequestError);
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
      expect(error.message).toBe(message);
    }
  );

  it('explains a non-JSON error page with the status', async () => {
    const { fetch } = fakeFetch({
      [ALICE_X]: {
        status: 503,
        statusText: 'Service Unavailable',
        body: null,
        text: '<html>proxy error</html>'
      }
    });

    const error = await getServer(
      { serviceUrl: '/services/envhub/', token: 't', fetch },
      'alice',
      'x'
    ).catch(e => e);

    expect(error).toBeInstanceOf(EnvhubRequestError);
    expect(error.status).toBe(503);
    expect(error.code).toBe('http_error');
    expect(error.message).toBe(
      `The envhub service answered 503 Service Unavailable for ${ALICE_X}.`
    );
  });

  it('turns a network failure into status 0', async () => {
    const { fetch } = fakeFetch({
      [ALICE_X]: new TypeError('Failed to fetch')
    });

    const error = await getServer(
      { serviceUrl: '/services/envhub/', token: 't', fetch },
      'alice',
      'x'
    ).catch(e => e);

    expect(error).toBeInstanceOf(EnvhubRequestError);
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toBe(
      `Could not reach the envhub service at ${ALICE_X}: Failed to fetch`
    );
  });

  it('refuses a 200 answer that is not JSON', async () => {
    const { fetch } = fakeFetch({
      [ALICE_X]: { status: 200, body: null, text: '<html>login</html>' }
    });

    await expect(
      getServer(
        { serviceUrl: '/services/envhub/', token: 't', fetch },
        'alice',
        'x'
      )
    ).rejects.toMatchObject({ status: 200, code: 'invalid_response' });
  });
});

describe('setCollaborators', () => {
  it('PUTs the users and groups as JSON and returns the new server view', async () => {
    const updated = {
      ...SERVER,
      spec: {
        ...SERVER.spec,
        collaborators: { users: ['bob', 'carol'], groups: ['lab'] }
      }
    };
    const { fetch, requests } = fakeFetch({
      [`${ALICE_X}/collaborators`]: { status: 200, body: updated }
    });

    const server = await setCollaborators(
      { serviceUrl: '/services/envhub/', token: 'secret', fetch },
      'alice',
      'x',
      { users: ['bob', 'carol'], groups: ['lab'] }
    );

    expect(server).toEqual(updated);
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('PUT');
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(requests[0].headers.get('Authorization')).toBe('token secret');
    expect(JSON.parse(String(requests[0].init.body))).toEqual({
      users: ['bob', 'carol'],
      groups: ['lab']
    });
  });

  it('throws the service refusal that names the unknown user', async () => {
    const message = 'unknown Hub users: nobody';
    const { fetch } = fakeFetch({
      [`${ALICE_X}/collaborators`]: {
        status: 400,
        body: { status: 400, code: 'unknown_collaborators', message }
      }
    });

    await expect(
      setCollaborators(
        { serviceUrl: '/services/envhub/', token: 't', fetch },
        'alice',
        'x',
        {
          users: ['nobody'],
          groups: []
        }
      )
    ).rejects.toMatchObject({
      status: 400,
      code: 'unknown_collaborators',
      message
    });
  });
});

describe('setPublic', () => {
  it('PUTs {"public": …} and returns the new server view', async () => {
    const { fetch, requests } = fakeFetch({
      [`${ALICE_X}/public`]: { status: 200, body: PUBLIC_SERVER }
    });
    const connection = { serviceUrl: '/services/envhub/', token: 't', fetch };

    const server = await setPublic(connection, 'alice', 'x', true);

    expect(server.public?.url).toBe(PUBLIC_SERVER.public!.url);
    expect(requests.map(r => [r.method, r.url])).toEqual([
      ['PUT', `${ALICE_X}/public`]
    ]);
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(String(requests[0].init.body))).toEqual({
      public: true
    });

    await setPublic(connection, 'alice', 'x', false);
    expect(JSON.parse(String(requests[1].init.body))).toEqual({
      public: false
    });
  });

  it("throws the service's refusal", async () => {
    const message = 'only the owner (alice) or an admin may change this';
    const { fetch } = fakeFetch({
      [`${ALICE_X}/public`]: {
        status: 403,
        body: { status: 403, code: 'forbidden', message }
      }
    });
    await expect(
      setPublic(
        { serviceUrl: '/services/envhub/', token: 't', fetch },
        'alice',
        'x',
        true
      )
    ).rejects.toMatchObject({ status: 403, message });
  });
});

describe('volumes', () => {
  const VOLUME = {
    name: 'course',
    owner: 'alice',
    createdAt: '2026-01-02T03:04:05Z',
    members: { users: [], groups: [{ name: 'students', readOnly: true }] },
    access: 'owner' as const,
    canManage: true,
    mountedBy: ['x']
  };

  it('lists the volumes the user may mount', async () => {
    const { fetch, requests } = fakeFetch({
      '/services/envhub/api/volumes': {
        status: 200,
        body: { volumes: [VOLUME] }
      }
    });
    expect(
      await listVolumes({ serviceUrl: '/services/envhub/', token: 't', fetch })
    ).toEqual([VOLUME]);
    expect(requests[0].method).toBe('GET');
  });

  it('POSTs a new volume by name and throws the refusal of a taken name', async () => {
    const table: Parameters<typeof fakeFetch>[0] = {
      '/services/envhub/api/volumes': { status: 201, body: VOLUME }
    };
    const { fetch, requests } = fakeFetch(table);
    const connection = { serviceUrl: '/services/envhub/', token: 't', fetch };
    expect(await createVolume(connection, 'course')).toEqual(VOLUME);
    expect(requests[0].method).toBe('POST');
    expect(JSON.parse(String(requests[0].init.body))).toEqual({
      name: 'course'
    });

    const message =
      'a volume named "course" already exists on this hub; choose another name';
    table['/services/envhub/api/volumes'] = {
      status: 409,
      body: { status: 409, code: 'volume_exists', message }
    };
    await expect(createVolume(connection, 'course')).rejects.toMatchObject({
      status: 409,
      message
    });
  });
});

describe('getBuild', () => {
  it('GETs the build by its escaped id', async () => {
    const { fetch, requests } = fakeFetch({
      '/services/envhub/api/builds/b%2F1': { status: 200, body: BUILD }
    });
    const build = await getBuild(
      { serviceUrl: '/services/envhub/', token: 't', fetch },
      'b/1'
    );
    expect(build.log).toContain('build pack: python');
    expect(requests[0].url).toBe('/services/envhub/api/builds/b%2F1');
  });
});

describe('launchStream', () => {
  const BUILD_PATH = `git/${encodeURIComponent('http://127.0.0.1:9999/demo.git')}/main`;
  const STREAM_URL = `/services/envhub/build/${BUILD_PATH}?name=y&relaunch=1`;
  const connection = (fetch: ReturnType<typeof fakeFetch>['fetch']) => ({
    serviceUrl: '/services/envhub/',
    token: 'secret',
    fetch
  });

  it('asks for an event stream with the page token and reports each event until ready', async () => {
    const { fetch, requests } = fakeFetch({
      [STREAM_URL]: () =>
        streamResponse([
          'data: {"phase":"waiting","message":"Waiting for a build slot"}\n\n:keep',
          'alive\n\ndata: {"phase":"building","message":"Step 1/3"}\n',
          '\ndata: {"phase":"ready","url":"http://hub/user/alice/y/lab"}\n\n',
          'data: {"phase":"ignored after ready"}\n\n'
        ])
    });
    const seen: ILaunchEvent[] = [];

    const final = await launchStream(
      connection(fetch),
      BUILD_PATH,
      new URLSearchParams({ name: 'y', relaunch: '1' }),
      event => seen.push(event)
    );

    expect(final).toEqual({
      phase: 'ready',
      url: 'http://hub/user/alice/y/lab'
    });
    expect(seen.map(e => e.phase)).toEqual(['waiting', 'building', 'ready']);
    expect(requests[0].url).toBe(STREAM_URL);
    expect(requests[0].headers.get('Accept')).toBe('text/event-stream');
    expect(requests[0].headers.get('Authorization')).toBe('token secret');
  });

  it('resolves with the failed event and its message', async () => {
    const { fetch } = fakeFetch({
      [STREAM_URL]: () =>
        streamResponse([
          'data: {"phase":"building"}\n\n',
          'data: {"phase":"failed","message":"pip install failed"}\n\n'
        ])
    });
    const final = await launchStream(
      connection(fetch),
      BUILD_PATH,
      new URLSearchParams({ name: 'y', relaunch: '1' }),
      () => undefined
    );
    expect(final).toEqual({ phase: 'failed', message: 'pip install failed' });
  });

  it('throws the refusal the service sends before streaming', async () => {
    const message = 'mounts of shared volumes are not supported yet';
    const { fetch } = fakeFetch({
      [STREAM_URL]: {
        status: 422,
        body: { status: 422, code: 'not_supported', message }
      }
    });
    const onEvent = jest.fn();

    const error = await launchStream(
      connection(fetch),
      BUILD_PATH,
      new URLSearchParams({ name: 'y', relaunch: '1' }),
      onEvent
    ).catch(e => e);

    expect(error).toBeInstanceOf(EnvhubRequestError);
    expect(error).toMatchObject({
      status: 422,
      code: 'not_supported',
      message
    });
    expect(onEvent).not.toHaveBeenCalled();
  });

  it('throws when the stream ends before ready or failed', async () => {
    const { fetch } = fakeFetch({
      [STREAM_URL]: () => streamResponse(['data: {"phase":"building"}\n\n'])
    });
    await expect(
      launchStream(
        connection(fetch),
        BUILD_PATH,
        new URLSearchParams({ name: 'y', relaunch: '1' }),
        () => undefined
      )
    ).rejects.toMatchObject({ code: 'stream_ended' });
  });

  it('reports a cancelled launch as aborted', async () => {
    const controller = new AbortController();
    const fetch = async (
      _url: string,
      init: RequestInit
    ): Promise<Response> => {
      controller.abort();
      expect(init.signal?.aborted).toBe(true);
      // What browsers throw for an aborted fetch.
      throw new DOMException('The user aborted a request.', 'AbortError');
    };
    await expect(
      launchStream(
        connection(fetch),
        BUILD_PATH,
        new URLSearchParams(),
        () => undefined,
        controller.signal
      )
    ).rejects.toMatchObject({ status: 0, code: 'aborted' });
  });
});
