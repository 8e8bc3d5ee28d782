"""The Hub side of envhub: what JupyterHub only accepts in Python.

``configure(c, ...)`` applies the settings envhub needs to a ``jupyterhub_config.py``: the managed
service and its roles, named servers, DockerSpawner, and an ``apply_user_options`` hook that trades
the launch ticket in ``user_options`` for the spawn configuration the envhub service resolved.
A user who calls the Hub API directly therefore never picks an image or a mount.
"""

import asyncio
import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from dockerspawner import DockerSpawner
from jupyterhub.utils import maybe_future
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets.log import get_logger

SERVICE_NAME = "envhub"
HOME = "/home/jovyan"
# The code of envhub's refusal to spawn a server it never launched (NOT_LAUNCHED in launcher.ts).
NOT_LAUNCHED = "not_launched"
# What every server's container gets, whatever it runs: no privilege escalation through setuid
# binaries, a cap on processes, and no raw sockets (nothing a notebook server needs; they let a
# process forge packets on the Docker bridge).
SECURITY_HOST_CONFIG = {"security_opt": ["no-new-privileges"], "pids_limit": 2048, "cap_drop": ["NET_RAW"]}
# Removals of refused servers in flight (asyncio keeps only weak references to tasks).
_removals = set()


def _drop_refused_server(spawner):
    """Removes the Hub's entry of a server envhub refused because it never launched it.

    The Hub creates the entry before ``apply_user_options`` runs, and keeps it after a refusal; it
    is removed here (as ``DELETE …/servers/<name>`` with ``{"remove": true}`` would) once the
    failed spawn has settled. The default server is every user's and stays.
    """
    user, name = spawner.user, spawner.name

    async def drop():
        if spawner._spawn_future is not None:
            await asyncio.wait([spawner._spawn_future])
        # Leave it if it was started again meanwhile, or replaced by a newer spawner.
        if not name or spawner.active or user.spawners.get(name, spawner) is not spawner:
            return
        if name not in user.orm_spawners:
            return
        try:
            await maybe_future(user._delete_spawner(spawner))
            user.db.delete(spawner.orm_spawner)
            user.spawners.pop(name, None)
            user.db.commit()
        except Exception:
            user.db.rollback()
            spawner.log.exception("Could not remove %s, which envhub did not launch", spawner._log_name)
            return
        spawner.log.info("Removed %s, which envhub did not launch", spawner._log_name)

    task = asyncio.ensure_future(drop())
    _removals.add(task)
    task.add_done_callback(_removals.discard)


async def remove_unstarted_container(spawner):
    """A ``post_stop_hook``: removes a container that was created but never ran.

    When Docker refuses to start a container (a volume that cannot be mounted, say), DockerSpawner
    leaves it created; with ``remove = True`` Docker only removes containers that ran. Left alone,
    it would hold the server's home volume.
    """
    if not spawner.remove:
        return
    container = await spawner.get_object()
    if container and not container["State"]["Running"]:
        await spawner.remove_object()


