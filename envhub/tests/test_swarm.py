"""EnvhubSwarmSpawner's rules, with node and task records shaped as Docker's API gives them: where a
new server goes, which node a server must run on, and what its service's spec carries. The whole
thing on a real swarm with envhub: hub-service/test/swarm (deploy/test-swarm.sh)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from docker.types import DriverConfig
from tornado import web

from envhub.hub import SECURITY_HOST_CONFIG
from envhub.swarm import EnvhubSwarmSpawner, choose_node, free_memory, pinned_node_problem, required_node

GiB = 1 << 30


def node(id, memory, state="ready", availability="active", addr="10.99.0.11"):
    return {
        "ID": id,
        "Description": {"Resources": {"MemoryBytes": memory}},
        "Status": {"State": state, "Addr": addr},
        "Spec": {"Availability": availability},
    }


def task(node_id, memory, state="running", desired="running"):
    return {
        "NodeID": node_id,
        "DesiredState": desired,
        "Status": {"State": state},
        "Spec": {"Resources": {"Limits": {"MemoryBytes": memory}}},
    }


def test_free_memory_counts_running_tasks_on_ready_active_nodes():
    nodes = [node("a", 8 * GiB), node("b", 8 * GiB, availability="drain"), node("c", 4 * GiB, state="down")]
    tasks = [task("a", 2 * GiB), task("a", 1 * GiB, state="shutdown"), task("b", 1 * GiB), task("a", 1 * GiB, desired="shutdown")]
    assert free_memory(nodes, tasks) == {"a": 6 * GiB}


def test_a_new_server_goes_where_most_memory_is_left_and_is_refused_where_none_fits():
    nodes = [node("a", 8 * GiB), node("b", 8 * GiB)]
    assert choose_node(nodes, [task("a", 2 * GiB)], 2 * GiB) == "b"
    with pytest.raises(web.HTTPError) as refused:
        choose_node(nodes, [task("a", 7 * GiB), task("b", 7 * GiB)], 2 * GiB)
    assert refused.value.log_message == (
        "no node of the swarm can take a server of 2.0G: a has 1.0G, b has 1.0G"
    )


def test_servers_starting_at_once_spread_before_their_tasks_are_assigned():
    nodes = [node("a", 8 * GiB), node("b", 8 * GiB)]
    first = choose_node(nodes, [], 2 * GiB)
    second = choose_node(nodes, [], 2 * GiB, [(first, 2 * GiB)])
    assert {first, second} == {"a", "b"}
    assert free_memory(nodes, [task("a", GiB)], [("a", 2 * GiB), ("gone", GiB)]) == {"a": 5 * GiB, "b": 8 * GiB}


def test_a_home_node_that_cannot_run_the_server_is_named():
    nodes = [node("a" * 25, 8 * GiB, availability="drain", addr="10.99.0.12")]
    home = "holds this server's home"
    assert pinned_node_problem(nodes, "a" * 25, home) == (
        "the node aaaaaaaaaaaa (10.99.0.12) that holds this server's home is drain"
    )
    assert pinned_node_problem(nodes, "b" * 25, home) == (
        "the node bbbbbbbbbbbb that holds this server's home has left the swarm"
    )
    assert pinned_node_problem([node("a", GiB)], "a", home) is None


def test_a_server_runs_where_its_home_or_its_volumes_are_and_never_has_both_apart():
    assert required_node(None, None) is None
    assert required_node("a" * 25, None) == "a" * 25
    assert required_node(None, "m" * 25) == "m" * 25
    assert required_node("m" * 25, "m" * 25) == "m" * 25
    with pytest.raises(web.HTTPError) as refused:
        required_node("a" * 25, "m" * 25)
    assert refused.value.status_code == 409
    assert "home is on the node aaaaaaaaaaaa and the volumes it mounts are on mmmmmmmmmmmm" in refused.value.log_message


def test_the_service_spec_carries_the_limits_and_mounts_of_one_engine():
    spawner = EnvhubSwarmSpawner(user=SimpleNamespace(name="alice", url="/user/alice/"))
    spawner.mem_limit = 2 * GiB
    spawner.cpu_limit = 1.5
    spawner.extra_host_config = dict(SECURITY_HOST_CONFIG)
    container, resources = spawner.security_specs()
    assert container == {"cap_drop": ["NET_RAW"]}
    assert resources["Limits"] == {"MemoryBytes": 2 * GiB, "NanoCPUs": 1_500_000_000, "Pids": 2048}

    # envhub's apply_user_options sets `mounts` as on DockerSpawner; the home comes first.
    spawner.volumes = {"h-home": "/home/jovyan"}
    spawner.mounts = [{"type": "volume", "source": "v-data", "target": "/data", "read_only": True, "no_copy": True}]
    mounts = [dict(m) for m in spawner.mounts]
    assert mounts[1] == {
        "Target": "/data",
        "Source": "v-data",
        "Type": "volume",
        "ReadOnly": True,
        "VolumeOptions": {"NoCopy": True},
    }
    assert mounts[0]["Type"] == "volume" and mounts[0]["Target"] == "/home/jovyan"
    assert "DriverConfig" not in mounts[0].get("VolumeOptions", {})

    # With the admin's network volume driver, homes are on it.
    spawner.volume_driver = "nfs-homes"
    spawner.volume_driver_options = {"share": "homes"}
    assert spawner.mounts[0]["VolumeOptions"]["DriverConfig"] == DriverConfig("nfs-homes", {"share": "homes"})


