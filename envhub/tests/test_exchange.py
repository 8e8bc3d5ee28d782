"""envhub's nbgrader exchange, driven through nbgrader itself (its command-line apps and the
NbGraderAPI the formgrader uses), against a fake of the service's class routes.

The fake keeps the contract of schema/src/classes.ts in memory: a token names a user, the class
says who teaches and who studies, and it refuses as the service does (a student may not release
or collect, nor submit in another's name). The nbgrader configuration is the one this package
installs (jupyter-config/nbgrader-config/nbgrader_config.py), copied where nbgrader reads it.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import envhub

pytest.importorskip("nbgrader")

from nbgrader.apps.api import NbGraderAPI  # noqa: E402
from nbgrader.utils import parse_utc  # noqa: E402
from traitlets.config import PyFileConfigLoader  # noqa: E402

from envhub import classes, exchange  # noqa: E402

REPO = Path(envhub.__file__).resolve().parents[1]
SHIPPED_CONFIG = REPO / "jupyter-config" / "nbgrader-config" / "nbgrader_config.py"
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


# --------------------------------------------------------------------------------- the fake


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeService:
    """The class routes, in memory. ``url`` is what ENVHUB_SERVICE_URL would be."""

    def __init__(self):
        self.users: dict[str, str] = {}  # token → user
        self.classes: dict[str, dict] = {}
        self.released: dict[tuple, dict] = {}  # (class, assignment) → {files, dueAt, releasedAt}
        self.submissions: list[dict] = []
        self.feedback: dict[tuple, dict] = {}  # (class, assignment, student, timestamp) → {files, releasedAt}
        self.calls: list[tuple] = []  # (user, method, route, body)
        self.lock = threading.Lock()
        self._last = ""

    def token(self, user: str) -> str:
        self.users[f"token-{user}"] = user
        return f"token-{user}"

    def add_class(self, cid: str, instructors=(), students=()) -> None:
        self.classes[cid] = {"instructors": set(instructors), "students": set(students)}

    def stamp(self) -> str:
        # The service's clock, strictly increasing here so that two quick submissions differ.
        now = _now()
        if now <= self._last:
            last = datetime.datetime.fromisoformat(self._last.replace("Z", "+00:00"))
            now = (last + datetime.timedelta(milliseconds=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._last = now
        return now

    # -- views

    def role(self, user: str, cid: str) -> str:
        c = self.classes.get(cid)
        if c is None or (user not in c["instructors"] and user not in c["students"]):
            raise Refusal(404, "not_found", f"There is no class {cid} of yours")
        return "instructor" if user in c["instructors"] else "student"

    def teaches(self, user: str, cid: str) -> None:
        if self.role(user, cid) != "instructor":
            raise Refusal(403, "forbidden", f"Only the instructors of class {cid} may do this")

    def class_view(self, user: str, cid: str) -> dict:
        c, role = self.classes[cid], self.role(user, cid)
        return {
            "id": cid,
            "title": cid,
            "createdBy": sorted(c["instructors"])[0],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "role": role,
            "instructors": {"users": sorted(c["instructors"]), "groups": []},
            "students": {"users": sorted(c["students"]) if role == "instructor" else [], "groups": []},
            "repo": None,
            "ref": None,
            "pageUrl": f"http://hub.example/services/envhub/classes/{cid}",
            "launchUrl": None,
            "courseRoot": f"/home/jovyan/course-{cid}",
        }

    def submission_view(self, s: dict) -> dict:
        keys = ("id", "student", "assignment", "timestamp", "late")
        view = {k: s[k] for k in keys}
        view["files"] = [f["path"] for f in s["files"]]
        view["bytes"] = sum(len(base64.b64decode(f["content"])) for f in s["files"])
        view["hasFeedback"] = (s["class"], s["assignment"], s["student"], s["timestamp"]) in self.feedback
        return view

    def assignment_view(self, user: str, cid: str, a: str) -> dict:
        r = self.released[(cid, a)]
        mine = [
            self.submission_view(s)
            for s in self.submissions
            if (s["class"], s["assignment"], s["student"]) == (cid, a, user)
        ]
        view = {
            "id": a,
            "releasedAt": r["releasedAt"],
            "dueAt": r["dueAt"],
            "notebooks": sorted(f["path"] for f in r["files"] if f["path"].endswith(".ipynb")),
            "submissions": mine,
            "feedback": [s["timestamp"] for s in mine if s["hasFeedback"]],
        }
        if self.role(user, cid) == "instructor":
            every = [s for s in self.submissions if (s["class"], s["assignment"]) == (cid, a)]
            view["submittedBy"] = len({s["student"] for s in every})
            view["submissionCount"] = len(every)
        return view

    def released_or_404(self, cid: str, a: str) -> dict:
        if (cid, a) not in self.released:
            raise Refusal(404, "not_found", f"{a} is not released in class {cid}")
        return self.released[(cid, a)]

    @staticmethod
    def check_files(body) -> list[dict]:
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, list):
            raise Refusal(400, "invalid", "files: a list of {path, content} is needed")
        for f in files:
            parts = f["path"].split("/")
            if f["path"].startswith("/") or "\\" in f["path"] or any(p in ("", ".", "..") for p in parts):
                raise Refusal(400, "invalid", f"files: unsafe path {f['path']!r}")
            base64.b64decode(f["content"], validate=True)
        return files

    # -- routes

    def answer(self, user: str, method: str, parts: list[str], body) -> tuple[int, dict | None]:
        if parts == ["classes"] and method == "GET":
            mine = [cid for cid, c in self.classes.items() if user in c["instructors"] | c["students"]]
            return 200, {"classes": [self.class_view(user, cid) for cid in sorted(mine)]}
        if len(parts) < 2 or parts[0] != "classes":
            raise Refusal(404, "not_found", "no such route")
        cid, rest = parts[1], parts[2:]
        role = self.role(user, cid)
        if not rest and method == "GET":
            return 200, self.class_view(user, cid)
        if rest == ["assignments"] and method == "GET":
            ids = sorted(a for (c, a) in self.released if c == cid)
            return 200, {"assignments": [self.assignment_view(user, cid, a) for a in ids]}
        if len(rest) < 2 or rest[0] != "assignments":
            raise Refusal(404, "not_found", "no such route")
        a, rest = rest[1], rest[2:]
        if not rest and method == "PUT":
            self.teaches(user, cid)
            if not ID.match(a):
                raise Refusal(400, "invalid", f"assignment id {a!r}")
            files = self.check_files(body)
            due = body.get("dueAt")
            self.released[(cid, a)] = {"files": files, "dueAt": due, "releasedAt": self.stamp()}
            return 200, self.assignment_view(user, cid, a)
        if not rest and method == "DELETE":
            self.teaches(user, cid)
            self.released_or_404(cid, a)
            del self.released[(cid, a)]
            return 204, None
        if rest == ["files"] and method == "GET":
            return 200, {"files": self.released_or_404(cid, a)["files"]}
        if rest == ["submissions"] and method == "POST":
            r = self.released_or_404(cid, a)
            files = self.check_files(body)
            if body.get("student") not in (None, user):
                raise Refusal(
                    403,
                    "forbidden",
                    f"you are signed in as {user} and may submit only as yourself, not as {body['student']}",
                )
            stamp = self.stamp()
            s = {
                "id": f"s{len(self.submissions) + 1}",
                "class": cid,
                "assignment": a,
                "student": user,
                "timestamp": stamp,
                "late": r["dueAt"] is not None and stamp > r["dueAt"],
                "files": files,
            }
            self.submissions.append(s)
            return 201, self.submission_view(s)
        if rest == ["submissions"] and method == "GET":
            self.released_or_404(cid, a)
            subs = [s for s in self.submissions if (s["class"], s["assignment"]) == (cid, a)]
            subs = [s for s in subs if role == "instructor" or s["student"] == user]
            return 200, {"submissions": [self.submission_view(s) for s in subs]}
        if len(rest) == 2 and rest[0] == "submissions" and method == "GET":
            found = [s for s in self.submissions if s["id"] == rest[1] and (s["class"], s["assignment"]) == (cid, a)]
            if not found or (role != "instructor" and found[0]["student"] != user):
                raise Refusal(404, "not_found", f"no submission {rest[1]}")
            return 200, dict(self.submission_view(found[0]), files=found[0]["files"])
        if len(rest) == 2 and rest[0] == "feedback" and method == "PUT":
            self.teaches(user, cid)
            student = rest[1]
            files = self.check_files(body)
            made = [s for s in self.submissions if (s["class"], s["assignment"], s["student"]) == (cid, a, student)]
            if not any(s["timestamp"] == body.get("timestamp") for s in made):
                raise Refusal(404, "not_found", f"{student} has no submission of {a} made at {body.get('timestamp')}")
            self.feedback[(cid, a, student, body["timestamp"])] = {"files": files, "releasedAt": self.stamp()}
            return 200, {"student": student, "assignment": a, "timestamp": body["timestamp"]}
        if rest == ["feedback"] and method == "GET":
            self.released_or_404(cid, a)
            views = [
                {"student": st, "assignment": aa, "timestamp": ts, "releasedAt": f["releasedAt"], "files": f["files"]}
                for (c, aa, st, ts), f in sorted(self.feedback.items())
                if (c, aa) == (cid, a) and (role == "instructor" or st == user)
            ]
            return 200, {"feedback": views}
        raise Refusal(404, "not_found", "no such route")

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def respond(self):
                prefix = "/services/envhub/api/"
                path = urllib.parse.urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                auth = self.headers.get("Authorization", "")
                user = fake.users.get(auth[len("token ") :]) if auth.startswith("token ") else None
                try:
                    if not path.startswith(prefix):
                        raise Refusal(404, "not_found", "not the API")
                    if user is None:
                        raise Refusal(403, "forbidden", "a Hub token of a user is needed")
                    parts = [urllib.parse.unquote(p) for p in path[len(prefix) :].split("/")]
                    body = json.loads(raw) if raw else None
                    with fake.lock:
                        fake.calls.append((user, self.command, "/".join(parts), body))
                        status, answer = fake.answer(user, self.command, parts, body)
                except Refusal as e:
                    status, answer = e.status, {"status": e.status, "code": e.code, "message": e.message}
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = respond

        return Handler


@pytest.fixture(autouse=True)
def venv_on_path(monkeypatch):
    # nbgrader's gradebook runs the `alembic` command of its environment.
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


@pytest.fixture
def service():
    fake = FakeService()
    server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/services/envhub/"
    yield fake
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------------- the class


def notebook(source: str) -> str:
    cell = {"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {}, "outputs": [], "source": [source]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def source_of(path: Path) -> list:
    return json.loads(path.read_text())["cells"][0]["source"]


class Person:
    """A user with a home (their server's root) and the environment the spawner gives a server."""

    def __init__(
        self, fake: FakeService, base: Path, monkeypatch, name: str, role: str, course: str | None = "intro101"
    ):
        self.name, self.home, self.monkeypatch = name, base / name, monkeypatch
        self.home.mkdir(parents=True)
        # nbgrader reads the configuration of its working directory: the one this package ships.
        shutil.copy(SHIPPED_CONFIG, self.home / "nbgrader_config.py")
        self.env = {
            "HOME": str(self.home),
            "JUPYTERHUB_USER": name,
            "JUPYTERHUB_API_TOKEN": fake.token(name),
            "ENVHUB_SERVICE_URL": fake.url,
            "JUPYTER_DATA_DIR": str(self.home / ".local" / "share" / "jupyter"),
            "JUPYTER_CONFIG_DIR": str(self.home / ".jupyter"),
            # Only the configuration under test, not the one of the environment running the tests.
            "JUPYTER_NO_CONFIG": "1",
        }
        if course:
            self.env.update(ENVHUB_CLASS=course, ENVHUB_CLASS_ROLE=role)
        if role == "instructor":
            self.course = self.home / "course"
            self.course.mkdir()
            self.env["ENVHUB_COURSE_ROOT"] = str(self.course)

    def be(self) -> None:
        """This process becomes this user's server: their environment, their home."""
        for k in ("ENVHUB_CLASS", "ENVHUB_CLASS_ROLE", "ENVHUB_COURSE_ROOT"):
            self.monkeypatch.delenv(k, raising=False)
        for k, v in self.env.items():
            self.monkeypatch.setenv(k, v)
        self.monkeypatch.chdir(self.home)

    def nbgrader(self, *args: str, ok: bool = True) -> str:
        """``nbgrader <args>`` in this process (as nbgrader's own tests run it); returns its log."""
        from jupyter_core.application import NoStart
        from nbgrader.apps import NbGraderApp

        self.be()
        app = NbGraderApp.instance()
        log = io.StringIO()
        code = 0
        try:
            app.initialize(list(args))
            app.init_logging(logging.StreamHandler, [log], color=False, subapps=True)
            app.start()
        except NoStart:
            pass
        except SystemExit as e:
            code = e.code
        finally:
            app.reset()
        assert (code == 0) == ok, log.getvalue()
        return log.getvalue()

    def api(self) -> NbGraderAPI:
        """nbgrader's API as the formgrader uses it, as this user."""
        self.be()
        return NbGraderAPI(config=PyFileConfigLoader(str(SHIPPED_CONFIG)).load_config())

    def exchange(self, cls, assignment: str = "", **traits):
        """One of envhub's exchange classes, configured as nbgrader would, as this user."""
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory

        self.be()
        config = PyFileConfigLoader(str(SHIPPED_CONFIG)).load_config()
        config.CourseDirectory.assignment_id = assignment
        return cls(
            coursedir=CourseDirectory(config=config),
            authenticator=Authenticator(config=config),
            config=config,
            **traits,
        )


@pytest.fixture
def people(service, tmp_path, monkeypatch):
    service.add_class("intro101", instructors=["teacher"], students=["alice", "bob"])
    teacher = Person(service, tmp_path, monkeypatch, "teacher", "instructor")
    alice = Person(service, tmp_path, monkeypatch, "alice", "student")
    bob = Person(service, tmp_path, monkeypatch, "bob", "student")
    release = teacher.course / "release" / "ps1"
    (release / ".ipynb_checkpoints").mkdir(parents=True)
    (release / "ps1.ipynb").write_text(notebook("# your answer"))
    (release / "data.csv").write_text("a,b\n1,2\n")
    (release / ".ipynb_checkpoints" / "ps1-checkpoint.ipynb").write_text("{}")
    return teacher, alice, bob


def release(service: FakeService, files: dict, due: str | None = None, cid="intro101", a="ps1") -> None:
    """An assignment released straight into the fake (what release_assignment would send)."""
    entries = [{"path": p, "content": base64.b64encode(t.encode()).decode()} for p, t in files.items()]
    service.released[(cid, a)] = {"files": entries, "dueAt": due, "releasedAt": _now()}


def submit(service: FakeService, student: str, timestamp: str, text: str, cid="intro101", a="ps1") -> dict:
    """A submission straight into the fake, made at ``timestamp``."""
    due = service.released[(cid, a)]["dueAt"]
    s = {
        "id": f"s{len(service.submissions) + 1}",
        "class": cid,
        "assignment": a,
        "student": student,
        "timestamp": timestamp,
        "late": due is not None and timestamp > due,
        "files": [{"path": "ps1.ipynb", "content": base64.b64encode(notebook(text).encode()).decode()}],
    }
    service.submissions.append(s)
    return s


def ok(result: dict) -> dict:
    assert result["success"], result.get("error") or result.get("log")
    return result


# ---------------------------------------------------------------------------------- journeys


def test_from_release_to_feedback(service, people):
    teacher, alice, bob = people
    api = teacher.api()
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, "intro101") as gb:
        gb.update_or_create_assignment("ps1", duedate="2099-01-01 12:00:00 UTC")
    ok(api.release_assignment("ps1"))
    released = service.released[("intro101", "ps1")]
    assert sorted(f["path"] for f in released["files"]) == ["data.csv", "ps1.ipynb"], "checkpoints stay home"
    assert released["dueAt"] == "2099-01-01T12:00:00.000Z", "the gradebook's due date"
    assert api.get_released_assignments() == {"ps1"}
    again = api.release_assignment("ps1")
    assert not again["success"] and "add --force" in again["log"]

    # Students list, fetch into ./intro101/ps1 (path_includes_course), answer and submit.
    assert "intro101 ps1" in alice.nbgrader("list")
    alice.nbgrader("fetch_assignment", "ps1")
    answer = alice.home / "intro101" / "ps1" / "ps1.ipynb"
    assert source_of(answer) == ["# your answer"]
    answer.write_text(notebook("x = 1"))
    assert "intro101 ps1 (already downloaded)" in alice.nbgrader("list")
    assert "You already have a copy of the assignment" in alice.nbgrader("fetch_assignment", "ps1", ok=False)
    assert source_of(answer) == ["x = 1"]
    alice.nbgrader("submit", "ps1")
    answer.write_text(notebook("x = 2"))
    alice.nbgrader("submit", "ps1")
    bob.nbgrader("fetch_assignment", "ps1")
    bob.nbgrader("submit", "ps1")
    assert [(s["student"], s["late"]) for s in service.submissions] == [("alice", False)] * 2 + [("bob", False)]
    first, latest = service.submissions[:2]

    # Nothing in a shared place; a local copy as nbgrader's default keeps (its cache).
    cache = alice.home / ".local" / "share" / "jupyter" / "nbgrader_cache" / "intro101"
    stamps = [classes.nbgrader_timestamp(s["timestamp"]) for s in (first, latest)]
    assert sorted(p.name for p in cache.iterdir()) == [f"alice+ps1+{t}" for t in stamps]

    # The instructor sees everyone's, and collects each student's latest.
    inbound = teacher.nbgrader("list", "--inbound")
    assert all(
        f"intro101 {s['student']} ps1 {classes.nbgrader_timestamp(s['timestamp'])}" in inbound
        for s in service.submissions
    )
    assert "intro101 alice" not in bob.nbgrader("list", "--inbound"), "a student's inbound is their own"
    api = teacher.api()  # the process is the instructor's server again
    ok(api.collect("ps1"))
    submitted = teacher.course / "submitted" / "alice" / "ps1"
    assert source_of(submitted / "ps1.ipynb") == ["x = 2"]
    assert parse_utc((submitted / "timestamp.txt").read_text()) == classes.parse_timestamp(latest["timestamp"])
    assert (teacher.course / "submitted" / "bob" / "ps1" / "ps1.ipynb").exists()

    # Feedback as generate_feedback leaves it: the html beside the graded submission's timestamp.txt.
    feedback = teacher.course / "feedback" / "alice" / "ps1"
    feedback.mkdir(parents=True)
    (feedback / "ps1.html").write_text("<p>well done</p>")
    shutil.copy(submitted / "timestamp.txt", feedback / "timestamp.txt")
    ok(api.release_feedback("ps1"))
    assert list(service.feedback) == [("intro101", "ps1", "alice", latest["timestamp"])], "the service's own string"

    # alice: the Assignments panel's listing says feedback is there; she fetches it, nbgrader's way.
    [listed] = alice.exchange(exchange.ExchangeList, cached=True).start()
    assert [(s["has_exchange_feedback"], s["has_local_feedback"]) for s in listed["submissions"]] == [
        (False, False),
        (True, False),
    ]
    assert f"intro101 alice ps1 {stamps[1]} (feedback ready to be fetched)" in alice.nbgrader("list", "--cached")
    alice.nbgrader("fetch_feedback", "ps1")
    html = alice.home / "intro101" / "ps1" / "feedback" / stamps[1] / "ps1.html"
    assert html.read_text() == "<p>well done</p>"
    [listed] = alice.exchange(exchange.ExchangeList, cached=True).start()
    fetched = listed["submissions"][1]
    assert fetched["has_local_feedback"] and not fetched["feedback_updated"]
    assert fetched["local_feedback_path"] == str(html.parent)
    assert fetched["notebooks"][0]["local_feedback_path"] == str(html)
    assert f"{stamps[1]} (feedback already fetched)" in alice.nbgrader("list", "--cached")

    # Feedback released again, changed: the listing says it was updated.
    (feedback / "ps1.html").write_text("<p>well done, and see cell 2</p>")
    ok(teacher.api().release_feedback("ps1"))
    [listed] = alice.exchange(exchange.ExchangeList, cached=True).start()
    assert listed["submissions"][1]["feedback_updated"] is True

    # bob has none, and the instructor (answered everyone's) none of his own: nothing is written.
    bob.nbgrader("fetch_feedback", "ps1")
    assert not (bob.home / "intro101" / "ps1" / "feedback").exists()
    teacher.nbgrader("fetch_feedback", "ps1")
    assert not (teacher.home / "intro101" / "ps1" / "feedback").exists()


