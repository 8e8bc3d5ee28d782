import {
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type KeyObject
} from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

/**
 * A learning platform (as Moodle or Canvas are to a tool) for LTI 1.3 launches into a hub, served on
 * `localhost` while the hub is on `127.0.0.1`: another site, so the platform's answer to the hub is
 * a real cross-site POST, as from an LMS on its own domain.
 *
 * - `GET /launch?user=ada&role=Instructor&label=INTRO101` starts a launch as a course page's link
 *   does: a form that POSTs the OIDC login initiation (iss, login_hint, target_link_uri, client_id,
 *   lti_message_hint, lti_deployment_id) to the hub's `/hub/lti13/oauth_login`.
 * - `GET /authorize` is the platform's OIDC authorization endpoint: it checks the hub's request
 *   against the registration (client id, redirect URI, login hint) and answers a form that POSTs an
 *   RS256 `id_token` with the LTI claims and the `state` to the redirect URI.
 * - `GET /jwks` is the platform's key set.
 */

const LTI = 'https://purl.imsglobal.org/spec/lti/claim';
const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership';

/** LTI 1.3 role URIs by a short name (`role=` takes these names or full URIs). */
export const ROLES: Record<string, string> = {
  Instructor: `${MEMBERSHIP}#Instructor`,
  Learner: `${MEMBERSHIP}#Learner`,
  TeachingAssistant: `${MEMBERSHIP}/Instructor#TeachingAssistant`,
  ContentDeveloper: `${MEMBERSHIP}#ContentDeveloper`,
  Mentor: `${MEMBERSHIP}#Mentor`,
  Administrator:
    'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator'
};

/** One launch, as a course page's link describes it. */
export interface Launch {
  /** The platform's user, e.g. `ada`: email `ada@example.org`, sub `user-ada`. */
  user: string;
  /** Role names of {@link ROLES}, or full role URIs. */
  roles: string[];
  /** The course's short name (context label). */
  label?: string;
  /** The course's custom parameters (e.g. `{envhub_class: 'intro101'}`). */
  custom?: Record<string, string>;
  /** Where the launch should land (default: the hub's root, the tool URL of a registration). */
  target?: string;
  /** Sign the id_token with a key that is not the platform's (under the platform's key id). */
  forged?: boolean;
}

interface PendingLaunch extends Launch {
  target: string;
  messageHint: string;
}

const b64url = (data: Buffer | string) =>
  Buffer.from(data).toString('base64url');

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[
        c
      ]!
  );

