"""Course materials from a private repository: a real git repository served over smart HTTP on
127.0.0.1 that answers only requests with the owner's Authorization header, as a forge does."""

import base64
import json
import logging
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tornado.httpclient import HTTPClientError

from envhub import materials, serverextension

from .conftest import git

TOKEN = "forge-token-of-alice-51c2"
HEADER = "Basic " + base64.b64encode(f"alice:{TOKEN}".encode()).decode()
# Every form in which the secret could leak.
SECRETS = [TOKEN, HEADER.split()[1]]


class Forge:
    """``git http-backend`` over the repositories of ``root``, for requests signed in with HEADER."""

    def __init__(self, root):
        forge = self
        self.requests: list[tuple[str, str | None]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                forge.serve(self)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.root = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"{self.origin}/{name}.git"

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        authorization = request.headers.get("Authorization")
        self.requests.append((request.path, authorization))
        if authorization != HEADER:
            request.send_response(401)
            request.send_header("WWW-Authenticate", 'Basic realm="forge"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        path, _, query = request.path.partition("?")
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": request.command,
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        for name in ("Content-Encoding", "Git-Protocol"):
            if request.headers.get(name):
                env["HTTP_" + name.upper().replace("-", "_")] = request.headers[name]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        cgi = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=True)
        head, _, content = cgi.stdout.partition(b"\r\n\r\n")
        fields = [line.split(":", 1) for line in head.decode().split("\r\n")]
        status = next((int(v.split()[0]) for k, v in fields if k.lower() == "status"), 200)
        request.send_response(status)
        for name, value in fields:
            if name.lower() != "status":
                request.send_header(name, value.strip())
        request.send_header("Content-Length", str(len(content)))
        request.end_headers()
        request.wfile.write(content)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def forge(tmp_path):
    # The conftest's upstream repositories are bare under tmp_path/remotes.
    (tmp_path / "remotes").mkdir(exist_ok=True)
    served = Forge(tmp_path / "remotes")
    yield served
    served.stop()


@pytest.fixture
def put(jp_fetch):
    """PUTs a materials list with its authorizations, as the service does before its pull."""

    async def send(entries, authorizations=None):
        body = {"materials": entries}
        if authorizations is not None:
            body["authorizations"] = authorizations
        r = await jp_fetch("envhub", "api", "materials", method="PUT", body=json.dumps(body))
        return json.loads(r.body)["materials"]

    return send


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


async def test_a_private_entry_is_pulled_with_its_authorization_for_that_pull_only(
    api, put, upstream, forge, jp_root_dir, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = upstream("secret", {"answers.ipynb": "42\n"})
    open_ = upstream("week1")
    url = forge.url("secret")
    await put(
        [{"repo": open_.url}, {"repo": url}],
        [None, {"origin": forge.origin, "value": HEADER}],
    )
    pulled = await api.pull()
    assert [(e["index"], e["phase"]) for e in pulled if e["phase"] != "syncing"] == [
        (0, "finished"),
        (1, "finished"),
    ], pulled
    assert (jp_root_dir / "secret" / "answers.ipynb").read_text() == "42\n"
    assert git(jp_root_dir / "secret", "rev-parse", "HEAD") == secret.head()
    # Every request of the pull was signed in; the forge saw the header, nobody else did.
    assert forge.requests and all(auth == HEADER for _, auth in forge.requests[-3:])
    stored = (jp_root_dir / ".envhub" / "materials.json").read_text()
    assert_no_secret(stored)
    assert "authorization" not in stored.lower()
    assert_no_secret((jp_root_dir / "secret" / ".git" / "config").read_text())
    assert_no_secret(json.dumps(pulled))
    assert_no_secret(caplog.text)

    # The authorization went with that pull: the next one is anonymous, and the forge refuses it.
    secret.write("more.ipynb", "43\n")
    secret.push("more")
    again = await api.pull(1)
    assert again[-1]["phase"] == "error", again
    assert not (jp_root_dir / "secret" / "more.ipynb").exists()
    assert forge.requests[-1][1] is None
    assert_no_secret(json.dumps(again) + (jp_root_dir / ".envhub" / "materials.json").read_text())


async def test_without_the_authorization_the_private_entry_is_not_pulled(
    api, put, upstream, forge, jp_root_dir
):
    upstream("secret")
    await put([{"repo": forge.url("secret")}])
    pulled = await api.pull()
    assert pulled[-1]["phase"] == "error" and pulled[-1]["index"] == 0, pulled
    assert not (jp_root_dir / "secret").exists()
    assert {auth for _, auth in forge.requests} == {None}


async def test_an_authorization_waits_only_briefly_for_its_pull(
    api, put, upstream, forge, jp_root_dir, monkeypatch
):
    upstream("secret")
    monkeypatch.setattr(serverextension, "AUTHORIZATION_WAIT", 0)
    await put([{"repo": forge.url("secret")}], [{"origin": forge.origin, "value": HEADER}])
    assert (await api.pull())[-1]["phase"] == "error"
    assert not (jp_root_dir / "secret").exists()


async def test_what_git_echoes_of_the_header_is_hidden(api, put, upstream, forge, jp_root_dir, monkeypatch):
    upstream("secret")
    # git's curl trace, unredacted, prints every header it sends.
    monkeypatch.setenv("GIT_TRACE_CURL", "1")
    monkeypatch.setenv("GIT_TRACE_REDACT", "0")
    await put([{"repo": forge.url("secret")}], [{"origin": forge.origin, "value": HEADER}])
    pulled = await api.pull()
    assert pulled[-1]["phase"] == "finished", pulled
    output = "\n".join(e.get("output", "") for e in pulled)
    assert "Authorization: [credential hidden]" in output
    assert_no_secret(json.dumps(pulled))


@pytest.mark.parametrize(
    "item",
    [
        lambda forge: {"origin": "http://127.0.0.1:1", "value": HEADER},
        lambda forge: {"origin": "http://evil.example.org", "value": HEADER},
        lambda forge: {"origin": forge.origin.replace("http:", "https:"), "value": HEADER},
        lambda forge: {"origin": forge.url("secret"), "value": HEADER},
        lambda forge: {"origin": forge.origin.replace("//", "//alice@"), "value": HEADER},
        lambda forge: {"origin": forge.origin, "value": HEADER + "\r\nX-Other: 1"},
        lambda forge: {"origin": forge.origin, "value": HEADER, "scope": "all"},
        lambda forge: {"origin": forge.origin},
        lambda forge: HEADER,
    ],
    ids=[
        "another port",
        "another host",
        "another scheme",
        "a URL",
        "a user",
        "two headers",
        "another field",
        "no value",
        "not an object",
    ],
)
async def test_an_authorization_for_another_origin_or_malformed_is_refused(
    put, upstream, forge, jp_root_dir, item
):
    upstream("secret")
    with pytest.raises(HTTPClientError) as refused:
        await put([{"repo": forge.url("secret")}], [item(forge)])
    assert refused.value.code == 400
    message = json.loads(refused.value.response.body)["message"]
    assert message.startswith("authorizations[0]")
    assert_no_secret(message)
    assert not (jp_root_dir / ".envhub" / "materials.json").exists()


async def test_authorizations_go_one_per_entry(put, upstream, forge):
    upstream("secret")
    with pytest.raises(HTTPClientError) as refused:
        await put([{"repo": forge.url("secret")}], [None, {"origin": forge.origin, "value": HEADER}])
    assert refused.value.code == 400
    assert "one item per materials entry" in json.loads(refused.value.response.body)["message"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Forge.Example.org/course/week.git", "https://forge.example.org"),
        ("https://forge.example.org:443/week.git", "https://forge.example.org"),
        ("http://forge.example.org:80/week.git", "http://forge.example.org"),
        ("http://127.0.0.1:8080/week.git", "http://127.0.0.1:8080"),
        ("https://alice@forge.example.org/week.git", "https://forge.example.org"),
        ("https://[2001:db8::7]:8443/week.git", "https://[2001:db8::7]:8443"),
        ("git@forge.example.org:course/week.git", None),
        ("file:///srv/week.git", None),
        ("https://forge.example.org:99999/week.git", None),
    ],
)
def test_origins_are_written_as_browsers_write_them(url, origin):
    assert materials.origin_of(url) == origin


def test_the_header_reaches_git_through_the_environment_only():
    authorization = materials.Authorization("http://f/r.git", "http://f", HEADER)
    env = authorization.git_environment(
        {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "c"}
    )
    assert env["GIT_CONFIG_COUNT"] == "2" and env["GIT_CONFIG_KEY_0"] == "a.b"
    assert env["GIT_CONFIG_KEY_1"] == "http.http://f/.extraHeader"
    assert env["GIT_CONFIG_VALUE_1"] == f"Authorization: {HEADER}"
    assert TOKEN not in repr(authorization)
    decoded = f"alice:{TOKEN}"
    assert_no_secret(authorization.scrub(f"{HEADER} {decoded} {TOKEN}"))
