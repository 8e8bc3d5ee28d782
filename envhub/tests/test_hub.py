"""The Hub glue's readiness wait: servers are handed to JupyterHub once they answer."""

import asyncio
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from traitlets.config import Config

from envhub.hub import configure, wait_until_answering


class Answer(BaseHTTPRequestHandler):
    status = 404

    def do_GET(self):
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_after(port, delay, handler=Answer):
    """An HTTP server on ``port`` that starts listening ``delay`` seconds from now."""
    server = {}

    def run():
        time.sleep(delay)
        server["http"] = HTTPServer(("127.0.0.1", port), handler)
        server["http"].serve_forever()

    threading.Thread(target=run, daemon=True).start()
    return server


def test_returns_soon_after_the_server_starts_answering():
    port = free_port()
    server = serve_after(port, 0.5)
    started = time.monotonic()
    asyncio.run(wait_until_answering(f"http://127.0.0.1:{port}/user/a/b/api", timeout=10))
    elapsed = time.monotonic() - started
    server["http"].shutdown()
    # Any answer under 500 counts (a 404 too, as for JupyterHub), and it is noticed within ~0.1 s.
    assert 0.5 <= elapsed < 0.9


def test_keeps_waiting_through_server_errors_and_gives_up_at_the_timeout():
    class Failing(Answer):
        status = 503

    port = free_port()
    server = serve_after(port, 0, Failing)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        asyncio.run(wait_until_answering(f"http://127.0.0.1:{port}/api", timeout=0.6))
    assert time.monotonic() - started >= 0.6
    server["http"].shutdown()


# ------------------------------------------------------------------------------------ configure


def hub_config(data_dir, **overrides):
    c = Config()
    configure(
        c,
        **{
            "port": 8700,
            "hub_ip": "172.17.0.1",
            "data_dir": data_dir,
            "service_command": ["node", "service/dist/server.js"],
            "proxy_command": ["configurable-http-proxy"],
            "base_image": "envhub-base",
            **overrides,
        },
    )
    return c


def envhub_service(c):
    (service,) = [s for s in c.JupyterHub.services if s["name"] == "envhub"]
    return service


def envhub_service_scopes(c):
    (role,) = [r for r in c.JupyterHub.load_roles if r["name"] == "envhub-service"]
    return role["scopes"]


def test_single_sign_on_hosts_reach_the_service_which_may_then_read_auth_state(tmp_path):
    c = hub_config(tmp_path, single_sign_on_hosts=["cloud.example.org", "forge.example.org:8443"])
    assert envhub_service(c)["environment"]["ENVHUB_SSO_HOSTS"] == "cloud.example.org,forge.example.org:8443"
    assert "admin:auth_state" in envhub_service_scopes(c)


def test_without_single_sign_on_hosts_the_service_cannot_read_auth_state(tmp_path):
    c = hub_config(tmp_path)
    assert "ENVHUB_SSO_HOSTS" not in envhub_service(c)["environment"]
    assert "admin:auth_state" not in envhub_service_scopes(c)


def test_on_a_swarm_the_service_gets_the_manager_the_registry_and_the_nodes_usage_reads(tmp_path):
    c = hub_config(
        tmp_path,
        swarm={
            "manager": "unix:///run/n1.sock",
            "registry": "10.0.0.1:5000",
            "engines": ["tcp://10.0.0.12:2375", "tcp://10.0.0.13:2375"],
        },
    )
    environment = envhub_service(c)["environment"]
    assert environment["ENVHUB_SWARM_MANAGER"] == "unix:///run/n1.sock"
    assert environment["ENVHUB_REGISTRY"] == "10.0.0.1:5000"
    assert environment["ENVHUB_SWARM_ENGINES"] == "tcp://10.0.0.12:2375,tcp://10.0.0.13:2375"
    assert c.DockerSpawner.image == "10.0.0.1:5000/envhub-base"


def test_added_to_an_existing_hub_it_keeps_the_admins_choices_and_says_what_it_set(tmp_path, monkeypatch, caplog):
    c = Config()
    c.JupyterHub.authenticator_class = "github"
    c.JupyterHub.bind_url = "http://0.0.0.0:9000"
    c.JupyterHub.public_url = "https://hub.example.org/"
    c.JupyterHub.db_url = "postgresql://hub@db/hub"
    c.ConfigurableHTTPProxy.should_start = False
    c.JupyterHub.services = [{"name": "grafana", "url": "http://127.0.0.1:3000"}]
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", "read:groups"]},
        {"name": "monitoring", "services": ["grafana"], "scopes": ["read:metrics"]},
    ]
    monkeypatch.chdir(tmp_path)
    import envhub.hub

    monkeypatch.setattr(envhub.hub, "docker_bridge_address", lambda: "172.17.0.1")
    with caplog.at_level("INFO"):
        configure(c, service_command=["node", "server.mjs"])

    # The admin's sign-in, proxy, database and services stay.
    assert c.JupyterHub.authenticator_class == "github"
    assert c.JupyterHub.bind_url == "http://0.0.0.0:9000"
    assert c.JupyterHub.db_url == "postgresql://hub@db/hub"
    assert c.ConfigurableHTTPProxy.should_start is False
    assert "command" not in c.ConfigurableHTTPProxy
    assert [s["name"] for s in c.JupyterHub.services] == ["grafana", "envhub"]
    # Containers reach the Hub and the service on the Docker bridge.
    assert c.JupyterHub.hub_bind_url == "http://172.17.0.1:8081"
    service = envhub_service(c)
    assert service["url"] == "http://172.17.0.1:8090"
    assert service["environment"]["ENVHUB_PUBLIC_URL"] == "https://hub.example.org"
    assert service["environment"]["ENVHUB_PROXY_URL"] == "http://127.0.0.1:9000"
    assert service["environment"]["ENVHUB_DATA_DIR"] == str(tmp_path / "envhub")
    # The admin's user role gains envhub's access; their other roles stay.
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", "read:groups", "access:services!service=envhub"]
    assert roles["monitoring"]["scopes"] == ["read:metrics"]
    assert "envhub-service" in roles
    assert "added the service 'envhub' at http://172.17.0.1:8090" in caplog.text
    assert "1 other service(s) are the admin's" in caplog.text


def test_on_an_existing_hub_an_address_the_admin_chose_for_the_hub_stays(tmp_path, monkeypatch):
    c = Config()
    c.JupyterHub.hub_ip = "10.0.0.1"
    monkeypatch.chdir(tmp_path)
    configure(c, hub_ip="10.0.0.1", service_command=["node", "server.mjs"])
    assert "hub_bind_url" not in c.JupyterHub
    assert envhub_service(c)["url"] == "http://10.0.0.1:8090"
    # Configured twice (a reloaded config): one envhub service, one envhub-service role.
    configure(c, hub_ip="10.0.0.1", service_command=["node", "server.mjs"])
    assert [s["name"] for s in c.JupyterHub.services] == ["envhub"]
    assert [r["name"] for r in c.JupyterHub.load_roles].count("envhub-service") == 1
