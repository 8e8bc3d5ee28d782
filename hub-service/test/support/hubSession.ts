/**
 * Signing in to the real Hub the tests run against, as a browser or a script would:
 * the login form (with its _xsrf cookie), then a Hub API token for the user.
 */
export const hubUrl = process.env.ENVHUB_TEST_URL ?? 'http://127.0.0.1:8300';
export const password = process.env.ENVHUB_TEST_PASSWORD ?? '';
export const namePrefix = process.env.ENVHUB_NAME_PREFIX ?? 'envhubtest';

class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Signs `user` in through the Hub's login form and returns a new API token of theirs. */
export async function tokenFor(user: string): Promise<string> {
  const jar = new CookieJar();
  jar.take(await fetch(`${hubUrl}/hub/login`));
  const login = await fetch(`${hubUrl}/hub/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: jar.header(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user, password, _xsrf: jar.get('_xsrf') ?? '' })
  });
  if (login.status !== 302) throw new Error(`signing in as ${user} failed: ${login.status}`);
  jar.take(login);
  const response = await fetch(`${hubUrl}/hub/api/users/${user}/tokens`, {
    method: 'POST',
    headers: {
      Cookie: jar.header(),
      'Content-Type': 'application/json',
      'X-XSRFToken': jar.get('_xsrf') ?? '',
      Referer: `${hubUrl}/hub/token`
    },
    body: JSON.stringify({ note: 'envhub tests', expires_in: 3600 })
  });
  if (!response.ok) throw new Error(`creating a token for ${user} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** One event of the build stream. */
export type StreamEvent = { phase: string; message?: string; url?: string; [key: string]: unknown };

/** Reads a whole BinderHub-style event stream; returns the HTTP status and the events. */
export async function readEventStream(url: string, token: string): Promise<{ status: number; events: StreamEvent[]; body: string }> {
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } });
  const body = await response.text();
  const events = body
    .split('\n\n')
    .filter(block => block.startsWith('data:'))
    .map(block => JSON.parse(block.slice(5)) as StreamEvent);
  return { status: response.status, events, body };
}

/** The build-stream URL launching `repo` at `ref` (BinderHub's git provider). */
export function buildUrl(repo: string, ref: string, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${hubUrl}/services/envhub/build/git/${encodeURIComponent(repo)}/${ref}${search ? `?${search}` : ''}`;
}

/** Calls the Hub REST API with a user's token. */
export function hubApi(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${hubUrl}/hub/api${path}`, {
    ...init,
    headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json', ...init.headers }
  });
}
