"""What envhub's server-extension handlers share: one refusal type answered as JSON, and a base
handler for work on the files of the home, run off the event loop."""

from __future__ import annotations

import asyncio
import functools
import json
import os

from jupyter_server.base.handlers import APIHandler


class Refusal(Exception):
    """A refusal: an HTTP status and a message that says what was wrong and what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def refusals(method):
    """Refusal → a JSON answer ``{"message": …}`` with its status. Written here rather than raised
    as tornado's HTTPError, whose message is a %-format (repository addresses hold '%')."""

    @functools.wraps(method)
    async def wrapper(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except Refusal as e:
            self.log.warning("%s %s: %d %s", self.request.method, self.request.path, e.status, e.message)
            self.set_status(e.status)
            self.finish(json.dumps({"message": e.message}))

    return wrapper


class HomeHandler(APIHandler):
    # Work on files of the home: whoever may read or write contents may do it.
    auth_resource = "contents"

    @property
    def root(self) -> str:
        return os.path.expanduser(self.settings["server_root_dir"])

    async def in_thread(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))
