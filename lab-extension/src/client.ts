import { EventStreamParser, Mount } from '@envhub/schema';
import { PageConfig } from '@jupyterlab/coreutils';

import {
  ICredential,
  ICredentialBody,
  IEnvhubBuild,
  IEnvhubErrorBody,
  IEnvhubServer,
  IEnvhubVolume,
  IHubContext,
  ILaunchEvent
} from './tokens';

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
 * Send one request to the envhub service; the only place that calls `fetch`.
 *
 * @param connection where the service is and which token to send.
 * @param endPoint path below the service URL, e.g. `api/servers/alice/x`.
 * @param init fetch options; `Authorization` is added, and `Accept` unless given.
 * @returns the response, when its status is 2xx.
 * @throws {EnvhubRequestError} on a network failure or a non-2xx answer
 *   (with the service's `message` when it sent one).
 */
export async function request(
  connection: IEnvhubConnection,
  endPoint: string,
  init: RequestInit = {}
): Promise<Response> {
  // Plain concatenation: URL joiners may re-encode the already-encoded path segments.
  const url =
    connection.serviceUrl.replace(/\/*$/, '/') + endPoint.replace(/^\/+/, '');
  const headers = new Headers(init.headers);
  if (!headers.has('Accept')) {
    headers.set('Accept', 'application/json');
  }
  if (connection.token) {
    headers.set('Authorization', `token ${connection.token}`);
  }
  const doFetch =
    connection.fetch ?? ((input, options) => fetch(input, options));

  let response: Response;
  try {
    response = await doFetch(url, {
      cache: 'no-store',
      credentials: 'same-origin',
      ...init,
      headers
    });
  } catch (reason) {
    if (isAbort(reason)) {
      throw new EnvhubRequestError(0, 'aborted', 'The request was cancelled.');
    }
    throw new EnvhubRequestError(
      0,
      'network_error',
      `Could not reach the envhub service at ${url}: ${describe(reason)}`
    );
  }
  if (response.ok) {
    return response;
  }
  const body = parseJson(await response.text().catch(() => ''));
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

/**
 * Call the envhub REST API and return its JSON answer.
 *
 * @param connection where the service is and which token to send.
 * @param endPoint path below the service URL, e.g. `api/servers/alice/x`.
 * @param init fetch options.
 * @throws {EnvhubRequestError} as {@link request} does, and when the body is not JSON.
 */
export async function requestAPI<T>(
  connection: IEnvhubConnection,
  endPoint: string,
  init: RequestInit = {}
): Promise<T> {
  const response = await request(connection, endPoint, init);
  const body = parseJson(await response.text());
  if (body === undefined) {
    throw new EnvhubRequestError(
      response.status,
      'invalid_response',
      `The envhub service sent an answer that is not JSON for ${response.url || endPoint}.`
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

/**
 * Replace a server's collaborators; the service applies them at once as Hub shares.
 *
 * @returns the server as it is now.
 */
export function setCollaborators(
  connection: IEnvhubConnection,
  owner: string,
  name: string,
  collaborators: { users: string[]; groups: string[] }
): Promise<IEnvhubServer> {
  return requestAPI<IEnvhubServer>(
    connection,
    `${serverPath(owner, name)}/collaborators`,
    {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(collaborators)
    }
  );
}

/**
 * Replace a server's mounts; the service checks the volumes and applies them at the
 * server's next start (`mountsPending` says whether one is due).
 *
 * @returns the server as it is now.
 */
export function setMounts(
  connection: IEnvhubConnection,
  owner: string,
  name: string,
  mounts: Mount[]
): Promise<IEnvhubServer> {
  return requestAPI<IEnvhubServer>(
    connection,
    `${serverPath(owner, name)}/mounts`,
    {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(mounts)
    }
  );
}

/**
 * Make a server public, or stop its public access (`public`: false). The owner or an admin may.
 *
 * @returns the server as it is now; `public` holds its public page while it is public.
 */
export function setPublic(
  connection: IEnvhubConnection,
  owner: string,
  name: string,
  value: boolean
): Promise<IEnvhubServer> {
  return requestAPI<IEnvhubServer>(
    connection,
    `${serverPath(owner, name)}/public`,
    {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ public: value })
    }
  );
}

/**
 * The shared volumes the signed-in user owns or is a member of.
 */
export async function listVolumes(
  connection: IEnvhubConnection
): Promise<IEnvhubVolume[]> {
  return (
    await requestAPI<{ volumes: IEnvhubVolume[] }>(connection, 'api/volumes')
  ).volumes;
}

/**
 * Create an empty shared volume owned by the signed-in user.
 */
export function createVolume(
  connection: IEnvhubConnection,
  name: string
): Promise<IEnvhubVolume> {
  return requestAPI<IEnvhubVolume>(connection, 'api/volumes', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name })
  });
}

/**
 * The API path of the signed-in user's credential for one host: `api/credentials/<host>`.
 */
export function credentialPath(host: string): string {
  return `api/credentials/${encodeURIComponent(host)}`;
}

/**
 * The signed-in user's stored credentials, without their secrets.
 */
export async function listCredentials(
  connection: IEnvhubConnection
): Promise<ICredential[]> {
  return (
    await requestAPI<{ credentials: ICredential[] }>(
      connection,
      'api/credentials'
    )
  ).credentials;
}

/**
 * Store the signed-in user's credential for a host, replacing theirs for that host.
 *
 * @param host a host name, with `:port` when the port is not the scheme's default.
 * @returns the credential as the service lists it (without the token).
 */
export function setCredential(
  connection: IEnvhubConnection,
  host: string,
  body: ICredentialBody
): Promise<ICredential> {
  return requestAPI<ICredential>(connection, credentialPath(host), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
}

/**
 * Remove the signed-in user's credential for a host (the service answers 204).
 */
export async function removeCredential(
  connection: IEnvhubConnection,
  host: string
): Promise<void> {
  await request(connection, credentialPath(host), { method: 'DELETE' });
}

/**
 * Load one build, with its kept log.
 */
export function getBuild(
  connection: IEnvhubConnection,
  id: string
): Promise<IEnvhubBuild> {
  return requestAPI<IEnvhubBuild>(
    connection,
    `api/builds/${encodeURIComponent(id)}`
  );
}

/**
 * Launch through the BinderHub-compatible event stream and report every event.
 *
 * @param path the provider path, e.g. `git/<url-escaped repo>/<ref>`.
 * @param query launch parameters (`launchQuery(spec)`), plus `relaunch=1` or `update=1`.
 * @param onEvent called with each event, in order.
 * @param signal aborts the request (the launch goes on in the service).
 * @returns the final event: `ready` (with `url`) or `failed` (with `message`).
 * @throws {EnvhubRequestError} when the service refuses before streaming (4xx JSON),
 *   or the stream ends without a final event.
 */
export async function launchStream(
  connection: IEnvhubConnection,
  path: string,
  query: URLSearchParams,
  onEvent: (event: ILaunchEvent) => void,
  signal?: AbortSignal
): Promise<ILaunchEvent> {
  const search = query.toString();
  const endPoint = `build/${path.replace(/^\/+/, '')}${search ? `?${search}` : ''}`;
  const response = await request(connection, endPoint, {
    headers: { Accept: 'text/event-stream' },
    signal
  });
  const parser = new EventStreamParser();
  let final: ILaunchEvent | null = null;
  const take = (values: unknown[]): void => {
    for (const event of values.filter(isLaunchEvent)) {
      if (final) {
        return;
      }
      onEvent(event);
      if (event.phase === 'ready' || event.phase === 'failed') {
        final = event;
      }
    }
  };

  try {
    if (response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      while (!final) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        take(parser.push(decoder.decode(value, { stream: true })));
      }
      // Nothing after the final event matters; let go of the stream at once.
      await reader.cancel().catch(() => undefined);
      take(parser.push(decoder.decode()));
    } else {
      take(parser.push(await response.text()));
    }
  } catch (reason) {
    if (isAbort(reason)) {
      throw new EnvhubRequestError(0, 'aborted', 'The launch was cancelled.');
    }
    throw new EnvhubRequestError(
      0,
      'network_error',
      `The launch stream broke off: ${describe(reason)}`
    );
  }
  take(parser.end());
  if (!final) {
    throw new EnvhubRequestError(
      response.status,
      'stream_ended',
      'The launch stream ended before the server was ready or the launch failed.'
    );
  }
  return final;
}

/** Whether an event-stream value is a launch event (it has a phase). */
function isLaunchEvent(value: unknown): value is ILaunchEvent {
  return typeof value === 'object' && value !== null && 'phase' in value;
}

function parseJson(text: string): unknown {
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isAbort(reason: unknown): boolean {
  return (
    typeof reason === 'object' &&
    reason !== null &&
    (reason as { name?: unknown }).name === 'AbortError'
  );
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
