"""envhub's Jupyter server extension: the course materials of this server, under
``<base_url>envhub/api/materials``, its class (``envhub.classes``: ``<base_url>envhub/api/class``,
nbgrader's panels per class role, the formgrader's framing), and whether it is a visitor's temporary
session of a public server (``envhub.session``: ``<base_url>envhub/api/session``).

- ``GET    …/materials``                      each entry with its state (fetches upstream first)
- ``PUT    …/materials``                      replaces the list, answers like GET; beside
                                              ``materials``, ``authorizations`` (one
                                              ``{origin, value}`` or null per entry) is the
                                              Authorization header of a private entry's next
                                              pull, kept in memory only (``materials.Authorization``)
- ``POST   …/materials/pull[?backup=1]``      pulls every entry in order  } text/event-stream of
- ``POST   …/materials/<i>/pull[?backup=1]``  pulls entry ``i``           } nbgitpuller-style events
- ``POST   …/materials/<i>/restore``          ``{"file": …}``: the upstream version back, the
                                              student's copy kept beside it
- ``GET    …/materials/<i>/diff?file=…``      ``{"file", "upstreamCommit", "diff"}``: the
                                              unified diff of the upstream version (as last
                                              pulled) against the student's file

An authorization is taken by the first pull of its entry that starts within
:data:`AUTHORIZATION_WAIT` of the PUT (the service pulls at once), and by no other request.

Pulls share nbgitpuller's lock (``settings["git_lock"]``, one per server process), so a pull from
here and one from an nbgitpuller link never run at once; a second pull is refused with 409.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import json
import time

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import locks, web
from tornado.iostream import StreamClosedError
from tornado.util import TimeoutError as LockTimeout

from . import classes, credentials, materials, session
from .handlers import HomeHandler, refusals
from .materials import MaterialsError

# How long a pull or restore waits for a running one before answering 409.
LOCK_WAIT = datetime.timedelta(seconds=1)
# Seconds the authorizations of a PUT wait for their pull; the service pulls right after its PUT.
AUTHORIZATION_WAIT = 60
# settings key of the authorizations waiting for their pull: (deadline, {path: Authorization}).
PENDING_AUTHORIZATIONS = "envhub_materials_authorizations"
BUSY = (
    "Another pull is running in this server (course materials or an nbgitpuller link); "
    "try again when it has finished"
)


class _MaterialsHandler(HomeHandler):
    # Materials are files in the home: whoever may read or write contents may read or pull them.

    @property
    def store(self) -> materials.Store:
        return materials.Store(self.root)

    @property
    def git_lock(self) -> locks.Lock:
        return self.settings["git_lock"]

    def entry(self, index: str) -> tuple[int, materials.Entry, dict | None]:
        entries, pulls = self.store.read()
        i = int(index)
        if i >= len(entries):
            raise MaterialsError(404, f"There is no materials entry {i} (the list has {len(entries)})")
        return i, entries[i], materials.record_for(entries[i], pulls)

    async def lock_or_409(self) -> None:
        try:
            await self.git_lock.acquire(timeout=LOCK_WAIT)
        except LockTimeout:
            raise MaterialsError(409, BUSY) from None

    async def pull_running(self) -> bool:
        # tornado's Lock has no locked(): try to take it without waiting, and give it back.
        try:
            await self.git_lock.acquire(timeout=datetime.timedelta(0))
        except LockTimeout:
            return True
        self.git_lock.release()
        return False

    async def listing(self) -> dict:
        entries, pulls = self.store.read()
        # While a pull runs, report from local refs rather than fetch into a folder being cloned.
        busy = await self.pull_running()
        items = await asyncio.gather(
            *(
                self.in_thread(
                    materials.entry_status, self.root, i, e, materials.record_for(e, pulls), fetch=not busy
                )
                for i, e in enumerate(entries)
            )
        )
        if busy:
            for item in items:
                item["message"] = item["message"] or "A pull is running; showing the state known before it"
        return {"materials": items}


class MaterialsHandler(_MaterialsHandler):
    @web.authenticated
    @authorized
    @refusals
    async def get(self):
        self.finish(json.dumps(await self.listing()))

    @web.authenticated
    @authorized
    @refusals
    async def put(self):
        body = self.get_json_body()
        if not isinstance(body, dict) or "materials" not in body or set(body) - {"materials", "authorizations"}:
            raise MaterialsError(
                400,
                'The body must be {"materials": [{"repo": …, "ref": …, "path": …}, …]}, and may add '
                '"authorizations": [{"origin": …, "value": …} or null, one per entry]',
            )
        try:
            entries = materials.parse_materials(body["materials"])
            authorizations = materials.parse_authorizations(body.get("authorizations"), entries)
        except ValueError as e:
            raise MaterialsError(400, str(e)) from None
        self.store.save_entries(entries)
        # A new list replaces the authorizations of the previous one, taken or not.
        self.settings[PENDING_AUTHORIZATIONS] = (time.monotonic() + AUTHORIZATION_WAIT, authorizations)
        self.finish(json.dumps(await self.listing()))


class PullHandler(_MaterialsHandler):
    """Pulls one entry or all of them, streaming nbgitpuller's output as server-sent events."""

    _gone = False

    def on_connection_close(self):
        # The pull goes on (a half-done merge helps nobody); only the events stop.
        self._gone = True

    async def emit(self, event: dict) -> None:
        if self._gone:
            return
        try:
            self.write(f"data: {json.dumps(event)}\n\n")
            await self.flush()
        except StreamClosedError:
            self._gone = True

    @web.authenticated
    @authorized
    @refusals
    async def post(self, index: str | None = None):
        backup = self.get_query_argument("backup", "0")
        if backup not in ("0", "1"):
            raise MaterialsError(400, "backup must be 1 or 0")
        if index is None:
            pulled, _ = self.store.read()
            indices = range(len(pulled))
        else:
            i, entry, _ = self.entry(index)
            pulled, indices = [entry], [i]
        await self.lock_or_409()
        try:
            authorizations = self.take_authorizations(pulled)
            self.set_status(200)
            self.set_header("Content-Type", "text/event-stream")
            self.set_header("Cache-Control", "no-cache")
            await self.emit_headers()
            for i in indices:
                try:
                    await self.pull(i, backup == "1", authorizations)
                except MaterialsError as e:
                    await self.emit({"phase": "error", "index": i, "message": e.message, "code": "list"})
        finally:
            self.git_lock.release()
        with contextlib.suppress(StreamClosedError):
            self.finish(set_content_type="text/event-stream")

    def take_authorizations(self, entries: list[materials.Entry]) -> dict[str, materials.Authorization]:
        """Removes the waiting authorizations of ``entries`` from the server's memory, for this pull
        only: by folder, each for the repository it was given for (see :meth:`pull`)."""
        deadline, waiting = self.settings.get(PENDING_AUTHORIZATIONS, (0.0, {}))
        if time.monotonic() >= deadline:
            waiting.clear()
            return {}
        return {e.path: waiting.pop(e.path) for e in entries if e.path in waiting}

    async def emit_headers(self) -> None:
        try:
            await self.flush()
        except StreamClosedError:
            self._gone = True

    async def pull(self, i: int, backup: bool, authorizations: dict[str, materials.Authorization]) -> None:
        # Read again for each entry: the list may have been replaced meanwhile.
        entries, pulls = self.store.read()
        if i >= len(entries):
            await self.emit(
                {
                    "phase": "error",
                    "index": i,
                    "message": "This entry was removed from the list",
                    "code": "list",
                }
            )
            return
        entry = entries[i]
        authorization = authorizations.get(entry.path)
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue = asyncio.Queue()
        work = loop.run_in_executor(
            None,
            functools.partial(
                materials.pull_entry,
                self.root,
                entry,
                materials.record_for(entry, pulls),
                backup=backup,
                parent=self.settings.get("envhub_serverapp"),
                # Only for the repository it was given for: the list may have changed since.
                authorization=authorization if authorization and authorization.repo == entry.repo else None,
                output=lambda line: loop.call_soon_threadsafe(lines.put_nowait, line),
            ),
        )
        # Lines were queued (call_soon_threadsafe) before the result is set, so they come first.
        work.add_done_callback(lambda _: lines.put_nowait(None))
        while (line := await lines.get()) is not None:
            await self.emit({"phase": "syncing", "index": i, "output": line})
        outcome = work.result()
        self.store.record_pull(entry, outcome.record)
        if outcome.ok:
            self.log.info("materials %d (%s): %s", i, entry.path, outcome.message)
            await self.emit({"phase": "finished", "index": i, "message": outcome.message})
        else:
            self.log.warning("materials %d (%s): %s", i, entry.path, outcome.message)
            await self.emit({"phase": "error", "index": i, "message": outcome.message, "code": outcome.code})


