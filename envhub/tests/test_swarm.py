"""EnvhubSwarmSpawner on a real swarm of two Docker engines (deploy/swarm-lab.sh) with a real
JupyterHub and proxy on this machine: servers spread over the nodes, come back on the node holding
their home with its files, and a server whose node is drained fails naming the node. The pure
placement rules are checked first with node and task records shaped as Docker's API gives them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tornado import web

from envhub.swarm import choose_node, free_memory, pinned_node_problem

ROOT = Path(__file__).parents[2]
LAB = ROOT / "deploy" / "swarm-lab.sh"
NODE1 = "unix:///run/envsw/n1.sock"
IMAGE = "10.99.0.1:5000/envhub-base:swarm-test"
GiB = 1 << 30


def node(id, memory, state="ready", availability="active", addr="10.99.0.11"):
    return {
        "ID": id,
        "Description": {"Resources": {"MemoryBytes": memory}},
        "Status": {"State": state, "Addr": addr},
        "Spec": {"Availability": availability},
    }


def task(node_id, memory, state="running"):
    return {
        "NodeID": node_id,
        "Status": {"State": state},
        "Spec": {"Resources": {"Limits": {"MemoryBytes": memory}}},
    }


def test_free_memory_counts_running_tasks_on_ready_active_nodes():
    nodes = [node("a", 8 * GiB), node("b", 8 * GiB, availability="drain"), node("c", 4 * GiB, state="down")]
    tasks = [task("a", 2 * GiB), task("a", 1 * GiB, state="shutdown"), task("b", 1 * GiB)]
    assert free_memory(nodes, tasks) == {"a": 6 * GiB}


def test_a_new_server_goes_where_most_memory_is_left_and_is_refused_where_none_fits():
    nodes = [node("a", 8 * GiB), node("b", 8 * GiB)]
    assert choose_node(nodes, [task("a", 2 * GiB)], 2 * GiB) == "b"
    with pytest.raises(web.HTTPError) as refused:
        choose_node(nodes, [task("a", 7 * GiB), task("b", 7 * GiB)], 2 * GiB)
    assert refused.value.log_message == (
        "no node of the swarm can take a server of 2.0G: a has 1.0G, b has 1.0G"
    )


def test_a_home_node_that_cannot_run_the_server_is_named():
    nodes = [node("a" * 25, 8 * GiB, availability="drain", addr="10.99.0.12")]
    assert pinned_node_problem(nodes, "a" * 25) == (
        "the node aaaaaaaaaaaa (10.99.0.12) that holds this server's home is drain"
    )
    assert pinned_node_problem(nodes, "b" * 25) == (
        "the node bbbbbbbbbbbb that holds this server's home has left the swarm"
    )
    assert pinned_node_problem([node("a", GiB)], "a") is None


# ------------------------------------------------------------------ on a real swarm


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def docker1(*args):
    return run("docker", "-H", NODE1, *args)


def free_port_block():
    import socket

    for base in range(8700, 8790, 4):
        try:
            for p in range(base, base + 3):
                with socket.socket() as s:
                    s.bind(("0.0.0.0", p))
            return base
        except OSError:
            continue
    raise RuntimeError("no free ports for the test hub")


@pytest.fixture(scope="module")
def swarm():
    if os.geteuid() != 0:
        pytest.fail("the swarm tests need root (network namespaces, dockerd)")
    run(str(LAB), "down")
    run(str(LAB), "up", "2")
    try:
        # The base image reaches both nodes through the registry only.
        save = subprocess.Popen(["docker", "save", "envhub-base:latest"], stdout=subprocess.PIPE)
        run("docker", "-H", NODE1, "load", "-q", stdin=save.stdout)
        assert save.wait() == 0
        docker1("tag", "envhub-base:latest", IMAGE)
        docker1("push", "-q", IMAGE)
        yield
    finally:
        run(str(LAB), "down")


@pytest.fixture(scope="module")
def hub(swarm, tmp_path_factory):
    """JupyterHub with EnvhubSwarmSpawner on node 1's engine; the Hub listens on the lab's bridge."""
    dir = tmp_path_factory.mktemp("swarm-hub")
    port = free_port_block()
    token = secrets.token_hex(16)
    (dir / "jupyterhub_config.py").write_text(
        f"""