/** A page with a form that the browser submits at once, as platforms do (with a button without JS). */
function autoPost(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`
    )
    .join('');
  return `<!doctype html><html><body><form id="lti" method="post" action="${escapeHtml(action)}">${inputs}<button>Continue</button></form><script>document.getElementById('lti').submit()</script></body></html>`;
}

export class LtiPlatform {
  readonly clientId: string;
  readonly deploymentId = 'deployment-1';
  /** Every authorization request the hub sent the browser with, as received. */
  readonly authorizeRequests: URLSearchParams[] = [];
  private readonly key: KeyObject;
  private readonly forgeryKey: KeyObject;
  private readonly kid = `platform-key-${randomUUID().slice(0, 8)}`;
  private readonly pending = new Map<string, PendingLaunch>();

  private constructor(
    private readonly server: Server,
    private readonly port: number,
    private readonly hubUrl: string,
    clientId: string
  ) {
    this.clientId = clientId;
    this.key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    this.forgeryKey = generateKeyPairSync('rsa', {
      modulusLength: 2048
    }).privateKey;
  }

  /** Starts a platform for the hub at `hubUrl` (e.g. `http://127.0.0.1:8700`) on `port`. */
  static async start(
    hubUrl: string,
    port: number,
    clientId = 'envhub-tool'
  ): Promise<LtiPlatform> {
    const server = createServer();
    const platform = new LtiPlatform(server, port, hubUrl, clientId);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', platform.url);
      const [status, type, body] = platform.answer(url);
      res.writeHead(status, {
        'Content-Type': type,
        'Cache-Control': 'no-store'
      });
      res.end(body);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return platform;
  }

  /** The platform as browsers reach it: `localhost`, another site than the hub's `127.0.0.1`. */
  get url(): string {
    return `http://localhost:${this.port}`;
  }

  /** The platform's issuer identifier (`iss`). */
  get issuer(): string {
    return this.url;
  }

  get authorizeUrl(): string {
    return `${this.url}/authorize`;
  }

  /** The key set, fetched by the hub itself (on loopback). */
  get jwksUrl(): string {
    return `http://127.0.0.1:${this.port}/jwks`;
  }

  /** The hub's LTI settings for this platform, as `ENVHUB_LTI13_*` variables. */
  get hubEnvironment(): Record<string, string> {
    return {
      ENVHUB_LTI13_ISSUER: this.issuer,
      ENVHUB_LTI13_CLIENT_ID: this.clientId,
      ENVHUB_LTI13_AUTHORIZE_URL: this.authorizeUrl,
      ENVHUB_LTI13_JWKS_ENDPOINT: this.jwksUrl
    };
  }

  /** The URL of a course page's link that launches `launch`. */
  launchUrl(launch: Launch): string {
    const query = new URLSearchParams({ user: launch.user });
    for (const role of launch.roles) {
      query.append('role', role);
    }
    if (launch.label !== undefined) {
      query.set('label', launch.label);
    }
    for (const [name, value] of Object.entries(launch.custom ?? {})) {
      query.set(`custom_${name}`, value);
    }
    if (launch.target) {
      query.set('target', launch.target);
    }
    if (launch.forged) {
      query.set('forged', '1');
    }
    return `${this.url}/launch?${query}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private answer(url: URL): [number, string, string] {
    const html = 'text/html; charset=utf-8';
    switch (url.pathname) {
      case '/jwks':
        return [
          200,
          'application/json',
          JSON.stringify({
            keys: [
              {
                ...createPublicKey(this.key).export({ format: 'jwk' }),
                kid: this.kid,
                alg: 'RS256',
                use: 'sig'
              }
            ]
          })
        ];
      case '/launch':
        return [200, html, this.loginInitiation(url.searchParams)];
      case '/authorize': {
        this.authorizeRequests.push(url.searchParams);
        const refusal = this.checkAuthorization(url.searchParams);
        if (refusal) {
          return [400, 'text/plain', `platform refuses: ${refusal}`];
        }
        return [200, html, this.launchForm(url.searchParams)];
      }
      default:
        return [404, 'text/plain', 'not found'];
    }
  }

  private loginInitiation(query: URLSearchParams): string {
    const loginHint = randomUUID();
    const custom: Record<string, string> = {};
    for (const [name, value] of query) {
      if (name.startsWith('custom_')) {
        custom[name.slice('custom_'.length)] = value;
      }
    }
    const launch: PendingLaunch = {
      user: query.get('user') ?? 'anonymous',
      roles: query.getAll('role'),
      label: query.get('label') ?? undefined,
      custom,
      target: query.get('target') ?? `${this.hubUrl}/`,
      forged: query.get('forged') === '1',
      messageHint: `resource-link-${randomUUID().slice(0, 8)}`
    };
    this.pending.set(loginHint, launch);
    return autoPost(`${this.hubUrl}/hub/lti13/oauth_login`, {
      iss: this.issuer,
      login_hint: loginHint,
      target_link_uri: launch.target,
      client_id: this.clientId,
      lti_message_hint: launch.messageHint,
      lti_deployment_id: this.deploymentId
    });
  }

  /** What a platform checks before it answers an authorization request; null when all is well. */
  private checkAuthorization(query: URLSearchParams): string | null {
    const expected: Record<string, string> = {
      response_type: 'id_token',
      scope: 'openid',
      response_mode: 'form_post',
      prompt: 'none',
      client_id: this.clientId,
      redirect_uri: `${this.hubUrl}/hub/lti13/oauth_callback`
    };
    for (const [name, value] of Object.entries(expected)) {
      if (query.get(name) !== value) {
        return `${name} is ${JSON.stringify(query.get(name))}, expected ${JSON.stringify(value)}`;
      }
    }
    const launch = this.pending.get(query.get('login_hint') ?? '');
    if (!launch) {
      return 'unknown login_hint';
    }
    if (query.get('lti_message_hint') !== launch.messageHint) {
      return 'lti_message_hint differs from the login initiation';
    }
    if (!query.get('nonce') || !query.get('state')) {
      return 'nonce and state are required';
    }
    return null;
  }

  private launchForm(query: URLSearchParams): string {
    const launch = this.pending.get(query.get('login_hint')!)!;
    this.pending.delete(query.get('login_hint')!);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.clientId,
      sub: `user-${launch.user}`,
      email: `${launch.user}@example.org`,
      name: launch.user[0].toUpperCase() + launch.user.slice(1),
      iat: now,
      exp: now + 300,
      nonce: query.get('nonce'),
      [`${LTI}/version`]: '1.3.0',
      [`${LTI}/deployment_id`]: this.deploymentId,
      [`${LTI}/message_type`]: 'LtiResourceLinkRequest',
      [`${LTI}/target_link_uri`]: launch.target,
      [`${LTI}/roles`]: launch.roles.map(role => ROLES[role] ?? role),
      [`${LTI}/resource_link`]: {
        id: launch.messageHint,
        title: 'Notebooks'
      },
      [`${LTI}/custom`]: launch.custom
    };
    if (launch.label !== undefined) {
      claims[`${LTI}/context`] = {
        id: `context-${launch.label}`,
        label: launch.label,
        title: `Course ${launch.label}`,
        type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering']
      };
    }
    return autoPost(query.get('redirect_uri')!, {
      id_token: this.sign(claims, launch.forged ? this.forgeryKey : this.key),
      state: query.get('state')!
    });
  }

  /** An RS256 JWT of `claims`, with this platform's key id in its header. */
  private sign(claims: Record<string, unknown>, key: KeyObject): string {
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  }
}
