import type { ErrorCode } from '@envhub/schema';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { hostOfUrl } from '../credentials/credentials.js';
import { EnvhubError } from '../errors.js';
import {
  checkHost,
  hostRefused,
  isRefusal,
  parseRepoUrl,
  type CheckedHost,
  type RepoAccess
} from './repoPolicy.js';

/** Redirects followed before a repository counts as unreachable (curl's default is 30; forges need one or two). */
export const MAX_REDIRECTS = 5;

/** What git asks a smart-HTTP server first; a redirect of it moves the repository's base URL. */
const FIRST_REQUEST = 'info/refs?service=git-upload-pack';

/** Where git may fetch a repository from. */
export interface RepoLocation {
  /** The URL to give git: the repository's own, or where its server redirected it. */
  url: string;
  /** The `http.curloptResolve` entry pinning the URL's host to its checked addresses; absent for an IP address. */
  pin?: string;
  /** The Authorization header value that opened a private repository (the user's credential for its host). */
  authorization?: string;
}

const USER_AGENT = 'git/2 (envhub)';
const PROBE_TIMEOUT_MS = 30_000;

/** A DNS lookup that answers only the addresses already checked, so the connection goes where the policy looked. */
const pinnedLookup =
  (addresses: string[]): LookupFunction =>
  (_host, options, callback) => {
    const fit = addresses
      .map(address => ({ address, family: isIP(address) }))
      .filter(a => !options.family || a.family === options.family);
    if (fit.length === 0) {
      callback(
        Object.assign(
          new Error(
            `no checked ${options.family === 6 ? 'IPv6' : 'IPv4'} address`
          ),
          { code: 'ENOTFOUND' }
        ),
        '',
        0
      );
    } else if (options.all) {
      callback(null, fit);
    } else {
      callback(null, fit[0].address, fit[0].family);
    }
  };

/** Sends git's first request to `url`, connecting only to the checked addresses; the status and any Location. */
function firstResponse(
  url: URL,
  checked: CheckedHost,
  authorization?: string
): Promise<{ status: number; location?: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        agent: false,
        headers: {
          'user-agent': USER_AGENT,
          accept: '*/*',
          'cache-control': 'no-cache',
          ...(authorization ? { authorization } : {})
        },
        lookup: pinnedLookup(checked.addresses),
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS)
      },
      (response: IncomingMessage) => {
        resolve({
          status: response.statusCode ?? 0,
          location: response.headers.location
        });
        // Only the head matters: the body (a ref advertisement, maybe large) is not read.
        response.destroy();
      }
    );
    request.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.name === 'TimeoutError' || err.name === 'AbortError'
            ? `no answer from ${url.host} within ${PROBE_TIMEOUT_MS / 1000} s`
            : err.message
        )
      )
    );
    request.end();
  });
}

const isRedirect = (status: number) =>
  status >= 300 && status < 400 && status !== 304;

/** The `http.curloptResolve` value for a checked host name, e.g. `forge.example.org:443:192.0.2.7,[2001:db8::7]`. */
function pinOf(checked: CheckedHost): string | undefined {
  if (checked.addresses.length === 0) return undefined;
  return `${checked.host}:${checked.port}:${checked.addresses.map(a => (isIP(a) === 6 ? `[${a}]` : a)).join(',')}`;
}

/**
 * Checks a redirect of `repo` from `from` to `location` as the repository itself is checked; the
 * URL to follow and its checked host, or a refusal naming the redirect.
 */
async function checkRedirect(
  repo: string,
  from: URL,
  location: string,
  access?: RepoAccess
): Promise<{ url: URL; host: CheckedHost }> {
  const refuse = (status: number, code: ErrorCode, why: string) =>
    new EnvhubError(
      status,
      code,
      `the repository ${repo} redirects to ${location}: ${why}`
    );
  let url: URL;
  try {
    url = parseRepoUrl(new URL(location, from).href);
  } catch (err) {
    throw refuse(
      403,
      'repo_redirect_refused',
      err instanceof EnvhubError ? err.message : 'that is not a URL'
    );
  }
  const host = await checkHost(url, access).catch((err: unknown) => {
    throw err instanceof EnvhubError && err.code === 'repo_host_unknown'
      ? refuse(
          400,
          'repo_host_unknown',
          `its host "${url.hostname}" cannot be resolved`
        )
      : err;
  });
  if (isRefusal(host)) {
    const address = host.address === host.host ? '' : ` (${host.address})`;
    throw refuse(
      403,
      'repo_redirect_refused',
      `${host.kind}${address}; envhub fetches only from public addresses and from hosts an admin lists in ENVHUB_ALLOWED_REPO_HOSTS`
    );
  }
  return { url, host };
}