async def wait_until_answering(url, timeout, interval=0.05):
    """Returns once ``url`` answers HTTP with a status under 500; raises TimeoutError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    client = AsyncHTTPClient()
    while True:
        try:
            response = await client.fetch(
                url, raise_error=False, follow_redirects=False, connect_timeout=2, request_timeout=2
            )
            if response.code < 500:
                return
        except (OSError, HTTPClientError):
            # Not listening yet (Docker's published port accepts before the server does).
            pass
        if loop.time() >= deadline:
            raise TimeoutError(f"{url} did not answer in {timeout} seconds")
        await asyncio.sleep(interval)


class StartsWhenAnswering:
    """Spawner mixin: ``start`` returns once the server answers.

    JupyterHub then waits for the server with checks spaced 0.2, 0.4, 0.8 … up to 5 seconds apart,
    and notices a server that came up between two checks only at the next one: about a second of a
    public session's start. Checking every 50 ms here makes the Hub's first check succeed.
    """

    async def start(self):
        loop = asyncio.get_running_loop()
        began = loop.time()
        ip, port = await super().start()
        url = f"http://{ip}:{port}{self.server.base_url}api"
        # Within the Hub's start_timeout (which bounds this method): a slower server is left to the
        # Hub's own wait, up to http_timeout, as before.
        budget = min(self.http_timeout, self.start_timeout - (loop.time() - began) - 10)
        try:
            if budget > 0:
                await wait_until_answering(url, budget)
        except TimeoutError:
            pass
        return ip, port


class EnvhubSpawner(StartsWhenAnswering, DockerSpawner):
    """DockerSpawner whose ``start`` returns once the server answers."""


def make_apply_user_options(service_url, secret):
    """An ``apply_user_options`` hook asking the envhub service at ``service_url`` what to spawn."""

    async def apply_user_options(spawner, user_options):
        body = {
            "user": spawner.user.name,
            "server": spawner.name,
            "user_options": user_options or {},
        }
        request = HTTPRequest(
            service_url.rstrip("/") + "/api/internal/spawn-config",
            method="POST",
            headers={"Authorization": f"token {secret}", "Content-Type": "application/json"},
            body=json.dumps(body),
            request_timeout=30,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            refusal = {}
            if e.response is not None:
                try:
                    refusal = json.loads(e.response.body)
                except ValueError:
                    pass
            if not isinstance(refusal, dict):
                refusal = {}
            if refusal.get("code") == NOT_LAUNCHED:
                _drop_refused_server(spawner)
            message = refusal.get("message") or f"envhub refused the spawn ({e.code})"
            raise web.HTTPError(e.code if 400 <= e.code < 500 else 502, message)
        except OSError as e:
            raise web.HTTPError(502, f"the envhub service cannot be reached: {e}")
        config = json.loads(response.body)
        spawner.image = config["image"]
        spawner.volumes = config["volumes"]
        spawner.mounts = config["mounts"]
        spawner.environment = {**spawner.environment, **config["environment"]}
        if config.get("network"):
            # A public session without egress: its own firewalled network (ports still published).
            spawner.network_name = config["network"]
        spawner.mem_limit = config["mem_limit"]
        spawner.cpu_limit = config["cpu_limit"]
        # DockerSpawner leaves swap unset, and Docker then allows as much swap as memory again;
        # envhub sends memory + swap equal to memory (no swap) unless the site allows swap.
        host_config = {key: value for key, value in spawner.extra_host_config.items() if key != "memswap_limit"}
        if config.get("memswap_limit") is not None:
            host_config["memswap_limit"] = config["memswap_limit"]
        spawner.extra_host_config = host_config
        if config.get("volume_node"):
            # Swarm: the node holding the volumes envhub made (see envhub.swarm).
            spawner.volume_node = config["volume_node"]

    return apply_user_options


def make_visitor_guard(prefix, hook=None):
    """A ``post_auth_hook`` refusing sign-ins as a temporary visitor (names starting with ``prefix``).

    envhub makes those users for public sessions; nobody may sign in as one, whatever the
    authenticator accepts (the demo's accepts any name). ``hook``, the admin's own, runs after.
    """

    async def guard(authenticator, handler, authentication):
        name = (authentication or {}).get("name", "")
        if name.startswith(prefix):
            authenticator.log.warning("Refused sign-in as %r: envhub's temporary visitors cannot sign in", name)
            return None
        return await maybe_future(hook(authenticator, handler, authentication)) if hook else authentication

    return guard


def _secret(path):
    """A random secret kept in ``path``, created on first use (mode 0600)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


def configure(
    c,
    *,
    port=None,
    hub_ip=None,
    data_dir=None,
    service_command=None,
    proxy_command=None,
    base_image="envhub-base:latest",
    name_prefix="envhub",
    allowed_repo_hosts="",
    service_environment=None,
    single_sign_on_hosts=(),
    swarm=None,
    service_port=8090,
):
    """Apply envhub's settings to the JupyterHub config object ``c``.

    With ``port``, envhub's own hub (``make up``): the proxy listens on 127.0.0.1:``port``, its API
    on ``port + 1``, the Hub on ``hub_ip:port + 2`` and the envhub service on ``hub_ip:port + 3``,
    with its database, secrets and pid files in ``data_dir``, and ``proxy_command`` as the proxy.

    Without ``port``, envhub joins an existing Hub and keeps its authenticator, proxy, database,
    other services and roles: ``hub_ip`` defaults to the Docker bridge's address (the Hub listens
    there, on its ``hub_port``, unless the admin chose where), the service listens on
    ``hub_ip:service_port``, ``data_dir`` defaults to ``./envhub`` beside the Hub's database, and
    links use the Hub's ``public_url`` or ``bind_url``. The Hub's log says what was set.

    Either way the addresses are ones containers reach: the nbgrader exchange in every server calls
    the service with the server's own token. ``service_command`` defaults to the service the
    ``envhub`` package carries (``envhub.service``).

    ``single_sign_on_hosts``: hosts (``name`` or ``name:port``) for which a user's access token in
    the authenticator's auth_state (single sign-on through OAuthenticator, ``enable_auth_state``)
    is their credential; the service may then read users' auth_state.

    ``swarm``: servers as services of a Docker Swarm instead of containers of the local engine
    (README, "Docker Swarm"), a dict with ``manager`` (a manager's Docker URL, e.g.
    ``unix:///var/run/docker.sock`` on a manager node), ``registry`` (``host:port`` every node pulls
    from; envhub pushes what it builds there), optional ``network`` (an attachable overlay network),
    ``volume_driver`` / ``volume_driver_options`` (a network volume driver for homes) and ``engines``
    (the other nodes' Docker URLs, which usage accounting reads besides the manager's). Builds stay
    on the local engine; ``hub_ip`` must be an address every node's containers reach.
    """
    standalone = port is not None
    if not standalone:
        hub_ip = hub_ip or docker_bridge_address()
    data_dir = Path(data_dir or Path.cwd() / "envhub")
    data_dir.mkdir(parents=True, exist_ok=True)
    service_url = f"http://{hub_ip}:{port + 3 if standalone else service_port}"
    service_prefix = f"/services/{SERVICE_NAME}/"
    internal_secret = _secret(data_dir / "envhub-internal-secret")
    if service_command is None:
        from .service import service_command as bundled_service

        service_command = bundled_service()

    if standalone:
        public_url = proxy_url = f"http://127.0.0.1:{port}"
        c.JupyterHub.bind_url = public_url
        c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 1}"
        c.ConfigurableHTTPProxy.command = list(proxy_command)
        c.ConfigurableHTTPProxy.pid_file = str(data_dir / "proxy.pid")
        c.JupyterHub.hub_bind_url = f"http://{hub_ip}:{port + 2}"
        c.JupyterHub.hub_connect_url = f"http://{hub_ip}:{port + 2}"
        c.JupyterHub.db_url = f"sqlite:///{data_dir / 'jupyterhub.sqlite'}"
        c.JupyterHub.cookie_secret_file = str(data_dir / "jupyterhub_cookie_secret")
        c.JupyterHub.pid_file = str(data_dir / "jupyterhub.pid")
    else:
        public_url, proxy_url = _existing_hub_urls(c)
        if not any(name in c.JupyterHub for name in ("hub_bind_url", "hub_ip", "hub_connect_url", "hub_connect_ip")):
            hub_url = f"http://{hub_ip}:{c.JupyterHub.get('hub_port', 8081)}"
            c.JupyterHub.hub_bind_url = hub_url
            c.JupyterHub.hub_connect_url = hub_url
    c.JupyterHub.allow_named_servers = True

    others = [s for s in c.JupyterHub.get("services", []) if s.get("name") != SERVICE_NAME]
    c.JupyterHub.services = others + [
        {
            "name": SERVICE_NAME,
            "url": service_url,
            "command": list(service_command),
            "oauth_no_confirm": True,
            "environment": {
                "ENVHUB_INTERNAL_SECRET": internal_secret,
                "ENVHUB_DATA_DIR": str(data_dir),
                "ENVHUB_NAME_PREFIX": name_prefix,
                "ENVHUB_BASE_IMAGE": base_image,
                "ENVHUB_ALLOWED_REPO_HOSTS": allowed_repo_hosts,
                # Where browsers reach the hub; links never come from request headers.
                "ENVHUB_PUBLIC_URL": public_url,
                # Where the service reaches users' servers (course materials are pulled inside them).
                "ENVHUB_PROXY_URL": proxy_url,
                **({"ENVHUB_SSO_HOSTS": ",".join(single_sign_on_hosts)} if single_sign_on_hosts else {}),
                **(
                    {
                        "ENVHUB_SWARM_MANAGER": swarm["manager"],
                        "ENVHUB_REGISTRY": swarm["registry"],
                        "ENVHUB_SWARM_ENGINES": ",".join(swarm.get("engines") or []),
                    }
                    if swarm
                    else {}
                ),
                **(service_environment or {}),
            },
        }
    ]
    c.JupyterHub.load_roles = _with_envhub_roles(c.JupyterHub.get("load_roles", []), [
        # Start, stop, follow and describe users' servers (the model includes started and
        # last_activity, which the reaper reads); share them with collaborators, checking their
        # names first and listing group members (shared with one by one: JupyterHub 6.1 ignores group
        # shares in tokens). `shares` implies `access:servers`: a token only grants what it holds.
        # Public sessions: create a temporary user per visitor, a token for that user's one server,
        # and delete the user at the end. `admin:users` cannot be narrowed to users that do not exist
        # yet; it does not let the service make admins. Quotas and the admins' usage page read
        # every group's members (`list:groups`).
        {
            "name": "envhub-service",
            "scopes": ["servers", "shares", "read:users:name", "read:groups", "list:groups", "admin:users", "tokens"]
            # Single sign-on tokens as credentials: the access token in users' auth_state.
            + (["admin:auth_state"] if single_sign_on_hosts else []),
            "services": [SERVICE_NAME],
        },
        # Every user may use envhub (its pages, and its API from a server with the page token).
        {"name": "user", "scopes": ["self", f"access:services!service={SERVICE_NAME}"]},
    ])

    if swarm:
        from .swarm import EnvhubSwarmSpawner

        c.JupyterHub.spawner_class = EnvhubSwarmSpawner
        c.SwarmSpawner.client_kwargs = {"base_url": swarm["manager"]}
        c.SwarmSpawner.network_name = swarm.get("network") or ""
        c.SwarmSpawner.volume_driver = swarm.get("volume_driver") or ""
        c.SwarmSpawner.volume_driver_options = dict(swarm.get("volume_driver_options") or {})
    else:
        c.JupyterHub.spawner_class = EnvhubSpawner
        c.DockerSpawner.post_stop_hook = remove_unstarted_container
    c.DockerSpawner.image = f"{swarm['registry']}/{base_image}" if swarm else base_image
    c.DockerSpawner.pull_policy = "never"
    c.DockerSpawner.remove = True
    c.DockerSpawner.prefix = name_prefix
    c.DockerSpawner.host_ip = "127.0.0.1"
    c.DockerSpawner.use_internal_ip = False
    c.DockerSpawner.notebook_dir = HOME
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
    c.DockerSpawner.extra_host_config = dict(SECURITY_HOST_CONFIG)
    # Where code in a server reaches envhub's API (the nbgrader exchange), with the server's token.
    c.DockerSpawner.environment = {"ENVHUB_SERVICE_URL": service_url + service_prefix}
    c.Spawner.default_url = "/lab"
    c.Spawner.http_timeout = 120
    c.Spawner.oauth_client_allowed_scopes = [f"access:services!service={SERVICE_NAME}"]
    c.Spawner.apply_user_options = make_apply_user_options(service_url + service_prefix, internal_secret)
    # Temporary visitors' names are envhub's alone: nobody signs in as one.
    admin_hook = c.Authenticator.post_auth_hook if "post_auth_hook" in c.Authenticator else None
    c.Authenticator.post_auth_hook = make_visitor_guard(f"{name_prefix}-visitor-", admin_hook)
    # After sign-in, land on envhub's page rather than spawning a default server.
    c.JupyterHub.default_url = service_prefix
    c.JupyterHub.redirect_to_server = False
    if not standalone:
        get_logger().info(
            "envhub: added the service %r at %s (data in %s), its roles and the user role's access to "
            "it, named servers, %s with envhub's spawn settings, the visitor sign-in guard, and %s as "
            "the landing page; the Hub listens at %s; the authenticator, proxy, database and %d other "
            "service(s) are the admin's",
            SERVICE_NAME,
            service_url,
            data_dir,
            c.JupyterHub.spawner_class.__name__,
            service_prefix,
            c.JupyterHub.get("hub_bind_url", "the admin's address"),
            len(others),
        )


