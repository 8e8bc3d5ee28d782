"""nbgrader's exchange, kept by the envhub service instead of a shared folder.

Every server runs as uid 1000, so a filesystem exchange cannot tell students apart. These classes
send and receive the files through the service (``<ENVHUB_SERVICE_URL>api/classes/<course>/…``,
with this server's Hub token), which decides who is who and who may do what. The
``nbgrader_config.py`` this package installs in ``<sys.prefix>/etc/jupyter`` selects them
(``c.ExchangeFactory.*``).

| nbgrader | service routes (under ``classes/<course>/``) |
| --- | --- |
| ``release_assignment`` | ``GET assignments`` (an existing release needs ``--force``), ``PUT assignments/<a>`` |
| ``list`` | ``GET assignments`` (every class of ``GET classes`` without a course) |
| ``list --inbound`` | … and ``GET assignments/<a>/submissions`` (instructors: everyone's) |
| ``list --cached`` | … the caller's submissions in ``GET assignments``, ``GET assignments/<a>/feedback`` |
| ``list --remove`` | ``DELETE assignments/<a>`` (withdraw); with ``--cached`` the local copies only |
| ``fetch_assignment`` | ``GET assignments/<a>/files`` |
| ``submit`` | ``GET assignments``, ``POST assignments/<a>/submissions`` |
| ``collect`` | ``GET assignments/<a>/submissions``, ``GET assignments/<a>/submissions/<id>`` |
| ``release_feedback`` | ``GET assignments/<a>/submissions``, ``PUT assignments/<a>/feedback/<student>`` |
| ``fetch_feedback`` | ``GET assignments/<a>/feedback`` |

Local files are where nbgrader's default exchange puts them: fetched assignments in
``{assignment_dir}/[{course}/]{assignment}``, feedback in ``…/feedback/<timestamp>/``, a copy of
each submission in ``{cache}/{course}/{student}+{assignment}+{timestamp}``, collected submissions
in ``submitted/{student}/{assignment}`` with ``timestamp.txt``. Timestamps: see envhub.classes.
A course id left empty (or ``*``) is the server's class (``ENVHUB_CLASS``).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import glob
import hashlib
import os
import re
import shutil
from collections import defaultdict

from jupyter_core.paths import jupyter_data_dir
from nbgrader.exchange import abc
from nbgrader.exchange.abc import ExchangeError
from nbgrader.utils import ignore_patterns, parse_utc
from traitlets import Bool, Unicode, default

from .classes import ClassError, iso_timestamp, nbgrader_timestamp, parse_timestamp, route, service


class EnvhubExchangeError(ClassError, ExchangeError):
    """nbgrader's ExchangeError (what its apps and panels catch), with an HTTP status for
    envhub's handlers."""


def _check_path(path) -> list[str]:
    """The parts of a file's path from the service; refuses anything that could leave its folder."""
    if not isinstance(path, str) or "\\" in path or "\0" in path:
        raise ValueError(f"unsafe file path {path!r}")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"unsafe file path {path!r}")
    return parts


