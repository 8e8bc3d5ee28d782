import {
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual
} from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { EnvhubError } from '../errors.js';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import { formField } from '../api/body.js';
import { log } from '../log.js';

export interface AuthSettings {
  prefix: string;
  hubBaseUrl: string;
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  accessScopes: string[];
}

const TOKEN_CACHE_MS = 5 * 60_000;
const STATE_TTL_MS = 10 * 60_000;

/** Reads one cookie from the request; a malformed value counts as absent. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Hub token in a request's `Authorization: token …` or `Bearer …` header. */
export function headerToken(req: Request): string | undefined {
  return req.headers.authorization?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
}

/**
 * Sign-in through the Hub: OAuth (state cookie + PKCE) for browsers, Hub tokens in
 * `Authorization: token|bearer …` for API clients, and XSRF checks on cookie-authenticated writes.
 *
 * The XSRF value is an HMAC of the session token, as JupyterHub 4.1+ binds its own to the session:
 * users' servers share this origin and can plant cookies for it, so a value that merely matches a
 * cookie proves nothing. Nothing but the session itself yields the value its pages carry.
 */
export class HubAuth {
  private readonly tokens = new Map<
    string,
    { user: HubUser; expires: number }
  >();
  private readonly states = new Map<
    string,
    { next: string; verifier: string; expires: number }
  >();
  private readonly xsrfKey: Buffer;

  constructor(
    private readonly hub: HubClient,
    private readonly settings: AuthSettings
  ) {
    this.xsrfKey = createHmac('sha256', settings.clientSecret)
      .update('envhub xsrf')
      .digest();
  }

  private get sessionCookie(): string {
    return this.settings.clientId;
  }

  private get stateCookie(): string {
    return `${this.settings.clientId}-oauth-state`;
  }

  private cookieOptions() {
    return {
      httpOnly: true,
      path: this.settings.prefix,
      sameSite: 'lax' as const
    };
  }

  /** The user behind a token, from cache or the Hub; null if the Hub does not accept it. */
  async userForToken(token: string): Promise<HubUser | null> {
    const cached = this.tokens.get(token);
    if (cached && cached.expires > Date.now()) return cached.user;
    const user = await this.hub.userForToken(token);
    if (user) {
      if (this.tokens.size > 10_000) this.tokens.clear();
      this.tokens.set(token, { user, expires: Date.now() + TOKEN_CACHE_MS });
    }
    return user;
  }

  private tokenFrom(
    req: Request
  ): { token: string; viaCookie: boolean } | undefined {
    const header = headerToken(req);
    if (header) return { token: header, viaCookie: false };
    const cookie = readCookie(req, this.sessionCookie);
    return cookie ? { token: cookie, viaCookie: true } : undefined;
  }

  /**
   * Middleware: puts the signed-in user in `res.locals.user`. Pages (`kind: 'page'`) send
   * unknown browsers to the Hub's sign-in; the API answers 401. `xsrf` demands the XSRF header
   * from cookie-authenticated requests, as every write and every launch must. `serverTokens` also
   * lets in the `JUPYTERHUB_API_TOKEN` of one of the user's own servers (which holds no access to
   * envhub): the nbgrader exchange in a server calls with it, and nothing else may.
   */
  require(
    kind: 'page' | 'api',
    options: { xsrf?: boolean; serverTokens?: boolean } = {}
  ) {
    return async (
      req: Request,
      res: Response,
      next: NextFunction
    ): Promise<void> => {
      try {
        const found = this.tokenFrom(req);
        const user = found && (await this.userForToken(found.token));
        if (!found || !user) {
          if (kind === 'page') return this.startLogin(req, res);
          throw new EnvhubError(
            401,
            'unauthenticated',
            'sign in to the Hub first, or send a Hub token in the Authorization header'
          );
        }
        const ownServerToken =
          options.serverTokens === true &&
          !found.viaCookie &&
          user.scopes.some(scope =>
            scope.startsWith(`access:servers!server=${user.name}/`)
          ) &&
          user.scopes.includes(`users:activity!user=${user.name}`);
        if (
          !ownServerToken &&
          !user.scopes.some(scope => this.settings.accessScopes.includes(scope))
        ) {
          throw new EnvhubError(
            403,
            'forbidden',
            `${user.name} may not use envhub (missing scope ${this.settings.accessScopes[0] ?? 'access:services'})`
          );
        }
        const xsrfCheck =
          options.xsrf ?? !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
        if (found.viaCookie && xsrfCheck) {
          // A header from scripts, a field from forms.
          const given = req.get('X-XSRFToken') ?? formField(req, '_xsrf');
          if (!given || !sameSecret(this.xsrfFor(found.token), given)) {
            throw new EnvhubError(
              403,
              'xsrf',
              "XSRF check failed: send the page's _xsrf value in an X-XSRFToken header (reload the page if you signed in again)"
            );
          }
        }
        res.locals.user = user;
        next();
      } catch (err) {
        next(err);
      }
    };
  }

  private xsrfFor(sessionToken: string): string {
    return createHmac('sha256', this.xsrfKey)
      .update(sessionToken)
      .digest('base64url');
  }

  /** The XSRF value a page for this request's session carries (empty without a session). */
  xsrfToken(req: Request): string {
    const found = this.tokenFrom(req);
    return found ? this.xsrfFor(found.token) : '';
  }

  private startLogin(req: Request, res: Response): void {
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    const now = Date.now();
    for (const [key, value] of this.states)
      if (value.expires < now) this.states.delete(key);
    this.states.set(state, {
      next: req.originalUrl,
      verifier,
      expires: now + STATE_TTL_MS
    });
    res.cookie(this.stateCookie, state, {
      ...this.cookieOptions(),
      maxAge: STATE_TTL_MS
    });
    const query = new URLSearchParams({
      client_id: this.settings.clientId,
      redirect_uri: this.settings.callbackUrl,
      response_type: 'code',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256'
    });
    res.redirect(
      `${this.settings.hubBaseUrl}hub/api/oauth2/authorize?${query}`
    );
  }

  /** The OAuth callback: checks the state, trades the code for a token and sets the session. */
  callback = async (
    req: Request,
    res: Response,
    next: NextFunction
  ): Promise<void> => {
    try {
      if (req.query.error)
        throw new EnvhubError(
          400,
          'oauth_error',
          `sign-in failed: ${String(req.query.error_description ?? req.query.error)}`
        );
      const code = typeof req.query.code === 'string' ? req.query.code : '';
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const saved = this.states.get(state);
      if (
        !code ||
        !state ||
        state !== readCookie(req, this.stateCookie) ||
        !saved ||
        saved.expires < Date.now()
      ) {
        throw new EnvhubError(
          400,
          'oauth_state',
          'sign-in failed: the sign-in request expired or did not start here; open envhub again'
        );
      }
      this.states.delete(state);
      const token = await this.hub.oauthToken({
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.settings.callbackUrl,
        code_verifier: saved.verifier
      });
      const user = await this.userForToken(token);
      log.info('auth.signed_in', { user: user?.name });
      res.clearCookie(this.stateCookie, this.cookieOptions());
      res.cookie(this.sessionCookie, token, this.cookieOptions());
      res.redirect(
        saved.next.startsWith(this.settings.prefix)
          ? saved.next
          : this.settings.prefix
      );
    } catch (err) {
      next(err);
    }
  };
}
