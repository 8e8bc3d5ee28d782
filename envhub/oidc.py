"""Sign-in with an institution's OpenID Connect provider (Keycloak, Shibboleth's OIDC OP, Azure AD,
Nextcloud's OIDC app, …), whose access token then serves as users' credential elsewhere.

``configure_oidc(c, ...)`` makes OAuthenticator's ``GenericOAuthenticator`` the Hub's sign-in,
with the endpoints read from the provider's discovery document
(``<issuer>/.well-known/openid-configuration``) and the tokens kept encrypted in ``auth_state``.
OAuthenticator refreshes an expired access token with the refresh token when the user (or their
server, with its own token) next talks to the Hub after ``auth_refresh_age`` and before every
spawn; envhub reads the current one for the hosts the admin lists (``single_sign_on_hosts`` of
``envhub.hub.configure``): private repositories, WebDAV volumes and servers launched with
credentials then need no stored credential for those hosts.
"""

import json
import os
import secrets
from pathlib import Path
from urllib.request import urlopen


def discover(issuer, timeout=10):
    """The provider's endpoints from its discovery document; a clear error when it cannot be read."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with urlopen(url, timeout=timeout) as response:
            document = json.load(response)
    except (OSError, ValueError) as err:
        raise SystemExit(f"cannot read the OpenID Connect discovery document {url}: {err}") from err
    missing = [
        key for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint") if not document.get(key)
    ]
    if missing:
        raise SystemExit(f"the OpenID Connect discovery document {url} lacks {', '.join(missing)}")
    return document


def _crypt_key(data_dir):
    """auth_state's encryption key: JUPYTERHUB_CRYPT_KEY, else one kept in the data directory (0600)."""
    given = os.environ.get("JUPYTERHUB_CRYPT_KEY")
    if given:
        return given
    path = Path(data_dir) / "auth-state-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def configure_oidc(
    c,
    *,
    issuer,
    client_id,
    client_secret,
    data_dir,
    username_claim="preferred_username",
    scopes=("openid", "profile", "email"),
    admin_users=(),
    refresh_age=300,
):
    """Sign users in with the OpenID Connect provider at ``issuer`` (module doc).

    Register the Hub with the provider as a confidential client whose redirect URI is
    ``<hub>/hub/oauth_callback``; ``client_id`` and ``client_secret`` are what it gives.
    ``username_claim`` names Hub users (make it the user name the institution's forge and
    Nextcloud know). Everyone the provider signs in may use the Hub (narrow it at the provider, or
    with OAuthenticator's ``allowed_groups``, which needs ``manage_groups``: the provider's groups
    then replace users' Hub groups, envhub's class groups among them); ``admin_users`` are Hub
    admins. ``refresh_age``: seconds
    after which the Hub checks a user's access token again (and renews an expired one) when the
    user or their server next talks to it; keep it below the provider's access token lifetime.
    """
    endpoints = discover(issuer)
    c.JupyterHub.authenticator_class = "generic-oauth"
    c.GenericOAuthenticator.client_id = client_id
    c.GenericOAuthenticator.client_secret = client_secret
    c.GenericOAuthenticator.authorize_url = endpoints["authorization_endpoint"]
    c.GenericOAuthenticator.token_url = endpoints["token_endpoint"]
    c.GenericOAuthenticator.userdata_url = endpoints["userinfo_endpoint"]
    c.GenericOAuthenticator.scope = list(scopes)
    c.GenericOAuthenticator.username_claim = username_claim
    c.GenericOAuthenticator.login_service = endpoints.get("issuer", issuer)
    # The tokens are kept (encrypted) so that envhub can pass them on, and refreshed when expired.
    c.GenericOAuthenticator.enable_auth_state = True
    c.CryptKeeper.keys = [_crypt_key(data_dir)]
    c.Authenticator.auth_refresh_age = refresh_age
    c.GenericOAuthenticator.allow_all = True
    if admin_users:
        c.Authenticator.admin_users = set(admin_users)