def test_naming_someone_else_is_refused_by_the_service(service, people):
    """The real ``nbgrader`` command, in its own process, as a student's terminal runs it."""
    _, alice, _ = people
    release(service, {"ps1.ipynb": notebook("")})
    (alice.home / "intro101" / "ps1").mkdir(parents=True)
    (alice.home / "intro101" / "ps1" / "ps1.ipynb").write_text(notebook("x"))

    def run(*args):
        env = dict(os.environ, **alice.env, PYTHONPATH=str(REPO))
        return subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=alice.home, env=env, capture_output=True, text=True
        )

    r = run("submit", "ps1", "--student", "bob")
    assert r.returncode != 0
    assert "you are signed in as alice and may submit only as yourself, not as bob" in r.stderr
    assert service.submissions == []
    assert run("submit", "ps1", "--student", "alice").returncode == 0
    assert run("submit", "ps1").returncode == 0
    posts = [c[3] for c in service.calls if c[1] == "POST"]
    assert [p.get("student") for p in posts] == ["bob", "alice", None], "sent only when given"
    assert [s["student"] for s in service.submissions] == ["alice", "alice"]


def test_instructors_work_is_refused_to_students(service, people):
    teacher, alice, _ = people
    release(service, {"ps1.ipynb": notebook("")})
    submit(service, "bob", "2026-05-01T10:00:00.000Z", "bob's")
    (teacher.course / "release" / "ps2").mkdir()
    (teacher.course / "release" / "ps2" / "ps2.ipynb").write_text(notebook(""))
    # alice with a copy of the course directory: only her token differs, and the service refuses.
    alice.env["ENVHUB_COURSE_ROOT"] = str(teacher.course)
    api = alice.api()
    result = api.release_assignment("ps2")
    assert not result["success"] and "Only the instructors of class intro101" in result["log"]
    assert ("intro101", "ps2") not in service.released
    ok(api.collect("ps1"))
    assert not (teacher.course / "submitted" / "bob").exists(), "a student is answered her own submissions only"
    feedback = teacher.course / "feedback" / "bob" / "ps1"
    feedback.mkdir(parents=True)
    (feedback / "ps1.html").write_text("forged")
    (feedback / "timestamp.txt").write_text("2026-05-01 10:00:00.000000 UTC")
    result = api.release_feedback("ps1")
    assert not result["success"] and "bob: no submission of ps1" in result["log"]
    assert service.feedback == {}


