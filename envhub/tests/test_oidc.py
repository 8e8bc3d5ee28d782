"""Sign-in with an OpenID Connect provider: discovery against a real HTTP server on loopback, and the
Hub configuration it makes, read back through OAuthenticator's and JupyterHub's real classes."""

import json
import os
import socket
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jupyterhub.crypto import CryptKeeper
from oauthenticator.generic import GenericOAuthenticator
from traitlets.config import Config

from envhub import oidc

REALM = "/realms/uni"
DISCOVERY = REALM + "/.well-known/openid-configuration"


def discovery_document(base, **overrides):
    document = {
        "issuer": base + REALM,
        "authorization_endpoint": base + REALM + "/protocol/openid-connect/auth",
        "token_endpoint": base + REALM + "/protocol/openid-connect/token",
        "userinfo_endpoint": base + REALM + "/protocol/openid-connect/userinfo",
        "jwks_uri": base + REALM + "/protocol/openid-connect/certs",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


class Provider:
    """An HTTP server on 127.0.0.1 answering each path with a canned (status, body); 404 otherwise."""

    def __init__(self):
        self.answers = {}
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = answers.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = self.base + REALM
        self.url = self.base + DISCOVERY
        # A short poll interval: shutdown() waits for it.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def serve(self, body, status=200):
        self.answers[DISCOVERY] = (status, body if isinstance(body, bytes) else json.dumps(body).encode())


@pytest.fixture
def provider():
    p = Provider()
    p.serve(discovery_document(p.base))
    yield p
    p.server.shutdown()
    p.server.server_close()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------ discovery


def test_discovery_returns_the_provider_s_document(provider):
    assert oidc.discover(provider.issuer) == discovery_document(provider.base)


def test_discovery_accepts_an_issuer_with_a_trailing_slash(provider):
    assert oidc.discover(provider.issuer + "/")["token_endpoint"] == provider.issuer + "/protocol/openid-connect/token"


def test_a_document_without_an_endpoint_is_refused_naming_what_it_lacks(provider):
    provider.serve(discovery_document(provider.base, token_endpoint=None, userinfo_endpoint=""))
    with pytest.raises(SystemExit) as refusal:
        oidc.discover(provider.issuer)
    assert str(refusal.value) == f"the OpenID Connect discovery document {provider.url} lacks token_endpoint, userinfo_endpoint"


@pytest.mark.parametrize(
    "status, body",
    [
        (200, b"<html>Sign in</html>"),
        (404, b"not found"),
        (500, b"{}"),
    ],
)
def test_an_unreadable_document_is_refused_naming_its_url(provider, status, body):
    provider.serve(body, status)
    with pytest.raises(SystemExit, match=f"cannot read the OpenID Connect discovery document {provider.url}: "):
        oidc.discover(provider.issuer)


def test_a_provider_that_is_not_listening_is_refused_naming_the_url():
    url = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"
    with pytest.raises(SystemExit, match=f"cannot read the OpenID Connect discovery document {url}: .*refused"):
        oidc.discover(url.removesuffix("/.well-known/openid-configuration"), timeout=2)


# ------------------------------------------------------------------------------------ configure_oidc


@pytest.fixture
def no_crypt_key(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_CRYPT_KEY", raising=False)


def oidc_config(provider, data_dir, **overrides):
    c = Config()
    oidc.configure_oidc(
        c,
        **{
            "issuer": provider.issuer,
            "client_id": "envhub",
            "client_secret": "s3cret",
            "data_dir": data_dir,
            **overrides,
        },
    )
    return c


def test_the_hub_signs_in_with_the_provider_s_endpoints(provider, tmp_path, no_crypt_key):
    c = oidc_config(provider, tmp_path, username_claim="email", scopes=("openid", "email", "groups"))
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    auth = GenericOAuthenticator(config=c)
    assert (auth.client_id, auth.client_secret) == ("envhub", "s3cret")
    assert auth.authorize_url == provider.issuer + "/protocol/openid-connect/auth"
    assert auth.token_url == provider.issuer + "/protocol/openid-connect/token"
    assert auth.userdata_url == provider.issuer + "/protocol/openid-connect/userinfo"
    assert auth.username_claim == "email"
    assert auth.scope == ["openid", "email", "groups"]
    assert auth.login_service == provider.issuer
    assert auth.enable_auth_state is True


def test_the_defaults_name_users_by_preferred_username_and_let_everyone_in(provider, tmp_path, no_crypt_key):
    c = oidc_config(provider, tmp_path)
    assert "admin_users" not in c.Authenticator
    auth = GenericOAuthenticator(config=c)
    assert auth.username_claim == "preferred_username"
    assert auth.scope == ["openid", "profile", "email"]
    assert auth.allow_all is True
    assert auth.allowed_groups == set()


def test_a_provider_it_cannot_discover_stops_the_configuration(tmp_path, no_crypt_key):
    c = Config()
    with pytest.raises(SystemExit, match="cannot read the OpenID Connect discovery document"):
        oidc.configure_oidc(
            c, issuer=f"http://127.0.0.1:{closed_port()}", client_id="x", client_secret="y", data_dir=tmp_path
        )
    assert "authenticator_class" not in c.JupyterHub


def test_access_tokens_are_checked_again_after_refresh_age(provider, tmp_path, no_crypt_key):
    assert GenericOAuthenticator(config=oidc_config(provider, tmp_path)).auth_refresh_age == 300
    assert GenericOAuthenticator(config=oidc_config(provider, tmp_path, refresh_age=60)).auth_refresh_age == 60


def test_admin_users_are_hub_admins(provider, tmp_path, no_crypt_key):
    c = oidc_config(provider, tmp_path, admin_users=["ada", "grace"])
    assert GenericOAuthenticator(config=c).admin_users == {"ada", "grace"}


# ------------------------------------------------------------------------------------ auth_state key


def test_without_jupyterhub_crypt_key_a_private_key_is_kept_in_the_data_directory(provider, tmp_path, no_crypt_key):
    data_dir = tmp_path / "data"
    first = oidc_config(provider, data_dir)
    key_file = data_dir / "auth-state-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.CryptKeeper["keys"] == [key_file.read_text().strip()]
    # The Hub restarted: the same key, so auth_state stored before can still be read.
    second = oidc_config(provider, data_dir)
    assert second.CryptKeeper["keys"] == first.CryptKeeper["keys"]
    keeper = CryptKeeper(config=first)
    again = CryptKeeper(config=second)
    assert again._decrypt(keeper._encrypt({"access_token": "t"})) == {"access_token": "t"}


def test_each_data_directory_gets_its_own_key(provider, tmp_path, no_crypt_key):
    a = oidc_config(provider, tmp_path / "a").CryptKeeper["keys"]
    b = oidc_config(provider, tmp_path / "b").CryptKeeper["keys"]
    assert a != b


def test_jupyterhub_crypt_key_is_used_and_no_key_file_written(provider, tmp_path, monkeypatch):
    key = "ab" * 32
    monkeypatch.setenv("JUPYTERHUB_CRYPT_KEY", key)
    c = oidc_config(provider, tmp_path)
    assert c.CryptKeeper["keys"] == [key]
    assert not (tmp_path / "auth-state-key").exists()
