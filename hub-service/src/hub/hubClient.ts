import { EventStreamParser } from '@envhub/schema';
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
  /** When the current run started (ISO 8601); null while stopped. */
  started?: string | null;
  /** Last activity the Hub saw (ISO 8601); only about 5 minutes fresh. */
  last_activity?: string | null;
}

/** Who a server is shared with: one user or one group. */
export type ShareTarget = { user: string } | { group: string };

/** The parts of the Hub's share model envhub reads. */
export interface HubShare {
  kind: 'user' | 'group';
  user: { name: string } | null;
  group: { name: string } | null;
  scopes: string[];
}

/** One message of the Hub's spawn progress stream. */
export interface HubProgress {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

/**
 * The reason in a failed spawn's progress message, without the Hub's prefix and Python's exception
 * wrapping: docker-py's `500 Server Error for http+docker://…: Internal Server Error ("<Docker's
 * reason>")` and tornado's `HTTP 403: Forbidden (<reason>)` become the reason alone.
 */
export function spawnFailureReason(message: string | undefined): string {
  const reason = (message ?? '').replace(/^Spawn failed:\s*/, '').trim();
  const wrapped =
    /^\d{3} (?:Client|Server) Error for \S+: [^(]*\("(.*)"\)$/s.exec(reason) ??
    /^HTTP \d{3}: [^(]*\((.*)\)$/s.exec(reason);
  return (
    (wrapped ? wrapped[1] : reason) ||
    'the Hub gave no reason (its log may have one)'
  );
}

/** Waits (up to a minute) until the Hub has `user/server` neither running nor pending; 503 after. */
export async function waitUntilStopped(
  hub: Pick<HubClient, 'getServer'>,
  user: string,
  server: string
): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const found = await hub.getServer(user, server);
    if (!found?.pending && !found?.ready) return;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new EnvhubError(
    503,
    'stop_pending',
    `server "${server}" is still stopping; try again in a minute`
  );
}

/** Oldest Hub major version whose API (6.x server model, apply_user_options) envhub relies on. */
export const SUPPORTED_HUB_MAJOR = 6;

/** The Hub's REST API, called with the service's own token unless told otherwise. */
export class HubClient {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string
  ) {}

  private async request(
    path: string,
    init: RequestInit = {},
    token = this.token
  ): Promise<Response> {
    try {
      return await fetch(this.apiUrl + path, {
        ...init,
        headers: {
          Authorization: `token ${token}`,
          'Content-Type': 'application/json',
          ...init.headers
        }
      });
    } catch (err) {
      throw new EnvhubError(
        502,
        'hub_unreachable',
        `envhub cannot reach the Hub API at ${this.apiUrl}: ${(err as Error).message}`
      );
    }
  }

  private async fail(response: Response, doing: string): Promise<never> {
    let reason = response.statusText;
    try {
      reason =
        ((await response.json()) as { message?: string }).message ?? reason;
    } catch {
      /* body was not JSON */
    }
    throw new EnvhubError(
      response.status >= 500 ? 502 : response.status,
      'hub_error',
      `the Hub refused to ${doing}: ${reason}`
    );
  }

  /** The Hub's version; refuses a Hub older than envhub supports. */
  async version(): Promise<string> {
    const response = await this.request('/');
    if (!response.ok) await this.fail(response, 'report its version');
    const { version } = (await response.json()) as { version: string };
    if (Number(version.split('.')[0]) < SUPPORTED_HUB_MAJOR) {
      throw new EnvhubError(
        500,
        'hub_unsupported',
        `JupyterHub ${version} is too old: envhub needs JupyterHub ${SUPPORTED_HUB_MAJOR}.x or newer`
      );
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

  /**
   * The access token the Hub's authenticator keeps in `user`'s auth_state (single sign-on through
   * OAuthenticator), or null when there is none. Needs the `admin:auth_state` scope.
   */
  async accessToken(user: string): Promise<string | null> {
    const response = await this.request(`/users/${encodeURIComponent(user)}`);
    if (response.status === 404) return null;
    if (!response.ok) await this.fail(response, `read ${user}'s sign-in`);
    const { auth_state: state } = (await response.json()) as {
      auth_state?: { access_token?: unknown } | null;
    };
    return typeof state?.access_token === 'string' ? state.access_token : null;
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
    if (!response.ok)
      await this.fail(response, `describe server ${user}/${server}`);
    return (await response.json()) as HubServer;
  }

  /** Starts a named server; true when it is already up, false when the spawn is pending. */
  async startServer(
    user: string,
    server: string,
    userOptions: Record<string, unknown>,
    displayName?: string
  ): Promise<boolean> {
    const response = await this.request(this.serverPath(user, server), {
      method: 'POST',
      body: JSON.stringify({
        display_name: displayName || server,
        user_options: userOptions
      })
    });
    if (response.status !== 201 && response.status !== 202)
      await this.fail(response, `start server ${user}/${server}`);
    return response.status === 201;
  }

  /** Removes a stopped server from the Hub altogether. */
  async removeServer(user: string, server: string): Promise<void> {
    const response = await this.request(this.serverPath(user, server), {
      method: 'DELETE',
      body: JSON.stringify({ remove: true })
    });
    if (
      response.status !== 202 &&
      response.status !== 204 &&
      response.status !== 404
    )
      await this.fail(response, `remove server ${user}/${server}`);
  }

  /** Follows a spawn's progress stream until it ends. */
  async *progress(user: string, server: string): AsyncGenerator<HubProgress> {
    const response = await this.request(
      this.serverPath(user, server) + '/progress',
      {
        headers: { Accept: 'text/event-stream' }
      }
    );
    if (!response.ok || !response.body)
      await this.fail(response, `report progress of ${user}/${server}`);
    const decoder = new TextDecoder();
    const parser = new EventStreamParser();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      yield* parser.push(
        decoder.decode(chunk, { stream: true })
      ) as HubProgress[];
    }
    yield* parser.push(decoder.decode()).concat(parser.end()) as HubProgress[];
  }

  private sharePath(owner: string, server: string): string {
    return `/shares/${encodeURIComponent(owner)}/${encodeURIComponent(server)}`;
  }

  /** Stops a named server (keeping it, unlike remove); false when the Hub is still stopping it. */
  async stopServer(user: string, server: string): Promise<boolean> {
    const response = await this.request(this.serverPath(user, server), {
      method: 'DELETE'
    });
    if (response.status !== 202 && response.status !== 204)
      await this.fail(response, `stop server ${user}/${server}`);
    return response.status === 204;
  }

  /** Every share of `owner/server`, following the Hub's pages (at most 200 a page, the Hub's default cap). */
  async listShares(
    owner: string,
    server: string,
    pageSize = 200
  ): Promise<HubShare[]> {
    const shares: HubShare[] = [];
    let page: { offset: number; limit: number } | null = {
      offset: 0,
      limit: pageSize
    };
    while (page) {
      const response = await this.request(
        `${this.sharePath(owner, server)}?offset=${page.offset}&limit=${page.limit}`,
        {
          headers: { Accept: 'application/jupyterhub-pagination+json' }
        }
      );
      if (!response.ok)
        await this.fail(response, `list the shares of ${owner}/${server}`);
      const body = (await response.json()) as {
        items: HubShare[];
        _pagination: { next: { offset: number; limit: number } | null };
      };
      shares.push(...body.items);
      page = body._pagination.next;
    }
    return shares;
  }

  /** Shares `owner/server` with a user or group (the Hub's default scope: access to that server). */
  async share(
    owner: string,
    server: string,
    target: ShareTarget
  ): Promise<void> {
    const response = await this.request(this.sharePath(owner, server), {
      method: 'POST',
      body: JSON.stringify(target)
    });
    if (!response.ok)
      await this.fail(
        response,
        `share ${owner}/${server} with ${describeTarget(target)}`
      );
  }

  /** Revokes a user's or group's share of `owner/server`, whatever its scopes. */
  async revokeShare(
    owner: string,
    server: string,
    target: ShareTarget
  ): Promise<void> {
    const response = await this.request(this.sharePath(owner, server), {
      method: 'PATCH',
      body: JSON.stringify(target)
    });
    if (!response.ok)
      await this.fail(
        response,
        `revoke the share of ${owner}/${server} with ${describeTarget(target)}`
      );
  }

  /** Whether the Hub knows user `name` (users exist once they have signed in). */
  async userExists(name: string): Promise<boolean> {
    return this.exists(
      `/users/${encodeURIComponent(name)}`,
      `look up user ${name}`
    );
  }

  /** Whether the Hub has a group called `name`. */
  async groupExists(name: string): Promise<boolean> {
    return this.exists(
      `/groups/${encodeURIComponent(name)}`,
      `look up group ${name}`
    );
  }

  /** Every group of the Hub with its members (needs `list:groups` and `read:groups`). */
  async listGroups(): Promise<Array<{ name: string; users: string[] }>> {
    const response = await this.request('/groups');
    if (!response.ok) await this.fail(response, 'list the groups');
    return (
      (await response.json()) as Array<{ name: string; users?: string[] }>
    ).map(group => ({ name: group.name, users: group.users ?? [] }));
  }

  /** The members of a group, by name. */
  async groupMembers(name: string): Promise<string[]> {
    const response = await this.request(`/groups/${encodeURIComponent(name)}`);
    if (!response.ok)
      await this.fail(response, `list the members of group ${name}`);
    return ((await response.json()) as { users?: string[] }).users ?? [];
  }

  /** Creates user `name` (temporary visitors are Hub users made for one public session). */
  async createUser(name: string): Promise<void> {
    const response = await this.request(`/users/${encodeURIComponent(name)}`, {
      method: 'POST',
      body: '{}'
    });
    if (response.status !== 201)
      await this.fail(response, `create user ${name}`);
  }

  /** Deletes user `name` with its tokens; the user's servers must be stopped and removed first. */
  async deleteUser(name: string): Promise<void> {
    const response = await this.request(`/users/${encodeURIComponent(name)}`, {
      method: 'DELETE'
    });
    if (response.status !== 204 && response.status !== 404)
      await this.fail(response, `delete user ${name}`);
  }

  /** A new API token of `user`'s, holding only `scopes`, that expires after `expiresIn` seconds. */
  async createToken(
    user: string,
    scopes: string[],
    expiresIn: number,
    note: string
  ): Promise<string> {
    const response = await this.request(
      `/users/${encodeURIComponent(user)}/tokens`,
      {
        method: 'POST',
        body: JSON.stringify({ scopes, expires_in: expiresIn, note })
      }
    );
    if (response.status !== 201)
      await this.fail(response, `create a token for ${user}`);
    return ((await response.json()) as { token: string }).token;
  }

  private async exists(path: string, doing: string): Promise<boolean> {
    const response = await this.request(path);
    if (response.status === 404) return false;
    if (!response.ok) await this.fail(response, doing);
    return true;
  }
}

function describeTarget(target: ShareTarget): string {
  return 'user' in target ? `user ${target.user}` : `group ${target.group}`;
}