class Exchange(abc.Exchange):
    path_includes_course = Bool(
        False,
        help="Whether assignments are fetched to and submitted from ./<course>/<assignment> "
        "rather than ./<assignment> (envhub's nbgrader_config.py sets it).",
    ).tag(config=True)

    cache = Unicode("", help="Local copies of submissions. Defaults to $JUPYTER_DATA_DIR/nbgrader_cache").tag(
        config=True
    )

    @default("cache")
    def _cache_default(self):
        return os.path.join(jupyter_data_dir(), "nbgrader_cache")

    def fail(self, msg, status: int = 400):
        self.log.fatal(msg)
        raise EnvhubExchangeError(status, msg)

    @property
    def course(self) -> str:
        course = self.coursedir.course_id
        return os.environ.get("ENVHUB_CLASS", "") if course in ("", "*") else course

    def require_course(self) -> str:
        if not self.course:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.course

    def request(self, method: str, *parts: str, body: dict | None = None) -> dict:
        """The one way to the service: its refusals become ExchangeError with its message."""
        try:
            return service(method, route(*parts), body)
        except ClassError as e:
            self.fail(e.message, e.status)

    def url(self, *parts: str) -> str:
        return os.environ.get("ENVHUB_SERVICE_URL", "").rstrip("/") + "/api/" + route(*parts)

    def local_dir(self, course: str, assignment: str) -> str:
        parts = [course, assignment] if self.path_includes_course else [assignment]
        return os.path.abspath(os.path.join(self.assignment_dir, *parts))

    def read_files(self, src: str) -> list[dict]:
        """The files under ``src`` for the service, chosen as nbgrader's default exchange copies:
        ``coursedir.ignore``, ``include``, ``max_file_size``, ``max_dir_size``."""
        cd = self.coursedir
        size = sum(
            os.path.getsize(os.path.join(d, f))
            for d, _, files in os.walk(src)
            for f in files
            if not os.path.islink(os.path.join(d, f))
        )
        if size > 1000 * cd.max_dir_size:
            self.fail(f"Directory size is too big. Size is {size}, maximum size is {1000 * cd.max_dir_size}", 413)
        ignore = ignore_patterns(exclude=cd.ignore, include=cd.include, max_file_size=cd.max_file_size, log=self.log)
        entries = []
        for folder, dirs, files in os.walk(src):
            skipped = set(ignore(folder, dirs + files))
            dirs[:] = sorted(d for d in dirs if d not in skipped)
            for name in sorted(f for f in files if f not in skipped):
                with open(os.path.join(folder, name), "rb") as fh:
                    content = base64.b64encode(fh.read()).decode("ascii")
                path = os.path.relpath(os.path.join(folder, name), src).replace(os.sep, "/")
                entries.append({"path": path, "content": content})
        return entries

    def write_files(self, dest: str, files: list[dict], replace: bool = True, ignore=()) -> list[str]:
        """Writes the service's files under ``dest``; keeps existing ones unless ``replace``; skips
        paths with a part matching an ``ignore`` glob. Returns the paths written."""
        try:  # every file checked before any is written: a refused answer leaves nothing behind
            entries = [(_check_path(e["path"]), base64.b64decode(e["content"], validate=True)) for e in files]
        except (ValueError, binascii.Error, KeyError, TypeError) as e:
            self.fail(f"The envhub service sent a file this server cannot write: {e}", 502)
        os.makedirs(dest, exist_ok=True)
        top = os.path.realpath(dest)
        written = []
        for parts, content in entries:
            if any(fnmatch.fnmatch(p, g) for p in parts for g in ignore):
                continue
            target = os.path.join(dest, *parts)
            if not replace and os.path.lexists(target):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.commonpath([top, os.path.realpath(os.path.dirname(target))]) != top:
                self.fail(f"{'/'.join(parts)} leads outside {dest} (through a symbolic link)")
            with open(target, "wb") as fh:
                fh.write(content)
            written.append(target)
        return written

    def gradebook_due_date(self, course: str, assignment: str):
        """The due date in the gradebook (naive UTC), where nbgrader's formgrader sets it."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, course) as gb:
            try:
                return gb.find_assignment(assignment).duedate
            except MissingEntry:
                return None

    def assignments(self, course: str) -> list[dict]:
        return self.request("GET", course, "assignments")["assignments"]

    def courses(self) -> list[str]:
        """The course given, or the server's class, or else every class of the caller."""
        if self.course:
            return [self.course]
        return [c["id"] for c in self.request("GET")["classes"]]  # GET classes

    def init_src(self):
        pass

    def init_dest(self):
        pass

    def copy_files(self):
        pass


class ExchangeReleaseAssignment(Exchange, abc.ExchangeReleaseAssignment):
    def init_src(self):
        cd = self.coursedir
        self.src_path = cd.format_path(cd.release_directory, ".", cd.assignment_id)
        if not os.path.isdir(self.src_path):
            source = cd.format_path(cd.source_directory, ".", cd.assignment_id)
            if os.path.isdir(source):
                self.fail(
                    f"Assignment found in '{source}' but not '{self.src_path}', "
                    "run `nbgrader generate_assignment` first."
                )
            self.fail(f"Assignment not found at: {self.src_path}", 404)

    def init_dest(self):
        self.require_course()

    def copy_files(self):
        course, assignment = self.course, self.coursedir.assignment_id
        if any(a["id"] == assignment for a in self.assignments(course)) and not self.force:
            self.fail(f"Destination already exists, add --force to overwrite: {course} {assignment}", 409)
        due = self.gradebook_due_date(course, assignment)
        body = {"files": self.read_files(self.src_path), "dueAt": iso_timestamp(due) if due else None}
        self.log.info("Source: %s", self.src_path)
        self.request("PUT", course, "assignments", assignment, body=body)
        self.log.info("Released as: %s %s", course, assignment)