# ------------------------------------------------------------------------------------ actions


def test_collect_updates_as_nbgraders_default(service, people):
    teacher, _, _ = people
    release(service, {"ps1.ipynb": notebook("")}, due="2026-05-01T12:00:00.000Z")
    submit(service, "alice", "2026-05-01T11:00:00.000Z", "on time")
    submit(service, "alice", "2026-05-01T13:00:00.000Z", "late")
    submitted = teacher.course / "submitted" / "alice" / "ps1"

    teacher.exchange(exchange.ExchangeCollect, "ps1", before_duedate=True).start()
    assert source_of(submitted / "ps1.ipynb") == ["on time"], "the latest before the due date"
    teacher.exchange(exchange.ExchangeCollect, "ps1").start()
    assert source_of(submitted / "ps1.ipynb") == ["on time"], "without --update, what was collected stays"
    teacher.exchange(exchange.ExchangeCollect, "ps1", update=True).start()
    assert source_of(submitted / "ps1.ipynb") == ["late"]
    assert (submitted / "timestamp.txt").read_text() == "2026-05-01 13:00:00.000000 UTC"
    (submitted / "extra.txt").write_text("not from the student")
    teacher.exchange(exchange.ExchangeCollect, "ps1", update=True).start()
    assert (submitted / "extra.txt").exists(), "nothing newer: nothing replaced"
    submit(service, "alice", "2026-05-01T14:00:00.000Z", "later")
    teacher.exchange(exchange.ExchangeCollect, "ps1", update=True).start()
    assert source_of(submitted / "ps1.ipynb") == ["later"] and not (submitted / "extra.txt").exists()


