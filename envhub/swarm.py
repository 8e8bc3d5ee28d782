"""Servers as Docker Swarm services, each kept on the node that holds its home.

``EnvhubSwarmSpawner`` is DockerSpawner's SwarmSpawner with what a swarm without a shared file
system and without IPVS needs:

- **Homes stay where they are.** A home is a volume of the node the server first ran on. The node's
  id is kept in the spawner's state (across stops) and becomes a placement constraint; when that
  node is gone or drained, the start fails naming it instead of running with an empty home.
- **First placement**: the ready, active node with the most memory left that fits the server's
  limit; a server no node can take is refused with each node's free memory.
- **Reaching servers without virtual IPs**: the server's port is published in host mode on its
  node, and the Hub and proxy connect to the node's address and that port (swarm's ingress mesh
  and virtual IPs need IPVS).
- **Named volumes are volumes**: SwarmSpawner turns ``volumes`` into bind mounts (dockerspawner
  #536), which need host paths; here named volumes mount as volumes. With an admin's network
  volume driver (``SwarmSpawner.volume_driver``) homes are on it and pin nothing.
- **Volumes envhub makes live on one node** (the manager's engine the service uses): a server that
  mounts any (shared volumes, course directories, WebDAV volumes) runs there; a home elsewhere and
  such volumes cannot meet, and the start says so.
- **The same limits as on one engine**: memory, CPUs, the process cap and dropped capabilities go
  into the service's spec; no-new-privileges and envhub's seccomp profile are each node's dockerd
  flags.

Like EnvhubSpawner, its ``start`` returns once the server answers.
"""

from __future__ import annotations

import asyncio

from docker.types import Mount, Resources
from dockerspawner import SwarmSpawner
from tornado import web

from .hub import StartsWhenAnswering

#: Task states in which a server has ended or cannot start.
ENDED = {"complete", "failed", "shutdown", "rejected", "orphaned", "remove"}
UNITS = ((1 << 30, "G"), (1 << 20, "M"))


def size(value: int) -> str:
    for factor, unit in UNITS:
        if abs(value) >= factor:
            return f"{value / factor:.1f}{unit}"
    return str(value)


def free_memory(nodes: list, tasks: list, placing=()) -> dict:
    """Memory (bytes) each ready, active node has left once its tasks' limits are counted, and the
    limits of servers being placed there (``placing``: (node, bytes) pairs) whose tasks are not
    assigned yet."""
    free = {
        node["ID"]: node["Description"]["Resources"]["MemoryBytes"]
        for node in nodes
        if node["Status"]["State"] == "ready" and node["Spec"].get("Availability") == "active"
    }
    for task in tasks:
        # Tasks of stopped servers linger a while, still running, with another desired state.
        if task.get("NodeID") in free and task["Status"]["State"] not in ENDED and task.get("DesiredState") == "running":
            limits = task["Spec"].get("Resources", {}).get("Limits", {})
            free[task["NodeID"]] -= limits.get("MemoryBytes", 0)
    for node, memory in placing:
        if node in free:
            free[node] -= memory
    return free


def choose_node(nodes: list, tasks: list, memory: int, placing=()) -> str:
    """The node with the most memory left that fits `memory`; refuses with each node's room."""
    free = free_memory(nodes, tasks, placing)
    fitting = {node: left for node, left in free.items() if left >= memory}
    if fitting:
        return max(fitting, key=lambda node: (fitting[node], node))
    room = ", ".join(f"{node[:12]} has {size(left)}" for node, left in sorted(free.items()))
    raise web.HTTPError(
        503,
        f"no node of the swarm can take a server of {size(memory)}: "
        + (room or "no node is ready and active"),
    )


def pinned_node_problem(nodes: list, node_id: str, holds: str) -> str | None:
    """Why the node that `holds` something a server needs cannot run it now, or None when it can."""
    node = next((n for n in nodes if n["ID"] == node_id), None)
    if node is None:
        return f"the node {node_id[:12]} that {holds} has left the swarm"
    where = f"the node {node_id[:12]} ({node['Status'].get('Addr', '?')}) that {holds}"
    if node["Status"]["State"] != "ready":
        return f"{where} is {node['Status']['State']}"
    if node["Spec"].get("Availability") != "active":
        return f"{where} is {node['Spec'].get('Availability')}"
    return None


def required_node(home_node: str | None, volume_node: str | None) -> str | None:
    """The node a server must run on: its home's, its mounted volumes', or None (anywhere)."""
    if home_node and volume_node and home_node != volume_node:
        raise web.HTTPError(
            409,
            f"this server's home is on the node {home_node[:12]} and the volumes it mounts are on "
            f"{volume_node[:12]}; without a network volume driver a server cannot have both (README, "
            "Docker Swarm): mount them from a server that starts on that node",
        )
    return home_node or volume_node


def as_mount(mount: dict) -> Mount:
    """A mount of envhub's spawn config (Docker's HostConfig.Mounts, snake case) as a service's."""
    return Mount(
        target=mount["target"],
        source=mount["source"],
        type=mount.get("type", "volume"),
        read_only=bool(mount.get("read_only")),
        no_copy=bool(mount.get("no_copy")),
    )


