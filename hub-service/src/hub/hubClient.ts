import { EnvhubError } from '../errors.js';

/** The parts of the Hub's user model envhub reads. */
export interface HubUser {
  name: string;
  kind: string;
  admin?: boolean;
  groups?: string[];
  scopes: string[];
}

/** The parts of the Hub's server model envhub reads. */
export interface HubServer {
  name: string;
  ready: boolean;
  pending: string | null;
  stopped: boolean;
  url: string;
  user_options: Record<string, unknown> | null;
}

/** One message of the Hub's spawn progress stream. */
export interface HubProgress {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

/** Oldest Hub major version whose API (6.x server model, apply_user_options) envhub relies on. */
export const SUPPORTED_HUB_MAJOR = 6;

/** The Hub's REST API, called with the service's own token unless told otherwise. */
export class HubClient {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string
  ) {}

  private async request(path: string, init: RequestInit = {}, token = this.token): Promise<Response> {
    try {
      return await fetch(this.apiUrl + path, {
        ...init,
        headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json', ...init.headers }
      });
    } catch (err) {
      throw new EnvhubError(502, 'hub_unreachable', `envhub cannot reach the Hub API at ${this.apiUrl}: ${(err as Error).message}`);
    }
  }

  private async fail(response: Response, doing: string): Promise<never> {
    let reason = response.statusText;
    try {
      reason = ((await response.json()) as { message?: string }).message ?? reason;
    } catch {
      /* body was not JSON */
    }
    throw new EnvhubError(response.status >= 500 ? 502 : response.status, 'hub_error', `the Hub refused to ${doing}: ${reason}`);
  }

  /** The Hub's version; refuses a Hub older than envhub supports. */
  async version(): Promise<string> {
    const response = await this.request('/');
    if (!response.ok) await this.fail(response, 'report its version');
    const { version } = (await response.json()) as { version: string };
    if (Number(version.split('.')[0]) < SUPPORTED_HUB_MAJOR) {
      throw new EnvhubError(500, 'hub_unsupported', `JupyterHub ${version} is too old: envhub needs JupyterHub ${SUPPORTED_HUB_MAJOR}.x or newer`);
    }
    return version;
  }

  /** The owner of `token`, with the token's scopes, or null when the Hub does not accept it. */
  async userForToken(token: string): Promise<HubUser | null> {
    const response = await this.request('/user', {}, token);
    if (response.status === 401 || response.status === 403) return null;
    if (!response.ok) await this.fail(response, 'identify a token');
    return (await response.json()) as HubUser;
  }

  /** Exchanges an OAuth authorization code for an access token. */
  async oauthToken(form: Record<string, string>): Promise<string> {
    const response = await fetch(this.apiUrl + '/oauth2/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form)
    });
    if (!response.ok) await this.fail(response, 'complete the sign-in');
    return ((await response.json()) as { access_token: string }).access_token;
  }

  private serverPath(user: string, server: string): string {
    return `/users/${encodeURIComponent(user)}/servers/${encodeURIComponent(server)}`;
  }

  /** One named server, or null if the user has none of that name. */
  async getServer(user: string, server: string): Promise<HubServer | null> {
    const response = await this.request(this.serverPath(user, server));
    if (response.status === 404) return null;
    if (!response.ok) await this.fail(response, `describe server ${user}/${server}`);
    return (await response.json()) as HubServer;
  }

  /** Starts a named server; true when it is already up, false when the spawn is pending. */
  async startServer(user: string, server: string, userOptions: Record<string, unknown>): Promise<boolean> {
    const response = await this.request(this.serverPath(user, server), {
      method: 'POST',
      body: JSON.stringify({ display_name: server, user_options: userOptions })
    });
    if (response.status !== 201 && response.status !== 202) await this.fail(response, `start server ${user}/${server}`);
    return response.status === 201;
  }

  /** Follows a spawn's progress stream until it ends. */
  async *progress(user: string, server: string): AsyncGenerator<HubProgress> {
    const response = await this.request(this.serverPath(user, server) + '/progress', {
      headers: { Accept: 'text/event-stream' }
    });
    if (!response.ok || !response.body) await this.fail(response, `report progress of ${user}/${server}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter(line => line.startsWith('data:'))
          .map(line => line.slice(5).trim())
          .join('\n');
        if (data) yield JSON.parse(data) as HubProgress;
      }
    }
  }
}