class ExchangeFetchAssignment(Exchange, abc.ExchangeFetchAssignment):
    def init_src(self):
        self.require_course()

    def init_dest(self):
        self.dest_path = self.local_dir(self.course, self.coursedir.assignment_id)
        if os.path.isdir(self.dest_path) and not self.replace_missing_files:
            self.fail(
                "You already have a copy of the assignment in this directory: "
                f"{os.path.relpath(self.dest_path, self.assignment_dir)}",
                409,
            )

    def copy_files(self):
        course, assignment = self.course, self.coursedir.assignment_id
        files = self.request("GET", course, "assignments", assignment, "files")["files"]
        self.log.info("Destination: %s", self.dest_path)
        # As nbgrader's default: files already here (an answer in progress) are never replaced.
        for path in self.write_files(self.dest_path, files, replace=False, ignore=self.coursedir.ignore):
            self.log.debug("Fetched %s", path)
        self.log.info("Fetched as: %s %s", course, assignment)


class ExchangeSubmit(Exchange, abc.ExchangeSubmit):
    def init_src(self):
        self.require_course()
        self.src_path = self.local_dir(self.course, self.coursedir.assignment_id)
        self.coursedir.assignment_id = os.path.basename(self.src_path)
        if not os.path.isdir(self.src_path):
            self.fail(f"Assignment not found at: {self.src_path}", 404)

    def init_dest(self):
        # Sent only when given explicitly (nbgrader's --student): the service refuses any name but
        # the caller's, and without it the caller is the student.
        student = self.coursedir.student_id
        if student != "*" and ("*" in student or "+" in student):
            self.fail(f"The student ID should contain no '*' nor '+'; got {student}")
        self.student = None if student in ("*", "") else student

    def check_notebooks(self, released: list[str], files: list[dict]) -> None:
        """As nbgrader's default: warns about missing or extra notebooks; refuses with ``strict``."""
        submitted = sorted(f["path"] for f in files if f["path"].endswith(".ipynb"))
        missing = [n for n in released if n not in submitted]
        extra = [n for n in submitted if n not in released]
        if not missing and not extra:
            return
        diff = "Expected:\n\t{}\nSubmitted:\n\t{}".format(
            "\n\t".join(f"{n}: {'MISSING' if n in missing else 'FOUND'}" for n in released),
            "\n\t".join(f"{n}: {'EXTRA' if n in extra else 'OK'}" for n in submitted),
        )
        assignment = self.coursedir.assignment_id
        if missing and self.strict:
            self.fail(f"Assignment {assignment} not submitted. There are missing notebooks for the submission:\n{diff}")
        self.log.warning(
            "Possible missing notebooks and/or extra notebooks submitted for assignment %s:\n%s", assignment, diff
        )

    def copy_files(self):
        course, assignment = self.course, self.coursedir.assignment_id
        files = self.read_files(self.src_path)
        released = [a for a in self.assignments(course) if a["id"] == assignment]
        if released:  # otherwise the service's refusal says why
            self.check_notebooks(released[0]["notebooks"], files)
        body = {"files": files}
        if self.student:
            body["student"] = self.student
        self.log.info("Source: %s", self.src_path)
        self.receipt = self.request("POST", course, "assignments", assignment, "submissions", body=body)
        timestamp = nbgrader_timestamp(self.receipt["timestamp"])
        # A local copy, as nbgrader's default keeps (list --cached reads the service instead).
        cache = os.path.join(self.cache, course, f"{self.receipt['student']}+{assignment}+{timestamp}")
        self.write_files(cache, files)
        with open(os.path.join(cache, "timestamp.txt"), "w") as fh:
            fh.write(timestamp)
        if self.receipt.get("late"):
            self.log.warning("This submission came after the due date")
        self.log.info("Submitted as: %s %s %s", course, assignment, timestamp)


