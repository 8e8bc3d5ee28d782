import { PageConfig } from '@jupyterlab/coreutils';

import {
  EnvhubRequestError,
  getServer,
  readHubContext,
  requestAPI,
  serverPath,
  serviceUrl
} from '../client';
import { SERVER, fakeFetch } from './fakeService';

const ALICE_X = '/services/envhub/api/servers/alice/x';

describe('serviceUrl', () => {
  it.each([
    ['/hub/', '', '/services/envhub/'],
    ['/hub', '', '/services/envhub/'],
    ['/jupyter/hub/', '', '/jupyter/services/envhub/'],
    ['/hub/', 'https://hub.example.org/', 'https://hub.example.org/services/envhub/']
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
    await requestAPI({ serviceUrl: '/services/envhub', token: '', fetch }, '/api/servers/alice/x');
    expect(requests[0].url).toBe(ALICE_X);
    expect(requests[0].headers.has('Authorization')).toBe(false);
  });

  it.each([
    [404, 'not_found', 'No server alice/x is recorded by envhub.'],
    [403, 'forbidden', 'This token lacks access:services!service=envhub.'],
    [400, 'invalid_name', 'Server names may use letters, digits, - and _.']
  ])('throws EnvhubRequestError on %i with the service message', async (status, code, message) => {
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
  });

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
    const { fetch } = fakeFetch({ [ALICE_X]: new TypeError('Failed to fetch') });

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
      getServer({ serviceUrl: '/services/envhub/', token: 't', fetch }, 'alice', 'x')
    ).rejects.toMatchObject({ status: 200, code: 'invalid_response' });
  });
});