/**
 * Finds where git may fetch `repo` from, applying the address policy to every host on the way:
 * the repository's host is resolved once and checked, git's first request is sent to the checked
 * addresses, and each redirect (at most MAX_REDIRECTS) is checked the same way before it is
 * followed. The result is what git is then run against with redirects off and the final host
 * pinned, so git connects nowhere the policy has not seen (no redirect, no second DNS answer).
 *
 * Throws an EnvhubError (4xx) when the policy refuses the repository or a redirect, and a plain
 * Error when the server cannot be reached.
 */
export async function locateRepo(
  repo: string,
  access?: RepoAccess
): Promise<RepoLocation> {
  const start = parseRepoUrl(repo);
  const checked = await checkHost(start, access);
  if (isRefusal(checked)) throw hostRefused(checked);
  let host = checked;
  const first = new URL(
    `${start.href.endsWith('/') ? start.href : `${start.href}/`}${FIRST_REQUEST}`
  );
  let target = first;
  let status: number;
  for (let redirects = 0; ; redirects++) {
    const response = await firstResponse(target, host);
    status = response.status;
    const location = response.location;
    if (!isRedirect(status) || location === undefined) break;
    if (redirects === MAX_REDIRECTS) {
      throw new EnvhubError(
        400,
        'repo_too_many_redirects',
        `the repository ${repo} redirects to ${location}: that is more than ${MAX_REDIRECTS} redirects; give the repository's final address`
      );
    }
    ({ url: target, host } = await checkRedirect(
      repo,
      target,
      location,
      access
    ));
  }
  // A private repository: asked again with the user's credential for the host it ended on (never
  // sent before that, so no redirect can carry it to another host).
  const authorization =
    status === 401 ? await authorizationFor(repo, target, access) : undefined;
  if (authorization !== undefined) {
    const { status: signedIn } = await firstResponse(
      target,
      host,
      authorization
    );
    if (signedIn === 401 || signedIn === 403)
      throw new EnvhubError(
        403,
        'no_credential',
        `${target.host} refused your credential for the repository ${repo} (it answered ${signedIn}); store a new token for ${hostOfUrl(target.href)} under "Your credentials" and launch again`
      );
  }
  const found = (url: string) => ({
    url,
    pin: pinOf(host),
    ...(authorization ? { authorization } : {})
  });
  if (target === first) return found(start.href);
  // As git does: the redirect must keep the request's tail, and what precedes it is the new base.
  if (!target.href.endsWith(FIRST_REQUEST)) {
    throw new EnvhubError(
      400,
      'repo_redirect_unusable',
      `the repository ${repo} redirects to ${target.href}, which git cannot use as a repository (it drops /${FIRST_REQUEST}); give the repository's final address`
    );
  }
  return found(target.href.slice(0, -FIRST_REQUEST.length));
}

/**
 * The Basic Authorization header of the caller's credential for `target`'s host; a refusal saying
 * what to do when they have none.
 */
async function authorizationFor(
  repo: string,
  target: URL,
  access: RepoAccess | undefined
): Promise<string> {
  const host = hostOfUrl(target.href);
  const credential = await access?.credential?.(host);
  if (!credential)
    throw new EnvhubError(
      403,
      'no_credential',
      `the repository ${repo} is private (${target.host} asks to sign in); store your token for ${host} under "Your credentials" on envhub's page and launch again`
    );
  return `Basic ${Buffer.from(`${credential.username}:${credential.token}`).toString('base64')}`;
}