def test_fetch_never_replaces_local_files(service, people):
    _, alice, _ = people
    release(service, {"ps1.ipynb": notebook("question"), "data/table.csv": "a\n", "notes.pyc": "x"})
    alice.nbgrader("fetch_assignment", "ps1")
    folder = alice.home / "intro101" / "ps1"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "data/table.csv",
        "ps1.ipynb",
    ], "coursedir.ignore (*.pyc) applies"
    (folder / "ps1.ipynb").write_text(notebook("my answer"))
    (folder / "data" / "table.csv").unlink()
    alice.nbgrader("fetch_assignment", "ps1", "--replace")
    assert source_of(folder / "ps1.ipynb") == ["my answer"]
    assert (folder / "data" / "table.csv").read_text() == "a\n"


def test_hostile_paths_from_the_service_are_not_written(service, people, tmp_path):
    _, alice, _ = people
    for path in ["../../escape.txt", "/tmp/escape.txt", "a/../../escape.txt", "a\\b", "./x", "a//b"]:
        release(service, {path: "evil"})
        shutil.rmtree(alice.home / "intro101", ignore_errors=True)
        assert "cannot write" in alice.nbgrader("fetch_assignment", "ps1", ok=False)
    assert not (tmp_path / "escape.txt").exists()
    # A folder already here that leads elsewhere: nothing is written through it.
    outside = tmp_path / "outside"
    outside.mkdir()
    (alice.home / "intro101" / "ps1").mkdir(parents=True)
    (alice.home / "intro101" / "ps1" / "data").symlink_to(outside)
    release(service, {"data/table.csv": "evil"})
    assert "leads outside" in alice.nbgrader("fetch_assignment", "ps1", "--replace", ok=False)
    assert not (outside / "table.csv").exists()


