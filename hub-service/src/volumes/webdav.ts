import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Credential } from '../credentials/credentials.js';
import { hostOfUrl } from '../credentials/credentials.js';
import { EnvhubError } from '../errors.js';
import { checkHost, isRefusal } from '../repos/repoPolicy.js';

/**
 * WebDAV folders (Nextcloud, ownCloud, any WebDAV server) as volumes: rclone's Docker volume plugin
 * (`rclone serve docker`, started on the host next to dockerd) mounts the folder on the host with
 * the credential of the user whose server mounts it, and Docker binds it into that server. Nothing
 * runs inside the user's container: no FUSE, no extra privilege.
 */
export interface WebdavSettings {
  /** The volume driver's name: the plugin's socket is `<pluginDir>/<driver>.sock`. */
  driver: string;
  /** Where dockerd finds plugin sockets. */
  pluginDir: string;
  /** Hosts allowed although internal (ENVHUB_ALLOWED_REPO_HOSTS, as for repositories). */
  allowedHosts: string[];
}

const PROBE_TIMEOUT_MS = 15_000;

/** Whether rclone's volume plugin is there for dockerd to use. */
export const webdavAvailable = (settings: WebdavSettings): boolean =>
  existsSync(`${settings.pluginDir}/${settings.driver}.sock`);

/**
 * `given` as a WebDAV folder URL (http or https, no user name or password, ending in `/`), refusing
 * an internal address the way repository URLs are refused.
 */
export async function checkWebdavUrl(
  given: unknown,
  allowedHosts: string[]
): Promise<string> {
  const example =
    'give the folder as https://host/path/, e.g. https://cloud.example.org/remote.php/dav/files/alice/Teaching/';
  let url: URL;
  try {
    if (typeof given !== 'string') throw new Error();
    url = new URL(given);
  } catch {
    throw new EnvhubError(
      400,
      'invalid_webdav',
      `webdav: ${JSON.stringify(given ?? null)} is not a URL; ${example}`
    );
  }
  if (!/^https?:$/.test(url.protocol))
    throw new EnvhubError(
      400,
      'invalid_webdav',
      `webdav: a WebDAV folder is reached over http or https, not ${url.protocol.slice(0, -1)}; ${example}`
    );
  if (url.username || url.password)
    throw new EnvhubError(
      400,
      'invalid_webdav',
      `webdav: the URL must not carry a user name or password; store them as your credential for ${hostOfUrl(url.href)} instead`
    );
  if (url.search || url.hash)
    throw new EnvhubError(
      400,
      'invalid_webdav',
      `webdav: the URL must not have a query or fragment; ${example}`
    );
  const checked = await checkHost(url, { allowedHosts }).catch(() => null);
  if (!checked)
    throw new EnvhubError(
      400,
      'invalid_webdav',
      `webdav: the host "${url.hostname}" cannot be resolved; check the URL`
    );
  if (isRefusal(checked))
    throw new EnvhubError(
      403,
      'webdav_host_refused',
      `webdav: the host "${checked.host}" is a loopback, private or link-local address (${checked.address}): ${checked.kind}; an admin can allow it by adding it to ENVHUB_ALLOWED_REPO_HOSTS`
    );
  url.pathname = url.pathname.replace(/\/?$/, '/');
  return url.href;
}

const basic = ({ username, token }: Credential) =>
  `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;

/** What to tell a user whose credential for `host` is missing or refused. */
export const credentialAdvice = (host: string) =>
  `store your user name and an app password for ${host} under Credentials on envhub's main page (or PUT api/credentials/${host}), then start the server again`;

/**
 * Checks that `credential` opens the folder `url` (a PROPFIND of the folder itself) and whether it
 * may write there (a dot-file put and deleted at once). A mount with a wrong password would start
 * and fail on every file, so the refusal comes here, naming the host and what to do.
 */
export async function probeWebdav(
  url: string,
  credential: Credential,
  what: string,
  fetcher: typeof fetch = fetch
): Promise<{ writable: boolean }> {
  const host = hostOfUrl(url);
  const request = (method: string, target: string, extra = {}) =>
    fetcher(target, {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      headers: { Authorization: basic(credential), ...extra }
    }).catch((err: Error) => {
      throw new EnvhubError(
        502,
        'webdav_unreachable',
        `${what}: the WebDAV server ${host} cannot be reached (${err.cause instanceof Error ? err.cause.message : err.message}); try again later or ask an admin`
      );
    });
  const folder = await request('PROPFIND', url, { Depth: '0' });
  await folder.body?.cancel();
  if (folder.status === 401 || folder.status === 403)
    throw new EnvhubError(
      403,
      'webdav_credential_refused',
      `${what}: ${host} refused your credential (HTTP ${folder.status}); ${credentialAdvice(host)}`
    );
  if (folder.status === 404)
    throw new EnvhubError(
      422,
      'webdav_not_found',
      `${what}: ${host} has no folder ${new URL(url).pathname} for your account; check the volume's URL or create the folder`
    );
  if (folder.status >= 300 && folder.status < 400)
    throw new EnvhubError(
      422,
      'webdav_redirect',
      `${what}: ${host} redirects ${url} elsewhere${folder.headers.get('location') ? ` (to ${folder.headers.get('location')})` : ''}; the volume's URL must be the folder's own WebDAV address`
    );
  if (folder.status !== 207 && folder.status !== 200)
    throw new EnvhubError(
      502,
      'webdav_unreachable',
      `${what}: ${host} answered HTTP ${folder.status} for the folder; is ${url} a WebDAV folder?`
    );
  const probe = new URL(
    `.envhub-write-check-${randomBytes(6).toString('hex')}`,
    url
  ).href;
  const put = await request('PUT', probe, { 'Content-Length': '0' });
  await put.body?.cancel();
  if (!put.ok) return { writable: false };
  const removed = await request('DELETE', probe);
  await removed.body?.cancel();
  return { writable: true };
}

// rclone's published obscuring key (fs/config/obscure): obscuring keeps a password out of casual
// sight in rclone's options, it is not encryption.
const RCLONE_OBSCURE_KEY = Buffer.from(
  '9c935b48730a554d6bfd7c63c886a92bd390198eb8128afbf4de162b8b95f638',
  'hex'
);

/** A secret as rclone's options take a password (`rclone obscure`). */
export function rcloneObscure(secret: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', RCLONE_OBSCURE_KEY, iv);
  return Buffer.concat([
    iv,
    cipher.update(secret, 'utf8'),
    cipher.final()
  ]).toString('base64url');
}

/**
 * The plugin's options for the folder `url` reached with `credential`: files owned by jovyan,
 * written through to the server when closed (nothing left in a cache when the server stops), and
 * other users' changes seen within seconds.
 */
export function webdavVolumeOptions(
  url: string,
  credential: Credential,
  readOnly: boolean
): Record<string, string> {
  return {
    type: 'webdav',
    'webdav-url': url,
    'webdav-user': credential.username,
    'webdav-pass': rcloneObscure(credential.token),
    'allow-other': 'true',
    uid: '1000',
    gid: '100',
    'vfs-cache-mode': 'writes',
    'vfs-write-back': '0s',
    'dir-cache-time': '5s',
    ...(readOnly ? { 'read-only': 'true' } : {})
  };
}
