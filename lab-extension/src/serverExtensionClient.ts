import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { EnvhubRequestError } from './client';

/**
 * Send one request to one of envhub's server-extension APIs in this server
 * (`<base_url>envhub/api/<api>…`: `materials`, `class` or `session`), rather than to the envhub
 * service: `ServerConnection` adds the page's token and XSRF cookie.
 *
 * @throws {EnvhubRequestError} on a network failure or a non-2xx answer (with the
 *   server's `message` when it sent one).
 */
export async function requestServerExtension(
  settings: ServerConnection.ISettings,
  api: 'materials' | 'class' | 'session',
  endPoint: string,
  init: RequestInit = {}
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, 'envhub/api', api, endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new EnvhubRequestError(
      0,
      'network_error',
      `Could not reach this server's ${api} API at ${url}: ${
        reason instanceof Error ? reason.message : String(reason)
      }`
    );
  }
  if (response.ok) {
    return response;
  }
  let message = '';
  try {
    message = (await response.json()).message ?? '';
  } catch {
    // Not the extension's JSON: the status says enough.
  }
  throw new EnvhubRequestError(
    response.status,
    response.status === 404 && !message ? 'not_found' : 'http_error',
    message ||
      `This server answered ${response.status} for ${url}; is the envhub server extension installed?`
  );
}
