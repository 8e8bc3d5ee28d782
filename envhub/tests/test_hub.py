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
