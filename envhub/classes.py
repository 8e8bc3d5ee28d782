"""The class this server was launched for (``ENVHUB_CLASS``), for envhub's lab panel, under
``<base_url>envhub/api/class``:

- ``GET  …/class``                          ``{"class": ClassView | null, "assignments": [AssignmentView
                                            + {"local": {"fetched", "path", "feedback": [{"timestamp",
                                            "path"}]}}], "nbgrader": bool}`` (paths relative to the
                                            server root; ``nbgrader``: whether it is installed here)
- ``POST …/class/assignments/<a>/fetch``    ``{"path": …}``: nbgrader's fetch_assignment
- ``POST …/class/assignments/<a>/submit``   the service's ``SubmissionView`` (the receipt)
- ``POST …/class/assignments/<a>/feedback`` ``{"paths": [fetched html files]}``: nbgrader's fetch_feedback

The three actions run envhub's nbgrader exchange (``envhub.exchange``) in this process, with
nbgrader's configuration as ``nbgrader`` would load it in the server root. Refusals answer
``{"message": …}`` with the service's status.

Also here: the client of the service's class API (:func:`service`, used by the exchange too), the
timestamp conversions between the service (ISO 8601) and nbgrader, and what a class role changes in
this server: students get no Formgrader, Create Assignment or Courses panel, and the formgrader may
be framed by this server's own pages. Who may do what is decided by the service from this server's
Hub token, never here: hiding a panel is not security.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.web import OutputTransform

from .handlers import HomeHandler, Refusal, refusals

# The service's reference for ids: CLASS_ID_PATTERN in schema/src/classes.ts.
ID = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
TIMEOUT = 60

# ------------------------------------------------------------------------------ the service


class ClassError(Refusal):
    """A refusal (the service's, or this server's), with the HTTP status to answer and a message for
    the user."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(status, message)
        self.code = code