def test_submit_sends_what_nbgrader_would_copy(service, people):
    _, alice, _ = people
    release(service, {"ps1.ipynb": notebook(""), "part2.ipynb": notebook("")})
    folder = alice.home / "intro101" / "ps1"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / "ps1.ipynb").write_text(notebook("answer"))
    (folder / ".ipynb_checkpoints" / "ps1-checkpoint.ipynb").write_text("{}")
    (folder / "big.bin").write_bytes(b"0" * 200_000)  # 200 kB, over the max_file_size given below
    (folder / "sub").mkdir()
    (folder / "sub" / "notes.txt").write_text("notes")
    log = alice.nbgrader("submit", "ps1", "--CourseDirectory.max_file_size=100")  # kB
    assert "part2.ipynb: MISSING" in log, "nbgrader's warning about missing notebooks"
    [s] = service.submissions
    assert sorted(f["path"] for f in s["files"]) == ["ps1.ipynb", "sub/notes.txt"]
    assert "There are missing notebooks" in alice.nbgrader("submit", "ps1", "--strict", ok=False)
    assert len(service.submissions) == 1


def test_list_without_a_course_spans_every_class(service, tmp_path, monkeypatch):
    service.add_class("intro101", instructors=["teacher"], students=["alice"])
    service.add_class("stats", instructors=["teacher"], students=["alice"])
    service.add_class("other", instructors=["teacher"], students=["bob"])
    release(service, {"ps1.ipynb": notebook("")}, cid="intro101", a="ps1")
    release(service, {"hw1.ipynb": notebook("")}, cid="stats", a="hw1")
    release(service, {"x.ipynb": notebook("")}, cid="other", a="secret")
    alice = Person(service, tmp_path, monkeypatch, "alice", "student", course=None)
    listed = alice.exchange(exchange.ExchangeList).start()
    assert [(a["course_id"], a["assignment_id"], a["status"]) for a in listed] == [
        ("intro101", "ps1", "released"),
        ("stats", "hw1", "released"),
    ]
    assert listed[0]["notebooks"] == [{"notebook_id": "ps1", "path": "ps1.ipynb"}]
    alice.nbgrader("fetch_assignment", "hw1", "--course", "stats")
    assert (alice.home / "stats" / "hw1" / "hw1.ipynb").exists()
    assert "No course id specified" in alice.nbgrader("fetch_assignment", "hw1", ok=False)


