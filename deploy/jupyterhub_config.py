# JupyterHub configuration for envhub, driven by ENVHUB_* environment variables (see README).
# Site choices (sign-in, limits) live here; envhub's own requirements come from envhub.hub.configure.
import json
import os
from pathlib import Path

from envhub.hub import configure
from envhub.service import service_command

c = get_config()  # noqa: F821 (provided by JupyterHub)
root = Path(__file__).resolve().parent.parent


def swarm_settings():
    """Servers on a Docker Swarm when ENVHUB_SWARM_MANAGER is set (README, "Docker Swarm")."""
    manager = os.environ.get("ENVHUB_SWARM_MANAGER")
    if not manager:
        return None
    if not os.environ.get("ENVHUB_REGISTRY"):
        raise SystemExit("ENVHUB_REGISTRY (host:port of the registry every node pulls from) is required with ENVHUB_SWARM_MANAGER")
    try:
        # A JSON object, e.g. {"type": "nfs", "o": "addr=10.0.0.5,rw", "device": ":/export/homes"}.
        options = json.loads(os.environ.get("ENVHUB_SWARM_VOLUME_DRIVER_OPTIONS") or "{}")
    except ValueError as e:
        raise SystemExit(f"ENVHUB_SWARM_VOLUME_DRIVER_OPTIONS is not a JSON object: {e}")
    return {
        "manager": manager,
        "registry": os.environ["ENVHUB_REGISTRY"],
        "network": os.environ.get("ENVHUB_SWARM_NETWORK", ""),
        "volume_driver": os.environ.get("ENVHUB_SWARM_VOLUME_DRIVER", ""),
        "volume_driver_options": options,
        "engines": [url.strip() for url in os.environ.get("ENVHUB_SWARM_ENGINES", "").split(",") if url.strip()],
    }


configure(
    c,
    port=int(os.environ.get("ENVHUB_PORT", "8000")),
    hub_ip=os.environ["ENVHUB_HUB_IP"],
    data_dir=os.environ["ENVHUB_DATA_DIR"],
    # The service as the envhub wheel carries it (envhub/bundle), as an installed envhub runs it.
    service_command=service_command(),
    # configurable-http-proxy, preloaded with fixes (see deploy/proxy-fixes.mjs): a client's response
    # is cut off when the upstream dies mid-response (or a killed service's launch stream never
    # ends), and a malformed percent-escape in a path is a 400, not the proxy's 500.
    proxy_command=[
        "node",
        "--import",
        str(root / "deploy" / "proxy-fixes.mjs"),
        str(root / "node_modules" / "configurable-http-proxy" / "bin" / "configurable-http-proxy"),
    ],
    base_image=os.environ.get("ENVHUB_BASE_IMAGE", "envhub-base:latest"),
    name_prefix=os.environ.get("ENVHUB_NAME_PREFIX", "envhub"),
    allowed_repo_hosts=os.environ.get("ENVHUB_ALLOWED_REPO_HOSTS", ""),
    single_sign_on_hosts=[h.strip() for h in os.environ.get("ENVHUB_SSO_HOSTS", "").split(",") if h.strip()],
    swarm=swarm_settings(),
    service_environment={
        name: os.environ[name]
        for name in (
            "ENVHUB_PUBLIC_URL",
            "ENVHUB_IMAGE_CACHE_BUDGET",
            "ENVHUB_STRICT_RUNTIME",
            "ENVHUB_PIP_INDEX_URL",
            "ENVHUB_APT_MIRROR",
            "ENVHUB_BUILD_MEMORY",
            "ENVHUB_BUILD_CPUS",
            "ENVHUB_CONFIG",
            "ENVHUB_CREDENTIALS_KEY_FILE",
            "ENVHUB_WEBDAV_DRIVER",
            "ENVHUB_DOCKER_PLUGIN_DIR",
            "ENVHUB_USAGE_INTERVAL",
        )
        if os.environ.get(name)
    },
)

if os.environ.get("ENVHUB_OIDC_ISSUER"):
    # Single sign-on with the institution's OpenID Connect provider (README, "Single sign-on").
    from envhub.oidc import configure_oidc

    def oidc_list(name, default=""):
        return [v.strip() for v in os.environ.get(f"ENVHUB_OIDC_{name}", default).split(",") if v.strip()]

    for name in ("CLIENT_ID", "CLIENT_SECRET"):
        if not os.environ.get(f"ENVHUB_OIDC_{name}"):
            raise SystemExit(f"ENVHUB_OIDC_{name} is required with ENVHUB_OIDC_ISSUER (README, Single sign-on)")
    configure_oidc(
        c,
        issuer=os.environ["ENVHUB_OIDC_ISSUER"],
        client_id=os.environ["ENVHUB_OIDC_CLIENT_ID"],
        client_secret=os.environ["ENVHUB_OIDC_CLIENT_SECRET"],
        data_dir=os.environ["ENVHUB_DATA_DIR"],
        username_claim=os.environ.get("ENVHUB_OIDC_USERNAME_CLAIM") or "preferred_username",
        scopes=oidc_list("SCOPES", "openid,profile,email"),
        admin_users=oidc_list("ADMIN_USERS"),
        refresh_age=int(os.environ.get("ENVHUB_OIDC_REFRESH_AGE") or 300),
    )
elif os.environ.get("ENVHUB_LTI13_ISSUER"):
    # Sign-in by LTI 1.3 launches from a learning platform, into envhub classes (README, "Learning
    # platforms (LTI 1.3)").
    from envhub.lti import configure_lti13

    def lti_setting(name):
        value = os.environ.get(f"ENVHUB_LTI13_{name}", "").strip()
        if not value:
            raise SystemExit(f"ENVHUB_LTI13_{name} is required with ENVHUB_LTI13_ISSUER (README, Learning platforms)")
        return value

    configure_lti13(
        c,
        issuer=lti_setting("ISSUER"),
        client_id=[i.strip() for i in lti_setting("CLIENT_ID").split(",") if i.strip()],
        authorize_url=lti_setting("AUTHORIZE_URL"),
        jwks_endpoint=lti_setting("JWKS_ENDPOINT"),
        username_key=os.environ.get("ENVHUB_LTI13_USERNAME_KEY") or "email",
        admin_users=[u.strip() for u in os.environ.get("ENVHUB_LTI13_ADMIN_USERS", "").split(",") if u.strip()],
    )
else:
    # Local demo sign-in: any user name with the shared password. `admin` is a Hub admin.
    # For an institution's single sign-on set ENVHUB_OIDC_ISSUER (README, "Single sign-on").
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["ENVHUB_DEMO_PASSWORD"]
    c.Authenticator.allow_all = True
    c.Authenticator.admin_users = {"admin"}
