import { once } from 'node:events';
import type { Server } from 'node:http';
import Provider from 'oidc-provider';

/**
 * An institution's single sign-on for the tests: a real OpenID Connect provider (`oidc-provider`,
 * the certified library) on 127.0.0.1 with one confidential client, the hub. Its development login
 * form (`devInteractions`) signs anyone in under the name they type, with any password; consent is
 * implicit for the hub, as for an institution's own services. Access tokens are opaque: services
 * check them at the userinfo endpoint (`/me`), as the test WebDAV server does.
 */
export class OidcProvider {
  private constructor(
    private readonly server: Server,
    readonly issuer: string
  ) {}

  static async start(
    port: number,
    hub: string,
    client: { id: string; secret: string },
    accessTokenSeconds = 3600
  ): Promise<OidcProvider> {
    const issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: client.id,
          client_secret: client.secret,
          redirect_uris: [`${hub}/hub/oauth_callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          // OAuthenticator sends the client's id and secret in the form body by default.
          token_endpoint_auth_method: 'client_secret_post'
        }
      ],
      async findAccount(_ctx, id) {
        return {
          accountId: id,
          async claims() {
            return {
              sub: id,
              preferred_username: id,
              name: id,
              email: `${id}@example.org`
            };
          }
        };
      },
      claims: {
        openid: ['sub'],
        profile: ['preferred_username', 'name'],
        email: ['email']
      },
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      features: { devInteractions: { enabled: true } },
      // The hub is the institution's own service: no consent screen.
      async loadExistingGrant(ctx) {
        const { Grant } = ctx.oidc.provider;
        const grantId =
          ctx.oidc.result?.consent?.grantId ??
          ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
        if (grantId) return Grant.find(grantId);
        const grant = new Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId
        });
        grant.addOIDCScope('openid profile email offline_access');
        grant.addOIDCClaims(['preferred_username', 'name', 'email']);
        await grant.save();
        return grant;
      },
      // A refresh token for the hub, so that OAuthenticator can renew an expired access token.
      async issueRefreshToken(_ctx, client) {
        return client.grantTypeAllowed('refresh_token');
      },
      pkce: { required: () => false },
      ttl: {
        AccessToken: accessTokenSeconds,
        IdToken: 3600,
        RefreshToken: 86400,
        Grant: 86400,
        Session: 86400,
        Interaction: 600
      },
      cookies: { keys: ['envhub-test-oidc-cookies'] }
    });
    const server = provider.listen(port, '127.0.0.1') as Server;
    await once(server, 'listening');
    return new OidcProvider(server, issuer);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