class ExchangeCollect(Exchange, abc.ExchangeCollect):
    def init_src(self):
        course, assignment = self.require_course(), self.coursedir.assignment_id
        student = self.coursedir.student_id
        submissions = self.request("GET", course, "assignments", assignment, "submissions")["submissions"]
        by_student = defaultdict(list)
        for s in submissions:
            if student in ("", "*") or s["student"] == student:
                by_student[s["student"]].append(s)
        due = self.due_date(course, assignment) if self.before_duedate else None
        self.src_records = []
        for subs in by_student.values():
            subs.sort(key=lambda s: parse_timestamp(s["timestamp"]), reverse=True)
            on_time = [s for s in subs if due is not None and parse_timestamp(s["timestamp"]) <= due]
            self.src_records.append((on_time or subs)[0])

    def due_date(self, course: str, assignment: str):
        """The gradebook's due date, as nbgrader's default uses; else the one released with."""
        due = self.gradebook_due_date(course, assignment)
        if due is None:
            view = [a for a in self.assignments(course) if a["id"] == assignment]
            due = parse_timestamp(view[0]["dueAt"]) if view and view[0].get("dueAt") else None
        return due

    def copy_files(self):
        course, assignment = self.course, self.coursedir.assignment_id
        if not self.src_records:
            self.log.warning("No submissions of '%s' for course '%s' to collect", assignment, course)
        else:
            count = len(self.src_records)
            self.log.info("Processing %d submissions of '%s' for course '%s'", count, assignment, course)
        for rec in self.src_records:
            student = rec["student"]
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment)
            new = parse_timestamp(rec["timestamp"])
            if os.path.isdir(dest):
                existing = self.coursedir.get_existing_timestamp(dest)
                newer = self.update and (existing is None or new > existing)
                if not (newer or (self.before_duedate and existing != new)):
                    if self.update:
                        self.log.info("No newer submission to collect: %s %s", student, assignment)
                    else:
                        self.log.info("Submission already exists, use --update to update: %s %s", student, assignment)
                    continue
                self.log.info("Updating submission: %s %s", student, assignment)
            else:
                self.log.info("Collecting submission: %s %s", student, assignment)
            files = self.request("GET", course, "assignments", assignment, "submissions", rec["id"])["files"]
            if os.path.isdir(dest):
                shutil.rmtree(dest)
            self.write_files(dest, files)
            # nbgrader's form, in UTC with microseconds: the service's timestamp exactly.
            with open(os.path.join(dest, "timestamp.txt"), "w") as fh:
                fh.write(nbgrader_timestamp(rec["timestamp"]))


class ExchangeReleaseFeedback(Exchange, abc.ExchangeReleaseFeedback):
    def init_src(self):
        cd = self.coursedir
        self.src_path = cd.format_path(cd.feedback_directory, cd.student_id or "*", cd.assignment_id)

    def init_dest(self):
        self.require_course()

    def graded_timestamp(self, feedback_dir: str, student: str):
        """When the graded submission was made: generate_feedback copies its timestamp.txt beside
        the html (nbgrader's default reads it there); else the collected submission's."""
        cd = self.coursedir
        for folder in (feedback_dir, cd.format_path(cd.submitted_directory, student, cd.assignment_id)):
            path = os.path.join(folder, "timestamp.txt")
            if os.path.isfile(path):
                with open(path) as fh:
                    text = fh.read().strip()
                try:
                    return parse_utc(text)
                except (ValueError, OverflowError):
                    self.fail(f"{path} holds no timestamp nbgrader can read: {text!r}")
        return None

    def copy_files(self):
        cd = self.coursedir
        course, assignment = self.course, cd.assignment_id
        excluded = set(cd.student_id_exclude.split(",")) if cd.student_id_exclude else set()
        pattern = re.escape(os.path.sep).join(
            [cd.format_path(cd.feedback_directory, "(?P<student_id>.*)", assignment, escape=True), r"(?P<nb>.*)\.html"]
        )
        by_student = defaultdict(list)
        for html in sorted(glob.glob(os.path.join(self.src_path, "*.html"))):
            m = re.match(pattern, html)
            if m is None:
                self.log.error("Could not match '%s' with regexp '%s'", html, pattern)
            elif m["student_id"] not in excluded:
                by_student[m["student_id"]].append(html)
        if not by_student:
            self.log.warning("No feedback for '%s' in %s", assignment, self.src_path)
            return
        submissions = self.request("GET", course, "assignments", assignment, "submissions")["submissions"]
        problems = []
        for student, htmls in sorted(by_student.items()):
            graded = self.graded_timestamp(os.path.dirname(htmls[0]), student)
            # The instant, compared with the service's: its own string goes back, whatever the form here.
            match = [s for s in submissions if s["student"] == student and parse_timestamp(s["timestamp"]) == graded]
            if not match:
                problems.append(f"{student}: no submission of {assignment} at {graded} (collect again?)")
                continue
            files = []
            for html in htmls:
                with open(html, "rb") as fh:
                    files.append({"path": os.path.basename(html), "content": base64.b64encode(fh.read()).decode()})
            body = {"timestamp": match[0]["timestamp"], "files": files}
            self.log.info("Releasing feedback for student '%s' on assignment '%s/%s'", student, course, assignment)
            try:
                self.request("PUT", course, "assignments", assignment, "feedback", student, body=body)
            except EnvhubExchangeError as e:
                problems.append(f"{student}: {e.message}")
        if problems:
            self.fail("Feedback not released for:\n" + "\n".join(problems), 409)


