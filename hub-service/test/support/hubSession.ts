import { EventStreamParser } from '@envhub/schema';
import { request } from 'node:http';

/**
 * Signing in to the real Hub the tests run against, as a browser or a script would:
 * the login form (with its _xsrf cookie), then a Hub API token for the user.
 */
export const hubUrl = process.env.ENVHUB_TEST_URL ?? 'http://127.0.0.1:8300';
export const password = process.env.ENVHUB_TEST_PASSWORD ?? '';
export const namePrefix = process.env.ENVHUB_NAME_PREFIX ?? 'envhubtest';

/** A plain HTTP request. (fetch always sends Sec-Fetch-Mode: cors, and the Hub then sets no _xsrf cookie.) */
function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  body = ''
): Promise<{ status: number; cookies: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            cookies: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8')
          })
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: { cookies: string[] }): void {
    for (const header of response.cookies) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  get(name: string): string {
    return this.cookies.get(name) ?? '';
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Posts the Hub's login form for `user` as a browser does (with its _xsrf cookie). */
async function logIn(
  user: string
): Promise<{ jar: CookieJar; status: number; login: { cookies: string[] } }> {
  const jar = new CookieJar();
  jar.take(await send('GET', `${hubUrl}/hub/login`, {}));
  const login = await send(
    'POST',
    `${hubUrl}/hub/login`,
    {
      Cookie: jar.header(),
      'Content-Type': 'application/x-www-form-urlencoded'
    },
    new URLSearchParams({
      username: user,
      password,
      _xsrf: jar.get('_xsrf')
    }).toString()
  );
  return { jar, status: login.status, login };
}

/** The status of signing in as `user` with the right password: 302 when the Hub lets them in. */
export async function signInStatus(user: string): Promise<number> {
  return (await logIn(user)).status;
}

/** Signs `user` in through the Hub's login form and returns a new API token of theirs. */
export async function tokenFor(user: string): Promise<string> {
  const { jar, status, login } = await logIn(user);
  if (status !== 302)
    throw new Error(`signing in as ${user} failed: ${status}`);
  jar.take(login);
  const response = await send(
    'POST',
    `${hubUrl}/hub/api/users/${user}/tokens`,
    {
      Cookie: jar.header(),
      'Content-Type': 'application/json',
      'X-XSRFToken': jar.get('_xsrf'),
      Referer: `${hubUrl}/hub/token`
    },
    JSON.stringify({ note: 'envhub tests', expires_in: 3600 })
  );
  if (response.status !== 201 && response.status !== 200)
    throw new Error(
      `creating a token for ${user} failed: ${response.status} ${response.body}`
    );
  return (JSON.parse(response.body) as { token: string }).token;
}

/** One event of the build stream. */
export type StreamEvent = {
  phase: string;
  message?: string;
  url?: string;
  [key: string]: unknown;
};

/** Reads a whole BinderHub-style event stream; returns the HTTP status and the events. */
export async function readEventStream(
  url: string,
  token: string
): Promise<{ status: number; events: StreamEvent[]; body: string }> {
  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }
  });
  const body = await response.text();
  const events = EventStreamParser.parse(body) as StreamEvent[];
  return { status: response.status, events, body };
}

/** The build-stream URL launching `repo` at `ref` (BinderHub's git provider). */
export function buildUrl(
  repo: string,
  ref: string,
  query: Record<string, string> = {}
): string {
  const search = new URLSearchParams(query).toString();
  return `${hubUrl}/services/envhub/build/git/${encodeURIComponent(repo)}/${ref}${search ? `?${search}` : ''}`;
}

/** Calls the Hub REST API with a user's token. */
export function hubApi(
  token: string,
  path: string,
  init: RequestInit = {}
): Promise<Response> {
  return fetch(`${hubUrl}/hub/api${path}`, {
    ...init,
    headers: {
      Authorization: `token ${token}`,
      'Content-Type': 'application/json',
      ...init.headers
    }
  });
}

/** Calls envhub's REST API (`/services/envhub/api<path>`) with a user's or a server's token. */
export function envhubApi(
  token: string,
  path: string,
  init: RequestInit = {}
): Promise<Response> {
  return fetch(`${hubUrl}/services/envhub/api${path}`, {
    ...init,
    headers: {
      Authorization: `token ${token}`,
      'Content-Type': 'application/json',
      ...init.headers
    }
  });
}
