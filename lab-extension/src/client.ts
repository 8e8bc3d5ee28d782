import { PageConfig } from '@jupyterlab/coreutils';

import { IEnvhubErrorBody, IEnvhubServer, IHubContext } from './tokens';

/**
 * A request to the envhub service that did not give the expected answer.
 *
 * `status` is the HTTP status, or 0 when the service could not be reached;
 * `code` is the service's stable error code; `message` is meant for people.
 */
export class EnvhubRequestError extends Error {
  /**
   * @param status HTTP status, 0 for a network failure.
   * @param code stable code, e.g. `not_found`.
   * @param message human-readable explanation.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'EnvhubRequestError';
  }
}

/**
 * The `fetch` signature the client needs; tests pass their own.
 */
export type FetchFunction = (
  input: string,
  init: RequestInit
) => Promise<Response>;

/**
 * How to reach the envhub service.
 */
export interface IEnvhubConnection {
  /** Base URL of the service, ending in `/`. */
  serviceUrl: string;
  /** Hub token sent as `Authorization: token …`; omitted when empty. */
  token: string;
  /** Defaults to the global `fetch`. */
  fetch?: FetchFunction;
}

/**
 * The service's base URL from the Hub's prefix: services live next to the Hub,
 * at `<base_url>services/<name>/`, while `hubPrefix` is `<base_url>hub/`.
 *
 * @param hubPrefix PageConfig `hubPrefix`, e.g. `/hub/` or `/jupyter/hub/`.
 * @param hubHost PageConfig `hubHost`, empty unless the Hub is on another origin.
 */
export function serviceUrl(hubPrefix: string, hubHost = ''): string {
  let base = hubPrefix.endsWith('/') ? hubPrefix : `${hubPrefix}/`;
  base = base.replace(/hub\/$/, '');
  if (!base.startsWith('/')) {
    base = `/${base}`;
  }
  return `${hubHost.replace(/\/+$/, '')}${base}services/envhub/`;
}

/**
 * The API path of one server: `api/servers/<owner>/<name>`.
 */
export function serverPath(owner: string, name: string): string {
  return `api/servers/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

/**
 * Where this page runs, read from JupyterLab's PageConfig
 * (filled by jupyterhub-singleuser's `page_config_hook`).
 */
export function readHubContext(): IHubContext {
  const user = PageConfig.getOption('hubUser');
  return {
    user,
    // The owner differs from the viewer when the server is shared.
    serverUser: PageConfig.getOption('hubServerUser') || user,
    serverName: PageConfig.getOption('hubServerName'),
    serviceUrl: serviceUrl(
      PageConfig.getOption('hubPrefix') || '/hub/',
      PageConfig.getOption('hubHost')
    ),
    token: PageConfig.getToken()
  };
}

/**
 * Call the envhub REST API and return its JSON answer.
 *
 * @param connection where the service is and which token to send.
 * @param endPoint path below the service URL, e.g. `api/servers/alice/x`.
 * @param init fetch options; `Authorization` and `Accept` are added.
 * @throws {EnvhubRequestError} on a network failure, a non-2xx answer
 *   (with the service's `message` when it sent one) or a body that is not JSON.
 */
export async function requestAPI<T>(
  connection: IEnvhubConnection,
  endPoint: string,
  init: RequestInit = {}
): Promise<T> {
  // Plain concatenation: URL joiners may re-encode the already-encoded path segments.
  const url =
    connection.serviceUrl.replace(/\/*$/, '/') + endPoint.replace(/^\/+/, '');
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (connection.token) {
    headers.set('Authorization', `token ${connection.token}`);
  }
  const doFetch = connection.fetch ?? ((input, options) => fetch(input, options));

  let response: Response;
  try {
    response = await doFetch(url, {
      cache: 'no-store',
      credentials: 'same-origin',
      ...init,
      headers
    });
  } catch (reason) {
    throw new EnvhubRequestError(
      0,
      'network_error',
      `Could not reach the envhub service at ${url}: ${describe(reason)}`
    );
  }

  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }

  if (!response.ok) {
    if (isErrorBody(body)) {
      throw new EnvhubRequestError(response.status, body.code, body.message);
    }
    const statusText = response.statusText ? ` ${response.statusText}` : '';
    throw new EnvhubRequestError(
      response.status,
      'http_error',
      `The envhub service answered ${response.status}${statusText} for ${url}.`
    );
  }
  if (body === undefined) {
    throw new EnvhubRequestError(
      response.status,
      'invalid_response',
      `The envhub service sent an answer that is not JSON for ${url}.`
    );
  }
  return body as T;
}

/**
 * Load one server's record.
 */
export function getServer(
  connection: IEnvhubConnection,
  owner: string,
  name: string
): Promise<IEnvhubServer> {
  return requestAPI<IEnvhubServer>(connection, serverPath(owner, name));
}

function isErrorBody(body: unknown): body is IEnvhubErrorBody {
  if (typeof body !== 'object' || body === null) {
    return false;
  }
  const candidate = body as Partial<IEnvhubErrorBody>;
  return (
    typeof candidate.message === 'string' &&
    candidate.message !== '' &&
    typeof candidate.code === 'string'
  );
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
