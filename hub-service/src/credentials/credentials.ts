import { isIP } from 'node:net';
import { validateCredentialBody, type CredentialView } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import { log } from '../log.js';
import type { Store } from '../store/store.js';
import type { SecretBox } from './secretBox.js';

/** A credential as envhub uses it (to fetch a private repository, say). */
export interface Credential {
  username: string;
  token: string;
}

const HOST_EXAMPLE =
  'give the host name, with :port when the port is not 80 or 443, e.g. forge.example.org or cloud.example.org:8443';

/**
 * The host a credential is kept under, as a URL of that host writes it (lower case, IPv6 in
 * brackets, no default port); throws a 400 for anything else (a URL, a path, a user name).
 */
export function credentialHost(given: string): string {
  let url: URL;
  try {
    url = new URL(`https://${given}/`);
  } catch {
    throw new EnvhubError(
      400,
      'invalid_host',
      `"${given}" is not a host; ${HOST_EXAMPLE}`
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const plain =
    url.username === '' &&
    url.password === '' &&
    (isIP(host) !== 0 ||
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(
        host
      )) &&
    // The URL parser drops :443 for https, and reads nothing but a host and a port.
    (given.toLowerCase() === url.host ||
      given.toLowerCase() === `${url.host}:443`);
  if (!plain)
    throw new EnvhubError(
      400,
      'invalid_host',
      `"${given}" is not a host; ${HOST_EXAMPLE}`
    );
  // Port 80 is http's default: a credential for forge.example.org serves http and https alike.
  return url.host.replace(/:80$/, '');
}

/** The host key of a repository or WebDAV URL, as credentialHost writes it. */
export const hostOfUrl = (url: string): string =>
  new URL(url).host.replace(/:(80|443)$/, '');

/**
 * Single sign-on as a credential: for the hosts an admin lists, the access token the Hub's
 * authenticator keeps in a user's auth_state (refreshed as the authenticator refreshes it) with
 * their Hub name as the user name.
 */
export interface SingleSignOn {
  hosts: string[];
  accessToken: (user: string) => Promise<string | null>;
}

/**
 * Each user's credentials, one per host: kept sealed in the store (see SecretBox), listed without
 * their secrets, and opened only for envhub's own use on that user's behalf. A stored credential
 * comes before single sign-on's for the same host.
 */
export class Credentials {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly singleSignOn: SingleSignOn | null = null,
    private readonly now: () => Date = () => new Date()
  ) {}

  /** The hosts for which a user's sign-in is their credential. */
  get singleSignOnHosts(): string[] {
    return this.singleSignOn?.hosts ?? [];
  }

  list(user: string): CredentialView[] {
    return this.store
      .listCredentials(user)
      .map(({ host, username, createdAt, lastUsedAt }) => ({
        host,
        username,
        createdAt,
        lastUsedAt
      }));
  }

  /** Stores `user`'s credential for `host` (replacing one there was); `body` is checked by the schema. */
  set(user: string, hostGiven: string, body: unknown): CredentialView {
    const host = credentialHost(hostGiven);
    const checked = validateCredentialBody(body);
    if (!checked.ok)
      throw new EnvhubError(
        400,
        'invalid_spec',
        checked.errors.map(e => e.message).join('; ')
      );
    const { username, token } = checked.value;
    const createdAt = this.now().toISOString();
    this.store.saveCredential({
      user,
      host,
      username,
      secret: this.box.seal(token, context(user, host)),
      createdAt,
      lastUsedAt: null
    });
    log.info('credential.saved', { user, host });
    return { host, username, createdAt, lastUsedAt: null };
  }

  remove(user: string, hostGiven: string): void {
    const host = credentialHost(hostGiven);
    if (!this.store.deleteCredential(user, host))
      throw new EnvhubError(
        404,
        'not_found',
        `you have no credential for ${host}`
      );
    log.info('credential.removed', { user, host });
  }

  /**
   * Every credential of `user` by host, secrets included (stored ones marked as used now), single
   * sign-on's included: for their server.
   */
  async forServer(user: string): Promise<Record<string, Credential>> {
    const stored: Record<string, Credential> = Object.fromEntries(
      this.store
        .listCredentials(user)
        .map(({ host }) => [host, this.use(user, host)!])
    );
    const signedOn = this.singleSignOnHosts.filter(host => !(host in stored));
    // One token serves every listed host: asked of the Hub once.
    const token = signedOn.length
      ? await this.singleSignOn!.accessToken(user)
      : null;
    return token
      ? {
          ...stored,
          ...Object.fromEntries(
            signedOn.map(host => [host, { username: user, token }])
          )
        }
      : stored;
  }

  /** `user`'s credential for `host`: their stored one, else their single sign-on token there, else null. */
  async find(user: string, host: string): Promise<Credential | null> {
    const stored = this.use(user, host);
    if (stored || !this.singleSignOnHosts.includes(host)) return stored;
    const token = await this.singleSignOn!.accessToken(user);
    return token ? { username: user, token } : null;
  }

  /**
   * Whether `user` has a credential for `host`, stored or by single sign-on, without opening or
   * touching it (a single sign-on token is only fetched when it is used).
   */
  has(user: string, host: string): boolean {
    return (
      this.singleSignOnHosts.includes(host) ||
      this.store.getCredential(user, host) !== undefined
    );
  }

  /** `user`'s credential for `host` (marked as used now), or null when they have none. */
  use(user: string, host: string): Credential | null {
    const stored = this.store.getCredential(user, host);
    if (!stored) return null;
    let token: string;
    try {
      token = this.box.open(stored.secret, context(user, host));
    } catch {
      throw new EnvhubError(
        500,
        'credentials_unavailable',
        `your credential for ${host} cannot be read with this hub's credentials key (was the key replaced?); store it again`
      );
    }
    this.store.touchCredential(user, host, this.now().toISOString());
    return { username: stored.username, token };
  }
}

const context = (user: string, host: string) => `${user}\u0000${host}`;