class RestoreHandler(_MaterialsHandler):
    @web.authenticated
    @authorized
    @refusals
    async def post(self, index: str):
        i, entry, record = self.entry(index)
        body = self.get_json_body()
        if not isinstance(body, dict) or set(body) != {"file"}:
            raise MaterialsError(400, 'The body must be {"file": "<path inside the materials folder>"}')
        await self.lock_or_409()
        try:
            result = await self.in_thread(materials.restore_file, self.root, entry, record, body["file"])
        finally:
            self.git_lock.release()
        self.store.forget_conflict(entry, result["restored"])
        self.log.info(
            "materials %d (%s): restored %s, kept %s", i, entry.path, result["restored"], result["keptAs"]
        )
        self.finish(json.dumps(result))


class DiffHandler(_MaterialsHandler):
    """Read-only, so it takes no lock: like GET, it may run beside a pull."""

    @web.authenticated
    @authorized
    @refusals
    async def get(self, index: str):
        _, entry, record = self.entry(index)
        # Not stripped: a file name may start or end with spaces.
        file = self.get_query_argument("file", None, strip=False)
        if file is None:
            raise MaterialsError(400, "Give the file to compare: ?file=<path inside the materials folder>")
        self.finish(json.dumps(await self.in_thread(materials.diff_file, self.root, entry, record, file)))