def _existing_hub_urls(c):
    """Where browsers reach an existing Hub (its ``public_url``, else its ``bind_url``) and where the
    service on the same machine reaches its proxy."""
    bind = urlsplit(c.JupyterHub.get("bind_url", "http://:8000"))
    host = bind.hostname if bind.hostname not in (None, "", "0.0.0.0", "::") else "127.0.0.1"
    proxy_url = f"{bind.scheme}://{host}:{bind.port or (443 if bind.scheme == 'https' else 80)}"
    public = c.JupyterHub.get("public_url") or proxy_url
    return public.rstrip("/"), proxy_url


def _with_envhub_roles(roles, envhub_roles):
    """The admin's roles with envhub's: a ``user`` role of the admin's gains envhub's scopes."""
    roles = [dict(role) for role in roles if role.get("name") != "envhub-service"]
    for extra in envhub_roles:
        mine = next((role for role in roles if role.get("name") == extra["name"]), None)
        if mine is None:
            roles.append(extra)
        else:
            mine["scopes"] = list(mine.get("scopes", [])) + [s for s in extra["scopes"] if s not in mine.get("scopes", [])]
    return roles


def docker_bridge_address(interface="docker0"):
    """The IPv4 address of Docker's bridge, where containers reach the host."""
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", interface], capture_output=True, text=True, check=True
        ).stdout
        return out.split()[3].split("/")[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        raise RuntimeError(
            f"cannot find the address of Docker's bridge ({interface}); pass hub_ip= an address containers reach"
        ) from None
