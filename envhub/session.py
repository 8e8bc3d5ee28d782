"""Whether this server is a visitor's temporary session of a public server, for envhub's lab panel,
under ``<base_url>envhub/api/session``:

- ``GET …/session``   ``{"publicSession": "<owner>/<name>"}`` in a temporary session of the public
                      server ``<owner>/<name>``, ``{"publicSession": null}`` in any other server

The service starts a temporary session with ``ENVHUB_PUBLIC_SESSION=<owner>/<name>``. Its visitor's
page token may not call the envhub service, so the panel asks here, in the server itself, before
it asks the service anything.
"""

from __future__ import annotations

import json
import os

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web


def public_session() -> str | None:
    """The public server this server is a temporary session of (``<owner>/<name>``), or None."""
    return os.environ.get("ENVHUB_PUBLIC_SESSION", "").strip() or None


class SessionHandler(APIHandler):
    # What kind of server this is: readable by whoever may use the server, as /api/status is.
    auth_resource = "api"

    @web.authenticated
    @authorized
    async def get(self):
        self.finish(json.dumps({"publicSession": public_session()}))


def handlers(base_url: str) -> list:
    return [(url_path_join(base_url, "envhub", "api", "session"), SessionHandler)]
