import type { Received } from '../../support/http.js';
import type { Canary, Redirector } from '../../support/listeners.js';

/** Who sends a request: a Hub token of one of the fixture's users, or nothing. */
export type Role =
  'owner' | 'collaborator' | 'outsider' | 'admin' | 'noScope' | 'anonymous';

/** One hostile request, sent byte for byte (see support/http.ts). */
export interface HostileRequest {
  /** Whose Hub token goes in the Authorization header (default: the owner's). */
  as?: Role;
  /** The public URL (the Hub's proxy, default) or the envhub service's own address. */
  via?: 'proxy' | 'service';
  method?: string;
  /** Already escaped; relative to the service's prefix unless it starts with `/`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  json?: unknown;
  form?: Record<string, string> | URLSearchParams;
}

/** The safe answer to a hostile request. */
export interface Expectation {
  /** The acceptable statuses. */
  status: number[];
  /** What the answer's message must say: the JSON error's `message`, an HTML page's heading, or a `failed` event. */
  message?: RegExp;
  /** A launch stream ending in `failed` with that message also counts as refused (for refusals only found while fetching). */
  orFailedEvent?: boolean;
  /** The server may also close the connection without an answer (a request head over its limits). */
  orClosed?: boolean;
  /** Further checks on the answer; returns what is wrong, if anything. */
  check?: (response: Received) => string | undefined;
}

/** One row of the corpus. Requests are functions where they need what the fixture starts (ports, tokens). */
export interface HostileCase {
  name: string;
  request: HostileRequest | (() => HostileRequest);
  expect: Expectation;
}

const stamp = Date.now().toString(36);

/**
 * The world the corpus runs in: an owner with a running server `fx` (collaborators: a user and a
 * group; mounts: one shared volume), a shared volume with members, and an outsider. Names are
 * filled in here; ports, tokens and sessions by the suite's setup.
 */
export const f = {
  owner: `hst-${stamp}-o`,
  collaborator: `hst-${stamp}-c`,
  outsider: `hst-${stamp}-x`,
  group: `hst-${stamp}-g`,
  server: 'fx',
  volume: `hst-${stamp}-v`,
  /** The fixture server's repository, served on 127.0.0.1. */
  repo: '',
  commit: '',
  /** `http://127.0.0.1:<port>` of the git server (an allowed host). */
  gitBase: '',
  /** Listens on 127.0.0.2 and every address of this host: hostile repository hosts point here. */
  canary: undefined as unknown as Canary,
  redirector: undefined as unknown as Redirector,
  tokens: {} as Record<Exclude<Role, 'anonymous'>, string>,
  /** envhub browser sessions (cookie value and the XSRF value its pages carry). */
  sessions: {} as Record<
    'owner' | 'ownerAgain' | 'outsider',
    { session: string; xsrf: string }
  >,
  /** The public origin launch links must use. */
  publicOrigin: ''
};

/** The fixture server's spec as launch parameters (a launch with them reconnects; anything else differs). */
export const fixtureQuery = () =>
  `name=${f.server}&user=${f.collaborator}&group=${f.group}&mount=${f.volume}:/mnt/data`;

/** `name=value` pairs, each escaped as a browser escapes a query. */
export const query = (...pairs: Array<[string, string]>) =>
  pairs
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

/** The launch stream of `repo` at `ref` (`ref` already escaped as the path needs it). */
export const buildPath = (repo: string, ref: string, search = '') =>
  `build/git/${encodeURIComponent(repo)}/${ref}${search ? `?${search}` : ''}`;

/** A request for a launch stream, as BinderHub clients send it. */
export const stream = (
  path: string,
  extra: Partial<HostileRequest> = {}
): HostileRequest => ({
  ...extra,
  path,
  headers: { Accept: 'text/event-stream', ...extra.headers }
});

/**
 * The fixture server's launch with `search` added: its own repository, ref and spec, so that a
 * hostile value the service lets through ends as a reconnect or a 409 ("runs another
 * environment"), never as a build.
 */
export const fixtureLaunch =
  (search: string, extra: Partial<HostileRequest> = {}) =>
  () =>
    stream(
      buildPath(
        f.repo,
        'main',
        `${fixtureQuery()}${search ? `&${search}` : ''}`
      ),
      extra
    );

/** The same as a `/v2/` link (the page that confirms and follows a launch). */
export const fixtureLink =
  (search: string, extra: Partial<HostileRequest> = {}) =>
  (): HostileRequest => ({
    ...extra,
    path: `v2/git/${encodeURIComponent(f.repo)}/main?${fixtureQuery()}${search ? `&${search}` : ''}`
  });

export const serverPath = (suffix = '') =>
  `api/servers/${f.owner}/${f.server}${suffix}`;

/** A check that the answer says nothing of `pattern`. */
export const without =
  (pattern: RegExp, where = 'the answer') =>
  (response: Received) =>
    pattern.test(response.text)
      ? `${where} contains ${pattern}: …${response.text.slice(Math.max(0, response.text.search(pattern) - 60), response.text.search(pattern) + 60)}…`
      : undefined;