def test_list_remove(service, people):
    teacher, alice, _ = people
    release(service, {"ps1.ipynb": notebook("")})
    release(service, {"ps2.ipynb": notebook("")}, a="ps2")
    assert "Only the instructors" in alice.nbgrader("list", "--remove", "ps1", ok=False)
    assert "cannot be removed" in teacher.nbgrader("list", "--inbound", "--remove", ok=False)
    teacher.nbgrader("list", "--remove", "ps1")
    assert list(service.released) == [("intro101", "ps2")]


# ------------------------------------------------------------------------------- small parts


@pytest.mark.parametrize("iso", ["2026-05-04T09:15:02.123Z", "2026-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z"])
def test_timestamps_round_trip(iso):
    text = classes.nbgrader_timestamp(iso)
    assert text.endswith(" UTC") and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC", text)
    assert parse_utc(text) == classes.parse_timestamp(iso)
    assert classes.parse_nbgrader_timestamp(text) == classes.parse_timestamp(iso)
    assert classes.iso_timestamp(parse_utc(text)) == iso
    assert classes.parse_timestamp(iso.replace("Z", "+02:00")) == classes.parse_timestamp(iso) - datetime.timedelta(
        hours=2
    )


def test_the_shipped_configuration(monkeypatch):
    for k in ("ENVHUB_CLASS", "ENVHUB_COURSE_ROOT"):
        monkeypatch.delenv(k, raising=False)
    config = PyFileConfigLoader(str(SHIPPED_CONFIG)).load_config()
    assert "course_id" not in config.CourseDirectory and "root" not in config.CourseDirectory
    monkeypatch.setenv("ENVHUB_CLASS", "intro101")
    monkeypatch.setenv("ENVHUB_COURSE_ROOT", "/home/jovyan/course-intro101")
    config = PyFileConfigLoader(str(SHIPPED_CONFIG)).load_config()
    assert config.CourseDirectory.course_id == "intro101"
    assert config.CourseDirectory.root == "/home/jovyan/course-intro101"
    assert config.Exchange.path_includes_course is True
    from nbgrader.exchange import ExchangeFactory

    factory = ExchangeFactory(config=config)
    for trait in [
        "exchange",
        "fetch_assignment",
        "fetch_feedback",
        "release_assignment",
        "release_feedback",
        "list",
        "submit",
        "collect",
    ]:
        assert getattr(factory, trait).__module__ == "envhub.exchange", trait


def test_unreachable_service_says_so(people):
    _, alice, _ = people
    alice.env["ENVHUB_SERVICE_URL"] = "http://127.0.0.1:9/services/envhub/"
    assert "Could not reach the envhub service at http://127.0.0.1:9/" in alice.nbgrader(
        "fetch_assignment", "ps1", ok=False
    )