# Never through a proxy from the environment: the request carries this server's Hub token, and
# the service is on the Hub's own network.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def service(method: str, route: str, body: dict | None = None) -> dict:
    """Calls ``<ENVHUB_SERVICE_URL>api/<route>`` as this server's user (its Hub token) and returns
    the JSON answer. Blocking. Raises ClassError with the service's status and message."""
    base = os.environ.get("ENVHUB_SERVICE_URL")
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    if not base or not token:
        raise ClassError(503, "This server was not started by envhub (no ENVHUB_SERVICE_URL or JUPYTERHUB_API_TOKEN)")
    url = base.rstrip("/") + "/api/" + route
    headers = {"Authorization": f"token {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        try:
            error = json.loads(e.read())
            message, code = str(error["message"]), error.get("code")
        except (ValueError, KeyError, TypeError):
            message, code = f"The envhub service answered {e.code} {e.reason} to {method} {route}", None
        raise ClassError(e.code, message, code) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ClassError(502, f"Could not reach the envhub service at {base}: {reason}") from None
    return json.loads(raw) if raw else {}


def route(*parts: str) -> str:
    """``classes/<part>/…``, each part quoted (student names may hold any character)."""
    return "/".join(["classes", *(urllib.parse.quote(p, safe="") for p in parts)])


# ---------------------------------------------------------------------------- timestamps
#
# The service's timestamps are ISO 8601 in UTC with milliseconds ("2026-05-04T09:15:02.123Z") and
# name a submission. nbgrader's are "%Y-%m-%d %H:%M:%S.%f %Z" ("2026-05-04 09:15:02.123000 UTC"),
# written in timestamp.txt and used as folder names (feedback/<timestamp>/). Written in UTC with
# microseconds, nbgrader's form holds the service's value exactly; the way back compares instants
# (never strings), so a timestamp.txt rewritten in another form or zone still finds its submission.

NBGRADER_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f %Z"


def parse_timestamp(iso: str) -> datetime.datetime:
    """The service's timestamp as a naive UTC datetime (what nbgrader's ``parse_utc`` returns)."""
    moment = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment


def nbgrader_timestamp(iso: str) -> str:
    """The service's timestamp in nbgrader's form, in UTC."""
    return parse_timestamp(iso).replace(tzinfo=datetime.timezone.utc).strftime(NBGRADER_TIMESTAMP)


def iso_timestamp(moment: datetime.datetime) -> str:
    """A naive UTC datetime in the service's form."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_nbgrader_timestamp(text: str) -> datetime.datetime | None:
    """A timestamp written by :func:`nbgrader_timestamp`, as a naive UTC datetime; None otherwise."""
    try:
        return datetime.datetime.strptime(text.strip(), NBGRADER_TIMESTAMP.replace("%Z", "UTC"))
    except ValueError:
        return None


# ------------------------------------------------------------------- nbgrader in this server


def nbgrader_installed() -> bool:
    return importlib.util.find_spec("nbgrader") is not None


def nbgrader_config(root: str):
    """nbgrader's configuration as ``nbgrader`` run in ``root`` loads it: the Jupyter config path
    (where this package installs the exchange's configuration), then ``root/nbgrader_config.py``,
    rather than that of the server process's working directory, which need not be the root."""
    from nbgrader.apps.baseapp import NbGrader
    from traitlets.config import Application

    app = NbGrader()
    app.load_cwd_config = False
    app.load_config_file()
    Application.load_config_file(app, "nbgrader_config.py", path=root)
    return app.config


def _exchange(action: str, root: str, course: str, assignment: str | None = None):
    """envhub's exchange ``action`` class, configured for ``course`` (and ``assignment``), with its
    assignment directory made absolute against ``root`` (nbgrader's default "." means the root)."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    from . import exchange

    config = nbgrader_config(root)
    config.CourseDirectory.course_id = course
    if assignment is not None:
        config.CourseDirectory.assignment_id = assignment
    coursedir = CourseDirectory(config=config)
    app = getattr(exchange, action)(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    app.assignment_dir = os.path.join(root, os.path.expanduser(app.assignment_dir))
    return app


def local_folders(root: str, course: str):
    """``assignment → folder``: where nbgrader's exchange puts an assignment of ``course`` here."""
    if not nbgrader_installed():
        # Nothing can be fetched without nbgrader; envhub's configuration would use <course>/<a>.
        return lambda assignment: os.path.join(root, course, assignment)
    app = _exchange("Exchange", root, course)
    return lambda assignment: app.local_dir(course, assignment)


def local_state(root: str, folder: str, view: dict) -> dict:
    """The ``local`` part of an assignment in GET: fetched here or not, and the feedback fetched."""
    fetched = os.path.isdir(folder)
    submitted = {parse_timestamp(s["timestamp"]): s["timestamp"] for s in view.get("submissions", [])}
    feedback = []
    feedback_root = os.path.join(folder, "feedback")
    for name in sorted(os.listdir(feedback_root)) if os.path.isdir(feedback_root) else []:
        moment = parse_nbgrader_timestamp(name)
        if moment is not None and os.path.isdir(os.path.join(feedback_root, name)):
            feedback.append(
                {
                    "timestamp": submitted.get(moment, iso_timestamp(moment)),
                    "path": os.path.relpath(os.path.join(feedback_root, name), root),
                }
            )
    return {"fetched": fetched, "path": os.path.relpath(folder, root) if fetched else None, "feedback": feedback}


def overview(root: str) -> dict:
    """GET's answer. Blocking."""
    course = os.environ.get("ENVHUB_CLASS")
    installed = nbgrader_installed()
    if not course:
        return {"class": None, "assignments": [], "nbgrader": installed}
    view = service("GET", route(course))
    assignments = service("GET", route(course, "assignments"))["assignments"]
    folder = local_folders(root, course)
    for a in assignments:
        a["local"] = local_state(root, folder(a["id"]), a)
    return {"class": view, "assignments": assignments, "nbgrader": installed}


def run(action: str, root: str, assignment: str) -> dict:
    """Fetches, submits or fetches feedback for ``assignment`` of this server's class. Blocking."""
    course = os.environ.get("ENVHUB_CLASS")
    if not course:
        raise ClassError(409, "This server was not launched for a class; open it from the class page")
    if not nbgrader_installed():
        raise ClassError(409, "nbgrader is not installed in this environment: add nbgrader to its requirements.txt")
    from nbgrader.exchange import ExchangeError

    app = _exchange(action, root, course, assignment)
    try:
        app.start()
    except ClassError:
        raise
    except ExchangeError as e:
        raise ClassError(400, str(e)) from None
    if action == "ExchangeFetchAssignment":
        return {"path": os.path.relpath(app.dest_path, root)}
    if action == "ExchangeSubmit":
        return app.receipt
    return {"paths": [os.path.relpath(p, root) for p in app.fetched]}


# ---------------------------------------------------------------------------------- handlers


# Fetching and submitting write and read files in the home, as the contents API does.
class ClassHandler(HomeHandler):
    @web.authenticated
    @authorized
    @refusals
    async def get(self):
        self.finish(json.dumps(await self.in_thread(overview, self.root)))


class AssignmentActionHandler(HomeHandler):
    ACTIONS = {
        "fetch": "ExchangeFetchAssignment",
        "submit": "ExchangeSubmit",
        "feedback": "ExchangeFetchFeedback",
    }

    @web.authenticated
    @authorized
    @refusals
    async def post(self, assignment: str, action: str):
        result = await self.in_thread(run, self.ACTIONS[action], self.root, assignment)
        self.log.info("class %s: %s %s", os.environ.get("ENVHUB_CLASS"), action, assignment)
        self.finish(json.dumps(result))


def handlers(base_url: str) -> list:
    base = url_path_join(base_url, "envhub", "api", "class")
    actions = "|".join(AssignmentActionHandler.ACTIONS)
    return [
        (base, ClassHandler),
        (url_path_join(base, "assignments", f"({ID})", f"({actions})"), AssignmentActionHandler),
    ]


# ------------------------------------------------------------------------------------- roles

# What a student's server leaves out. The service refuses instructors' calls from students
# whatever their server shows: this only spares students panels that cannot work for them.
STUDENT_HIDDEN_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
STUDENT_HIDDEN_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)


def is_student() -> bool:
    return os.environ.get("ENVHUB_CLASS_ROLE") == "student"


def hide_server_extensions(serverapp) -> None:
    """In a student's server, turns nbgrader's instructor server extensions off before they load.
    Called while extensions are linked, which jupyter_server does for all before loading any."""
    if not is_student():
        return
    for name in STUDENT_HIDDEN_SERVER_EXTENSIONS:
        package = serverapp.extension_manager.extensions.get(name)
        if package is not None and package.enabled:
            package.enabled = False
            serverapp.jpserver_extensions[name] = False
            serverapp.log.info("envhub: %s is not loaded in a student's server", name)


def hide_lab_plugins(web_app) -> None:
    """In a student's server, adds nbgrader's instructor lab plugins to the page's
    ``disabledExtensions``, chaining the page config hook in place (JupyterHub's, which gives the
    page its Hub token). Called once every extension has loaded: JupyterHub's extension sets its
    hook while loading, after envhub's (extensions load in name order)."""
    if not is_student():
        return
    previous = web_app.settings.get("page_config_hook")

    def hook(handler, page_config):
        if previous is not None:
            page_config = previous(handler, page_config)
        disabled = list(page_config.get("disabledExtensions", []))
        page_config["disabledExtensions"] = disabled + [p for p in STUDENT_HIDDEN_LAB_PLUGINS if p not in disabled]
        return page_config

    web_app.settings["page_config_hook"] = hook


# ------------------------------------------------------------------------ formgrader framing


class FormgraderFraming(OutputTransform):
    """Lets the formgrader's pages be framed by this server's own pages (JupyterLab shows it in an
    iframe): ``frame-ancestors 'self'`` instead of JupyterHub's ``'none'`` on ``<base_url>formgrader``
    and below, and on nothing else. A transform runs as the headers are sent, after every handler
    and the server's default headers (where JupyterHub puts its CSP), so it has the last word.
    Without JupyterHub subdomains 'self' is the Hub's whole origin (nbgrader's docs: less secure);
    here only for the formgrader, which only instructors' servers load.

    Registered as ``functools.partial(FormgraderFraming, "<base_url>formgrader")``."""

    def __init__(self, prefix: str, request):
        self.applies = request.path == prefix or request.path.startswith(prefix + "/")

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        policy = headers.get("Content-Security-Policy")
        if self.applies and policy:
            directives = [d.strip() for d in policy.split(";") if d.strip()]
            headers["Content-Security-Policy"] = "; ".join(
                "frame-ancestors 'self'" if re.match(r"frame-ancestors(\s|$)", d, re.I) else d for d in directives
            )
        return status_code, headers, chunk