def _link_jupyter_server_extension(serverapp) -> None:
    # Extensions are all linked before any loads: the last moment to keep one from loading.
    classes.hide_server_extensions(serverapp)


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    # nbgitpuller's SyncHandler creates this lock on first use unless it exists: one lock for both.
    web_app.settings.setdefault("git_lock", locks.Lock())
    web_app.settings["envhub_serverapp"] = serverapp
    base = url_path_join(web_app.settings["base_url"], "envhub", "api", "materials")
    web_app.add_handlers(
        ".*$",
        [
            (base, MaterialsHandler),
            (url_path_join(base, "pull"), PullHandler),
            (url_path_join(base, r"(\d+)", "pull"), PullHandler),
            (url_path_join(base, r"(\d+)", "restore"), RestoreHandler),
            (url_path_join(base, r"(\d+)", "diff"), DiffHandler),
        ],
    )
    serverapp.log.info("envhub: course materials API at %s", base)
    web_app.add_handlers(".*$", classes.handlers(web_app.settings["base_url"]))
    web_app.add_handlers(".*$", session.handlers(web_app.settings["base_url"]))
    formgrader = url_path_join(web_app.settings["base_url"], "formgrader")
    web_app.add_transform(functools.partial(classes.FormgraderFraming, formgrader))


async def _start_jupyter_server_extension(serverapp) -> None:
    # Started once every extension has loaded, JupyterHub's (which sets the page config hook) too.
    classes.hide_lab_plugins(serverapp.web_app)
    # A server launched with credentials gets its owner's (envhub.credentials).
    serverapp.web_app.settings["envhub_credentials"] = await credentials.start(serverapp)
