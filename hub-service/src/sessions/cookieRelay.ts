import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EnvhubError } from '../errors.js';

/**
 * The cookies that sign a browser in to the server at `serverPath` (e.g. `/user/v/x/`), made from a
 * token scoped to that server: the service asks the server itself, through the proxy, and relays
 * what it sets. jupyterhub-singleuser stores a token that authenticated a navigation (`?token=`
 * with the same token in `Authorization`) in its own cookie; the browser then never sees the token,
 * and `JUPYTERHUB_ALLOW_TOKEN_IN_URL` stays off. This is not a documented contract of
 * JupyterHub, so it fails closed: no cookie, no session (an integration test watches it).
 */
export function relayCookies(
  proxyUrl: string,
  serverPath: string,
  token: string,
  timeoutMs = 15_000
): Promise<string[]> {
  const url = new URL(
    `${serverPath}api/status?token=${encodeURIComponent(token)}`,
    proxyUrl
  );
  const cookieName = `jupyterhub-user-`;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (why: string) =>
      reject(
        new EnvhubError(
          502,
          'session_cookie',
          `the temporary server did not sign the visitor in (${why}); try again, and tell the hub's admin if it persists`
        )
      );
    const req = request(
      url,
      {
        headers: {
          Authorization: `token ${token}`,
          // Node's fetch would send `cors`; the server sets its cookie on navigations only.
          'Sec-Fetch-Mode': 'navigate',
          Accept: 'application/json'
        },
        timeout: timeoutMs
      },
      res => {
        res.resume();
        const cookies = res.headers['set-cookie'] ?? [];
        if (res.statusCode !== 200) fail(`it answered ${res.statusCode}`);
        else if (!cookies.some(cookie => cookie.startsWith(cookieName)))
          fail('it set no login cookie');
        else resolve(cookies);
      }
    );
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', err => fail(err.message));
    req.end();
  });
}