class ExchangeFetchFeedback(Exchange, abc.ExchangeFetchFeedback):
    def init_src(self):
        course, assignment = self.require_course(), self.coursedir.assignment_id
        ids = [assignment] if assignment not in ("", "*") else [a["id"] for a in self.assignments(course)]
        feedback = [f for a in ids for f in self.request("GET", course, "assignments", a, "feedback")["feedback"]]
        # Instructors are answered everyone's: keep the caller's own (the name nbgrader uses).
        student = self.coursedir.student_id
        me = student if student not in ("", "*") else os.environ.get("JUPYTERHUB_USER")
        self.feedback = [f for f in feedback if not me or f["student"] == me]

    def copy_files(self):
        self.fetched = []
        if not self.feedback:
            self.log.warning("No feedback available to fetch for %s %s", self.course, self.coursedir.assignment_id)
        for f in self.feedback:
            dest = os.path.join(
                self.local_dir(self.course, f["assignment"]), "feedback", nbgrader_timestamp(f["timestamp"])
            )
            for path in self.write_files(dest, f["files"]):
                self.log.info("Fetched feedback: %s", path)
                self.fetched.append(path)


def _checksum(content: bytes) -> str:
    return hashlib.md5(content).hexdigest()


class ExchangeList(abc.ExchangeList, Exchange):
    def wanted(self, view: dict) -> bool:
        assignment = self.coursedir.assignment_id
        return assignment in ("", "*") or view["id"] == assignment

    def released(self, course: str, view: dict) -> dict:
        local = self.local_dir(course, view["id"])
        info = {"course_id": course, "assignment_id": view["id"]}
        if os.path.exists(local):
            notebooks = sorted(glob.glob(os.path.join(local, "*.ipynb")))
            info.update(status="fetched", path=local)
            info["notebooks"] = [{"notebook_id": os.path.basename(n)[: -len(".ipynb")], "path": n} for n in notebooks]
        else:
            # Where it is, as nbgrader's default says: the service, notebooks by their path there.
            info.update(status="released", path=self.url(course, "assignments", view["id"], "files"))
            info["notebooks"] = [
                {"notebook_id": n[: -len(".ipynb")], "path": n} for n in view["notebooks"] if "/" not in n
            ]
        return info

    def submitted(self, course: str, sub: dict, feedback: dict | None) -> dict:
        """One submission as nbgrader's default lists it. ``feedback``: the released feedback's
        files by name (cached), or None when unknown (inbound: the service's flag stands in)."""
        timestamp = nbgrader_timestamp(sub["timestamp"])
        local = self.local_dir(course, sub["assignment"])
        feedback_dir = os.path.join(local, "feedback", timestamp)
        cache = os.path.join(self.cache, course, f"{sub['student']}+{sub['assignment']}+{timestamp}")
        at_service = self.url(course, "assignments", sub["assignment"], "submissions", sub["id"])
        info = {
            "course_id": course,
            "student_id": sub["student"],
            "assignment_id": sub["assignment"],
            "timestamp": timestamp,
            "status": "submitted",
            "path": cache if self.cached else at_service,
            "notebooks": [],
        }
        for name in sorted(f for f in sub["files"] if "/" not in f and f.endswith(".ipynb")):
            notebook_id = name[: -len(".ipynb")]
            local_html = os.path.join(feedback_dir, f"{notebook_id}.html")
            has_local = os.path.isfile(local_html)
            if feedback is None:
                exchange_html, has_exchange = None, bool(sub.get("hasFeedback"))
            else:
                exchange_html = feedback.get(f"{notebook_id}.html")
                has_exchange = exchange_html is not None
            updated = False
            if has_local and exchange_html is not None:
                with open(local_html, "rb") as fh:
                    updated = _checksum(fh.read()) != _checksum(base64.b64decode(exchange_html))
            info["notebooks"].append(
                {
                    "notebook_id": notebook_id,
                    "path": os.path.join(cache, name),
                    "has_local_feedback": has_local,
                    "has_exchange_feedback": has_exchange,
                    "local_feedback_path": local_html if has_local else None,
                    "feedback_updated": updated,
                }
            )
        nbs = info["notebooks"]
        info["has_local_feedback"] = bool(nbs) and all(n["has_local_feedback"] for n in nbs)
        info["has_exchange_feedback"] = bool(nbs) and all(n["has_exchange_feedback"] for n in nbs)
        info["feedback_updated"] = any(n["feedback_updated"] for n in nbs)
        info["local_feedback_path"] = feedback_dir if info["has_local_feedback"] else None
        return info

    def submissions(self, course: str, view: dict) -> list[dict]:
        student = self.coursedir.student_id
        if self.inbound:
            subs = self.request("GET", course, "assignments", view["id"], "submissions")["submissions"]
        else:
            subs = view["submissions"]
        subs = [s for s in subs if student in ("", "*") or s["student"] == student]
        if self.inbound:
            return [self.submitted(course, s, None) for s in subs]
        feedback = {}
        if any(s.get("hasFeedback") for s in subs):
            for f in self.request("GET", course, "assignments", view["id"], "feedback")["feedback"]:
                key = (f["student"], parse_timestamp(f["timestamp"]))
                feedback[key] = {e["path"]: e["content"] for e in f["files"]}
        return [
            self.submitted(course, s, feedback.get((s["student"], parse_timestamp(s["timestamp"])), {})) for s in subs
        ]

    def parse_assignments(self) -> list[dict]:
        found = []
        for course in self.courses():
            for view in filter(self.wanted, self.assignments(course)):
                if self.inbound or self.cached:
                    found.extend(self.submissions(course, view))
                else:
                    found.append(self.released(course, view))
        if not (self.inbound or self.cached):
            return found
        # Grouped per course, student and assignment, oldest first, as nbgrader's default does.
        groups = defaultdict(list)
        for info in found:
            groups[(info["course_id"], info["student_id"], info["assignment_id"])].append(info)
        return [
            {
                "course_id": c,
                "student_id": s,
                "assignment_id": a,
                "status": "submitted",
                "submissions": sorted(subs, key=lambda i: i["timestamp"]),
            }
            for (c, s, a), subs in sorted(groups.items())
        ]

    def list_files(self):
        assignments = self.parse_assignments()
        if self.inbound or self.cached:
            self.log.info("Submitted assignments:")
            for a in assignments:
                for s in a["submissions"]:
                    if s["has_local_feedback"] and not s["feedback_updated"]:
                        feedback = "feedback already fetched"
                    elif s["has_exchange_feedback"]:
                        feedback = "feedback ready to be fetched"
                    else:
                        feedback = "no feedback available"
                    self.log.info(
                        "%s %s %s %s (%s)",
                        a["course_id"],
                        a["student_id"],
                        a["assignment_id"],
                        s["timestamp"],
                        feedback,
                    )
        else:
            self.log.info("Released assignments:")
            for a in assignments:
                fetched = " (already downloaded)" if a["status"] == "fetched" else ""
                self.log.info("%s %s%s", a["course_id"], a["assignment_id"], fetched)
        return assignments

    def remove_files(self):
        if self.inbound:
            self.fail("The envhub service keeps every submission: they cannot be removed here.", 405)
        assignments = self.parse_assignments()
        if self.cached:
            # Only this server's copies: the submissions themselves stay with the service.
            for a in assignments:
                for s in a["submissions"]:
                    shutil.rmtree(s["path"], ignore_errors=True)
                    s["status"] = "removed"
            return assignments
        for a in assignments:
            self.log.info("Withdrawing %s %s", a["course_id"], a["assignment_id"])
            self.request("DELETE", a["course_id"], "assignments", a["assignment_id"])
            a["status"] = "removed"
        return assignments
