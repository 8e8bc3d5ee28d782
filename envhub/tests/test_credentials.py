"""A server's copy of its owner's credentials: written for the server's user only, refreshed from
the service with the server's own token, and handed to git by the credential helper."""

import asyncio
import io
import json
import logging
import stat
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from envhub import credentials

CREDENTIALS = {"forge.example.org": {"username": "alice", "token": "t0ken"}}


def test_written_atomically_and_readable_by_its_user_only(tmp_path):
    path = tmp_path / "run" / "envhub" / "credentials.json"
    credentials.write_credentials(CREDENTIALS, path)
    assert json.loads(path.read_text()) == CREDENTIALS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    credentials.write_credentials({}, path)
    assert json.loads(path.read_text()) == {}
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]


def helper(stdin, path, argv=("get",)):
    out = io.StringIO()
    credentials.git_credential_main(list(argv), io.StringIO(stdin), out, path)
    return out.getvalue()


def test_the_git_helper_answers_for_known_hosts_only(tmp_path):
    path = tmp_path / "credentials.json"
    credentials.write_credentials(
        {**CREDENTIALS, "cloud.example.org:8443": {"username": "al", "token": "pw"}}, path
    )
    assert helper("protocol=https\nhost=forge.example.org\n", path) == "username=alice\npassword=t0ken\n"
    assert helper("protocol=https\nhost=forge.example.org:443\n", path) == "username=alice\npassword=t0ken\n"
    assert helper("protocol=https\nhost=cloud.example.org:8443\n", path) == "username=al\npassword=pw\n"
    assert helper("protocol=https\nhost=other.example.org\n", path) == ""
    # store and erase are git's business; without a file there is nothing to say.
    assert helper("protocol=https\nhost=forge.example.org\n", path, ("store",)) == ""
    assert helper("protocol=https\nhost=forge.example.org\n", tmp_path / "missing.json") == ""


class Service(BaseHTTPRequestHandler):
    seen = []

    def do_GET(self):
        Service.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "token server-token":
            self.send_response(403)
            self.end_headers()
            return
        body = json.dumps({"credentials": CREDENTIALS}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_refresh_reads_them_with_the_server_token_and_says_why_not(tmp_path, caplog):
    server = HTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environ = {
        "ENVHUB_SERVICE_URL": f"http://127.0.0.1:{server.server_port}/services/envhub/",
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "thesis",
        "JUPYTERHUB_API_TOKEN": "server-token",
    }
    path = tmp_path / "credentials.json"
    log = logging.getLogger("test")
    try:
        assert asyncio.run(credentials.refresh(log, path, environ)) is True
        assert Service.seen[-1] == ("/services/envhub/api/servers/alice/thesis/credentials", "token server-token")
        assert json.loads(path.read_text()) == CREDENTIALS
        with caplog.at_level(logging.WARNING):
            refused = asyncio.run(credentials.refresh(log, tmp_path / "x.json", {**environ, "JUPYTERHUB_API_TOKEN": "no"}))
        assert refused is False
        assert "HTTP 403" in caplog.text
        assert "t0ken" not in caplog.text
    finally:
        server.shutdown()
