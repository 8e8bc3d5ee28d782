import { CookieJar, pageXsrf, send, type Received } from './http.js';
import { hubUrl, password } from './hubSession.js';

/** envhub's session cookie: named after its OAuth client, set on the service's path. */
export const SESSION_COOKIE = 'service-envhub';

/** A browser signed in to envhub: its session cookie and the XSRF value envhub's pages carry for it. */
export interface EnvhubSession {
  /** The value of envhub's session cookie. */
  session: string;
  /** The `data-xsrf` of envhub's home page for this session. */
  xsrf: string;
}

async function follow(jar: CookieJar, path: string): Promise<Received> {
  let response = await send(hubUrl, path, {
    headers: { Cookie: jar.header() }
  });
  for (
    let hops = 0;
    hops < 10 && response.status >= 300 && response.status < 400;
    hops++
  ) {
    jar.take(response);
    const next = new URL(String(response.headers.location), `${hubUrl}${path}`);
    path = next.pathname + next.search;
    response = await send(hubUrl, path, { headers: { Cookie: jar.header() } });
  }
  jar.take(response);
  return response;
}

/**
 * Signs `user` in to the Hub through its login form, then to envhub through the Hub's OAuth
 * (as a browser following the redirects does), and reads the home page's XSRF value.
 */
export async function signInToEnvhub(user: string): Promise<EnvhubSession> {
  const jar = new CookieJar();
  jar.take(await send(hubUrl, '/hub/login'));
  const login = await send(hubUrl, '/hub/login', {
    method: 'POST',
    headers: { Cookie: jar.header() },
    form: { username: user, password, _xsrf: jar.get('_xsrf') ?? '' }
  });
  if (login.status !== 302)
    throw new Error(`signing in to the Hub as ${user} failed: ${login.status}`);
  jar.take(login);
  const home = await follow(jar, '/services/envhub/');
  const session = jar.get(SESSION_COOKIE);
  if (home.status !== 200 || !session)
    throw new Error(
      `signing in to envhub as ${user} failed: ${home.status} ${home.text.slice(0, 200)}`
    );
  return { session, xsrf: pageXsrf(home.text) };
}