c = get_config()  # noqa
c.JupyterHub.spawner_class = "envhub.swarm.EnvhubSwarmSpawner"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.allow_named_servers = True
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{port + 1}"
c.ConfigurableHTTPProxy.command = [{str(ROOT / "node_modules/.bin/configurable-http-proxy")!r}]
c.JupyterHub.hub_ip = "10.99.0.1"
c.JupyterHub.hub_port = {port + 2}
c.JupyterHub.db_url = "sqlite:///{dir}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{dir}/cookie_secret"
c.JupyterHub.services = [{{"name": "tests", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{
    "name": "tests",
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "access:servers"],
    "services": ["tests"],
}}]
c.SwarmSpawner.client_kwargs = {{"base_url": "{NODE1}"}}
c.SwarmSpawner.image = "{IMAGE}"
c.SwarmSpawner.network_name = "envhub-net"
c.SwarmSpawner.name_template = "envhubswarm-{{username}}--{{servername}}"
c.SwarmSpawner.volumes = {{"envhubswarm-home-{{username}}--{{servername}}": "/home/jovyan"}}
c.SwarmSpawner.mem_limit = "1G"
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120
"""
    )
    log = open(dir / "hub.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(dir / "jupyterhub_config.py")],
        cwd=dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    api = Api(url, token)
    # The proxy answers 404 for the Hub's API until the Hub has added its own route.
    for _ in range(120):
        try:
            if api.get("/")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    else:
        process.kill()
    if process.poll() is not None:
        pytest.fail("the Hub did not start:\n" + (dir / "hub.log").read_text()[-3000:])
    yield api
    process.send_signal(2)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class Api:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def call(self, method, path, body=None, base="/hub/api"):
        request = urllib.request.Request(
            self.url + base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text.strip().startswith(("{", "[")) else text
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, json.loads(text) if text.strip().startswith("{") else text

    def get(self, path):
        return self.call("GET", path)

    def server(self, user, name):
        status, model = self.get(f"/users/{user}")
        assert status == 200, model
        return model["servers"].get(name)

    def start(self, user, name):
        """Starts the server; its model once ready, or the Hub's message when the start failed."""
        self.call("POST", f"/users/{user}")
        status, body = self.call("POST", f"/users/{user}/servers/{name}")
        if status >= 400:
            return None, body.get("message") if isinstance(body, dict) else body
        for _ in range(600):
            server = self.server(user, name)
            if server and server["ready"]:
                return server, None
            if not server:
                return None, self.last_spawn_message(user, name)
            time.sleep(0.5)
        raise TimeoutError(f"{user}/{name} did not become ready")

    def last_spawn_message(self, user, name):
        status, model = self.call("GET", f"/users/{user}?include_stopped_servers=1")
        return json.dumps(model)

    def stop(self, user, name):
        self.call("DELETE", f"/users/{user}/servers/{name}")
        for _ in range(240):
            server = self.server(user, name)
            if not server or (not server["ready"] and not server["pending"]):
                return
            time.sleep(0.5)

    def node_of(self, user, name):
        status, model = self.call("GET", f"/users/{user}?include_stopped_servers=1")
        return model["servers"][name]["state"]["node_id"]


def test_servers_spread_over_the_nodes_and_come_back_where_their_home_is(hub):
    alice, message = hub.start("alice", "s1")
    assert alice, message
    bob, message = hub.start("bob", "s1")
    assert bob, message
    nodes = {hub.node_of("alice", "s1"), hub.node_of("bob", "s1")}
    assert len(nodes) == 2

    # Through the proxy, as a browser reaches it; a file in alice's home.
    status, _ = hub.call("GET", "/user/alice/s1/api/status", base="")
    assert status == 200
    status, _ = hub.call(
        "PUT", "/user/alice/s1/api/contents/kept.txt", {"type": "file", "format": "text", "content": "mine"}, base=""
    )
    assert status in (200, 201)

    home = hub.node_of("alice", "s1")
    hub.stop("alice", "s1")
    alice, message = hub.start("alice", "s1")
    assert alice, message
    assert hub.node_of("alice", "s1") == home
    status, model = hub.call("GET", "/user/alice/s1/api/contents/kept.txt", base="")
    assert status == 200 and model["content"] == "mine"

    # Its node drained: the next start fails naming the node, and no server starts elsewhere.
    hub.stop("alice", "s1")
    docker1("node", "update", "--availability", "drain", home)
    try:
        alice, message = hub.start("alice", "s1")
        assert alice is None
        assert f"the node {home[:12]}" in message and "is drain" in message
    finally:
        docker1("node", "update", "--availability", "active", home)
