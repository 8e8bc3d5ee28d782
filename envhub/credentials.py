"""A server's copy of its owner's credentials, for a server launched with ``credentials``.

The service sets ``ENVHUB_CREDENTIALS=1`` in such a server's environment. Its envhub server extension
then reads the owner's credentials from the service with the server's own Hub token (nothing else
may read them, see ``api/servers/<owner>/<name>/credentials``) and writes them to
``/run/envhub/credentials.json`` (host → ``{"username", "token"}``, mode 0600, readable by the
server's user only), again every few minutes so that a changed or renewed token arrives.
``envhub-git-credential``, git's credential helper in every envhub image, answers git from it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.ioloop import PeriodicCallback

CREDENTIALS_FILE = Path("/run/envhub/credentials.json")
# How often the file is refreshed while the server runs (milliseconds).
REFRESH_MS = 5 * 60 * 1000


def write_credentials(credentials: dict, path: Path = CREDENTIALS_FILE) -> None:
    """Replaces ``path`` with ``credentials`` at once, readable by this user only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(credentials, file)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


async def fetch_credentials(environ=os.environ) -> dict:
    """The owner's credentials as the service gives them to this server (its own token)."""
    url = (
        f"{environ['ENVHUB_SERVICE_URL'].rstrip('/')}/api/servers/"
        f"{environ['JUPYTERHUB_USER']}/{environ.get('JUPYTERHUB_SERVER_NAME', '')}/credentials"
    )
    response = await AsyncHTTPClient().fetch(
        url, headers={"Authorization": f"token {environ['JUPYTERHUB_API_TOKEN']}"}, request_timeout=30
    )
    return json.loads(response.body)["credentials"]


async def refresh(log, path: Path = CREDENTIALS_FILE, environ=os.environ) -> bool:
    """Fetches and writes the credentials; logs why not (never a secret) and answers whether it did."""
    try:
        credentials = await fetch_credentials(environ)
        write_credentials(credentials, path)
    except HTTPClientError as e:
        log.warning("envhub: cannot read this server's credentials from envhub (HTTP %s)", e.code)
        return False
    except (OSError, KeyError, ValueError) as e:
        log.warning("envhub: cannot pass this server's credentials (%s: %s)", type(e).__name__, e)
        return False
    log.info("envhub: credentials for %d hosts in %s", len(credentials), path)
    return True


async def start(serverapp) -> PeriodicCallback | None:
    """In a server launched with credentials: fetch them now, then every few minutes."""
    if os.environ.get("ENVHUB_CREDENTIALS") != "1":
        return None
    await refresh(serverapp.log)
    callback = PeriodicCallback(lambda: refresh(serverapp.log), REFRESH_MS)
    callback.start()
    return callback


def _host(fields: dict) -> str:
    # git writes the host with :port when the URL has one; envhub keeps hosts without default ports.
    host = fields.get("host", "")
    for default in (":80", ":443"):
        if host.endswith(default):
            return host[: -len(default)]
    return host


def git_credential_main(argv=None, stdin=sys.stdin, stdout=sys.stdout, path: Path = CREDENTIALS_FILE) -> int:
    """git's credential helper protocol (``get`` only): answers from the credentials file, if any."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["get"]:
        return 0
    fields = dict(line.split("=", 1) for line in stdin.read().splitlines() if "=" in line)
    try:
        credentials = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    found = credentials.get(_host(fields))
    if isinstance(found, dict) and found.get("username") and found.get("token"):
        stdout.write(f"username={found['username']}\npassword={found['token']}\n")
    return 0