class EnvhubSwarmSpawner(StartsWhenAnswering, SwarmSpawner):
    """SwarmSpawner keeping each server on the node of its home (see the module's text)."""

    node_id = None
    #: Servers being placed, by service name: (node, memory). Servers starting at once would all see
    #: the same free memory until their tasks are assigned; counting these spreads them.
    _placing: dict = {}
    #: Set per spawn from envhub's spawn config: the node holding the volumes envhub made (shared
    #: volumes, course directories, WebDAV volumes), which servers mounting them must run on.
    volume_node = None
    _config_mounts: list = []

    def get_state(self):
        state = super().get_state()
        if self.node_id:
            state["node_id"] = self.node_id
        return state

    def load_state(self, state):
        super().load_state(state)
        self.node_id = state.get("node_id") or self.node_id

    def clear_state(self):
        # The home's node outlives the server: it is where the next start must go.
        node_id = self.node_id
        super().clear_state()
        self.node_id = node_id

    @property
    def mounts(self):
        """The home (a volume, on the admin's network volume driver if set), then envhub's mounts."""
        homes = [
            Mount(
                target=target["bind"],
                source=source,
                type="bind" if source.startswith("/") else "volume",
                read_only=target["mode"] == "ro",
                driver_config=self.mount_driver_config,
            )
            for source, target in self.volume_binds.items()
        ]
        return homes + [as_mount(mount) for mount in self._config_mounts]

    @mounts.setter
    def mounts(self, value):
        # envhub's apply_user_options sets `mounts` as it does on DockerSpawner.
        self._config_mounts = list(value or [])

    def security_specs(self):
        """What EnvhubSpawner gives Docker in HostConfig that a swarm service's spec can carry.

        Swarm (Engine API 1.41) has no memory + swap limit and no per-service no-new-privileges or
        seccomp setting: those come from each node's dockerd flags (README, Docker Swarm).
        """
        host = self.extra_host_config
        resources = Resources(
            mem_limit=self.mem_limit,
            cpu_limit=int(self.cpu_limit * 1e9) if self.cpu_limit else None,
        )
        if host.get("pids_limit"):
            resources["Limits"]["Pids"] = host["pids_limit"]
        container = {"cap_drop": list(host["cap_drop"])} if host.get("cap_drop") else {}
        return container, resources

    async def pull_image(self, image):
        """Nothing to pull here: the node a task lands on pulls its image from the registry."""

    async def create_object(self):
        nodes = await self.docker("nodes")
        # A home on the admin's network volume driver is reachable from every node.
        home_node = None if self.volume_driver else self.node_id
        volume_node = self.volume_node if self._config_mounts else None
        node = required_node(home_node, volume_node)
        if node:
            holds = "holds this server's home" if node == home_node else "holds the volumes it mounts"
            problem = pinned_node_problem(nodes, node, holds)
            if problem:
                raise web.HTTPError(503, f"{problem}: an admin must bring it back before this server can start")
        else:
            tasks = await self.docker("tasks")
            node = choose_node(nodes, tasks, self.mem_limit or 0, self._placing.values())
        EnvhubSwarmSpawner._placing[self.service_name] = (node, self.mem_limit or 0)
        if not self.volume_driver:
            self.node_id = node
        container, resources = self.security_specs()
        self.extra_container_spec = {**self.extra_container_spec, **container}
        self.extra_task_spec = {**self.extra_task_spec, "resources": resources}
        self.extra_placement_spec = {**self.extra_placement_spec, "constraints": [f"node.id=={node}"]}
        self.extra_endpoint_spec = {
            "mode": "dnsrr",
            "ports": {None: (self.port, "tcp", "host")},
        }
        try:
            return await super().create_object()
        except BaseException:
            EnvhubSwarmSpawner._placing.pop(self.service_name, None)
            raise

    async def start_object(self):
        """Waits for the task to run, checking often, and fails at once when it cannot."""
        try:
            await self._wait_until_running()
        finally:
            EnvhubSwarmSpawner._placing.pop(self.service_name, None)

    async def stop(self, now=False):
        EnvhubSwarmSpawner._placing.pop(self.service_name, None)
        await super().stop(now)

    async def _wait_until_running(self):
        while True:
            task = await self.get_task()
            if not task:
                raise RuntimeError(f"the service {self.service_name} is gone")
            if task.get("NodeID"):
                # Assigned: the task itself counts from now on.
                EnvhubSwarmSpawner._placing.pop(self.service_name, None)
            status = task["Status"]
            state = status["State"]
            if state == "running":
                return
            if state in ENDED:
                raise web.HTTPError(503, f"the server could not start on its node: {status.get('Err') or state}")
            await asyncio.sleep(0.2)

    async def get_ip_and_port(self):
        task = await self.get_task()
        node = await self.docker("inspect_node", task["NodeID"])
        for port in task["Status"].get("PortStatus", {}).get("Ports", []):
            if port.get("TargetPort") == self.port and port.get("PublishedPort"):
                return node["Status"]["Addr"], port["PublishedPort"]
        raise RuntimeError(f"the service {self.service_name} publishes no port {self.port}")
