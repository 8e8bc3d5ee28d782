"""envhub's class API for the lab panel (``<base_url>envhub/api/class``), what a class role changes
in a server (nbgrader's instructor panels), and the formgrader's framing, in a real Jupyter server
against the fake service of test_exchange."""

from __future__ import annotations

import base64
import json
import re
import shutil

import pytest
from tornado.httpclient import HTTPClientError

from envhub import classes

from .test_exchange import SHIPPED_CONFIG, notebook, release, service  # noqa: F401 (a fixture)

NBGRADER_EXTENSIONS = {
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": True,
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.validate_assignment": True,
}
# What JupyterHub's singleuser extension sets on every response (JupyterHub >= 4.1).
HUB_CSP = "frame-ancestors 'none'; report-uri /hub/security/csp-report"


async def refused(call, status: int) -> str:
    """Awaits ``call``, expects an HTTP error ``status`` and returns its JSON message (or its page)."""
    with pytest.raises(HTTPClientError) as info:
        await call
    assert info.value.code == status, info.value.response.body
    try:
        return json.loads(info.value.response.body)["message"]
    except ValueError:
        return info.value.response.body.decode()


@pytest.fixture
def class_role():
    return "student"


@pytest.fixture
def student(service, monkeypatch, jp_env_config_path, class_role):
    """This server is alice's, launched for class intro101 (as ``class_role``); envhub's nbgrader
    configuration is installed where the wheel puts it (<sys.prefix>/etc/jupyter, the test's
    stand-in)."""
    service.add_class("intro101", instructors=["teacher"], students=["alice"])
    shutil.copy(SHIPPED_CONFIG, jp_env_config_path / "nbgrader_config.py")
    env = {
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_API_TOKEN": service.token("alice"),
        "ENVHUB_SERVICE_URL": service.url,
        "ENVHUB_CLASS": "intro101",
        "ENVHUB_CLASS_ROLE": class_role,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return service


@pytest.fixture
def jp_server_config(student):
    return {"ServerApp": {"jpserver_extensions": {"envhub": True}}}


async def call(jp_fetch, *parts, method="GET"):
    r = await jp_fetch("envhub", "api", "class", *parts, method=method, body=b"" if method == "POST" else None)
    return json.loads(r.body)


# ------------------------------------------------------------------------------ the class API


async def test_fetch_submit_and_feedback_from_the_panel(student, jp_fetch, jp_root_dir):
    release(student, {"ps1.ipynb": notebook("question"), "data.csv": "a\n"}, due="2099-01-01T00:00:00.000Z")
    listing = await call(jp_fetch)
    assert listing["class"]["id"] == "intro101" and listing["class"]["role"] == "student"
    assert listing["nbgrader"] is True
    [ps1] = listing["assignments"]
    assert ps1["id"] == "ps1" and ps1["dueAt"] == "2099-01-01T00:00:00.000Z"
    assert ps1["local"] == {"fetched": False, "path": None, "feedback": []}

    assert await call(jp_fetch, "assignments", "ps1", "fetch", method="POST") == {"path": "intro101/ps1"}
    answer = jp_root_dir / "intro101" / "ps1" / "ps1.ipynb"
    assert answer.read_text() == notebook("question")
    answer.write_text(notebook("my answer"))
    message = await refused(call(jp_fetch, "assignments", "ps1", "fetch", method="POST"), 409)
    assert "You already have a copy" in message
    assert answer.read_text() == notebook("my answer")

    receipt = await call(jp_fetch, "assignments", "ps1", "submit", method="POST")
    [kept] = student.submissions
    assert receipt["timestamp"] == kept["timestamp"] and receipt["student"] == "alice"
    assert receipt["late"] is False and sorted(receipt["files"]) == ["data.csv", "ps1.ipynb"]
    assert base64.b64decode(kept["files"][1]["content"]).decode() == notebook("my answer")

    # The instructor releases feedback for that submission; the panel fetches it.
    html = base64.b64encode(b"<p>good</p>").decode()
    student.feedback[("intro101", "ps1", "alice", receipt["timestamp"])] = {
        "files": [{"path": "ps1.html", "content": html}],
        "releasedAt": receipt["timestamp"],
    }
    folder = f"intro101/ps1/feedback/{classes.nbgrader_timestamp(receipt['timestamp'])}"
    fetched = await call(jp_fetch, "assignments", "ps1", "feedback", method="POST")
    assert fetched == {"paths": [f"{folder}/ps1.html"]}
    assert (jp_root_dir / folder / "ps1.html").read_text() == "<p>good</p>"

    [ps1] = (await call(jp_fetch))["assignments"]
    assert ps1["local"] == {
        "fetched": True,
        "path": "intro101/ps1",
        "feedback": [{"timestamp": receipt["timestamp"], "path": folder}],
    }
    assert ps1["submissions"][0]["hasFeedback"] is True


async def test_refusals_carry_the_services_status_and_message(student, jp_fetch, monkeypatch):
    message = await refused(call(jp_fetch, "assignments", "ps9", "fetch", method="POST"), 404)
    assert message == "ps9 is not released in class intro101"
    await refused(call(jp_fetch, "assignments", "ps1", "grade", method="POST"), 404)
    await refused(call(jp_fetch, "assignments", "..", "fetch", method="POST"), 404)
    monkeypatch.setenv("ENVHUB_CLASS", "other")
    assert "There is no class other of yours" in await refused(call(jp_fetch), 404)
    monkeypatch.setenv("ENVHUB_SERVICE_URL", "http://127.0.0.1:9/services/envhub/")
    assert "Could not reach the envhub service" in await refused(call(jp_fetch), 502)
    message = await refused(call(jp_fetch, "assignments", "ps1", "fetch", method="POST"), 502)
    assert "Could not reach the envhub service" in message
    message = await refused(call(jp_fetch, "assignments", "ps1", "submit", method="POST"), 404)
    assert message.startswith("Assignment not found at: "), "nothing fetched, nothing to submit"


async def test_without_a_class_or_without_nbgrader(student, jp_fetch, monkeypatch):
    monkeypatch.delenv("ENVHUB_CLASS")
    assert await call(jp_fetch) == {"class": None, "assignments": [], "nbgrader": True}
    assert "not launched for a class" in await refused(
        call(jp_fetch, "assignments", "ps1", "fetch", method="POST"), 409
    )
    monkeypatch.setenv("ENVHUB_CLASS", "intro101")
    monkeypatch.setattr(classes, "nbgrader_installed", lambda: False)
    release(student, {"ps1.ipynb": notebook("")})
    listing = await call(jp_fetch)
    assert listing["nbgrader"] is False and listing["assignments"][0]["local"]["fetched"] is False
    message = await refused(call(jp_fetch, "assignments", "ps1", "fetch", method="POST"), 409)
    assert "add nbgrader to its requirements.txt" in message


async def test_the_class_api_needs_the_servers_token(student, jp_fetch):
    await refused(jp_fetch("envhub", "api", "class", headers={"Authorization": ""}), 403)


@pytest.mark.parametrize(
    "jp_server_config",
    [{"ServerApp": {"jpserver_extensions": {"envhub": True, "nbgrader.server_extensions.assignment_list": True}}}],
)
async def test_nbgraders_assignments_panel_works_with_the_exchange(student, jp_fetch, jp_root_dir, monkeypatch):
    """nbgrader's own Assignments panel (its server extension), as a student clicks through it."""
    # The panel works in the server's working directory, which a spawned server starts in: its root.
    monkeypatch.chdir(jp_root_dir)
    release(student, {"ps1.ipynb": notebook("question")})

    async def panel(action=None):
        if action is None:
            r = await jp_fetch("assignments", params={"course_id": "intro101"})
        else:
            body = json.dumps({"course_id": "intro101", "assignment_id": "ps1"})
            r = await jp_fetch("assignments", action, method="POST", body=body)
        answer = json.loads(r.body)
        assert answer["success"] is True, answer
        return answer["value"]

    [released] = await panel()
    assert (released["status"], released["course_id"], released["assignment_id"]) == ("released", "intro101", "ps1")
    [fetched] = await panel("fetch")
    assert fetched["status"] == "fetched" and fetched["path"] == "intro101/ps1"
    assert fetched["notebooks"] == [{"notebook_id": "ps1", "path": "intro101/ps1/ps1.ipynb"}]
    fetched, submitted = await panel("submit")
    [s] = student.submissions
    assert submitted["status"] == "submitted" and submitted["student_id"] == "alice"
    [entry] = submitted["submissions"]
    assert entry["timestamp"] == classes.nbgrader_timestamp(s["timestamp"])
    assert not entry["has_exchange_feedback"] and not entry["has_local_feedback"]

    html = base64.b64encode(b"<p>good</p>").decode()
    student.feedback[("intro101", "ps1", "alice", s["timestamp"])] = {
        "files": [{"path": "ps1.html", "content": html}],
        "releasedAt": s["timestamp"],
    }
    [entry] = (await panel())[1]["submissions"]
    assert entry["has_exchange_feedback"] and not entry["has_local_feedback"]
    [entry] = (await panel("fetch_feedback"))[1]["submissions"]
    assert entry["has_local_feedback"] and not entry["feedback_updated"]
    assert entry["local_feedback_path"] == f"intro101/ps1/feedback/{entry['timestamp']}"
    assert (jp_root_dir / entry["local_feedback_path"] / "ps1.html").read_text() == "<p>good</p>"


# ------------------------------------------------------------------------------------- roles


def page_config(html: bytes) -> dict:
    m = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


@pytest.mark.parametrize("class_role", ["student", "instructor"])
@pytest.mark.parametrize(
    "jp_server_config",
    [{"ServerApp": {"jpserver_extensions": {"envhub": True, "jupyterlab": True, **NBGRADER_EXTENSIONS}}}],
)
async def test_a_students_server_has_no_instructor_panels(class_role, student, jp_serverapp, jp_fetch):
    # JupyterHub's singleuser extension sets its page config hook while loading (after envhub's).
    settings = jp_serverapp.web_app.settings
    settings["page_config_hook"] = lambda handler, config: dict(config, hubUser="alice")
    await jp_serverapp.extension_manager.start_all_extensions()

    config = page_config((await jp_fetch("lab")).body)
    assert config["hubUser"] == "alice", "JupyterHub's hook still runs"
    hidden = set(classes.STUDENT_HIDDEN_LAB_PLUGINS) & set(config["disabledExtensions"])
    assert hidden == (set(classes.STUDENT_HIDDEN_LAB_PLUGINS) if class_role == "student" else set())

    loaded = {name for name, ext in jp_serverapp.extension_manager.extensions.items() if ext.enabled}
    if class_role == "student":
        assert loaded == {
            "envhub",
            "jupyterlab",
            "nbgrader.server_extensions.assignment_list",
            "nbgrader.server_extensions.validate_assignment",
            "jupyter_server_terminals",
        }
        await refused(jp_fetch("formgrader"), 404)
        await refused(jp_fetch("formgraders"), 404)
    else:
        assert set(NBGRADER_EXTENSIONS) <= loaded
        assert (await jp_fetch("formgrader")).code == 200, "the formgrader is there"
    # The students' Assignments panel is there for everyone.
    r = await jp_fetch("assignments", params={"course_id": "intro101"})
    assert json.loads(r.body)["success"] is True


# -------------------------------------------------------------------------------- framing


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {
                "jpserver_extensions": {"envhub": True, "nbgrader.server_extensions.formgrader": True},
                "tornado_settings": {"headers": {"Content-Security-Policy": HUB_CSP}},
            }
        }
    ],
)
@pytest.mark.parametrize("class_role", ["instructor"])
async def test_only_the_formgrader_may_be_framed(student, jp_fetch):
    page = await jp_fetch("formgrader", "manage_assignments")
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'; report-uri /hub/security/csp-report"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("formgrader", "no-such-page")
    assert info.value.response.headers["Content-Security-Policy"].startswith("frame-ancestors 'self'")
    # Everything else keeps JupyterHub's policy, look-alike paths included.
    for parts in [("api", "status"), ("envhub", "api", "class"), ("formgraders",), ("formgrader-x",)]:
        try:
            r = await jp_fetch(*parts)
        except HTTPClientError as e:
            r = e.response
        # (API answers add "default-src 'none'" to it.)
        assert r.headers["Content-Security-Policy"].startswith(HUB_CSP), parts


@pytest.mark.parametrize(
    ("policy", "framed"),
    [
        ("frame-ancestors 'none'", "frame-ancestors 'self'"),
        (
            "default-src 'self'; FRAME-ANCESTORS 'none' https://x;report-uri /r",
            "default-src 'self'; frame-ancestors 'self'; report-uri /r",
        ),
        ("default-src 'self'", "default-src 'self'"),
        ("frame-ancestors-x 'none'", "frame-ancestors-x 'none'"),
    ],
)
def test_framing_replaces_only_frame_ancestors(policy, framed):
    from tornado.httputil import HTTPHeaders, HTTPServerRequest

    def headers_for(path):
        transform = classes.FormgraderFraming("/user/alice/formgrader", HTTPServerRequest(uri=path))
        _, headers, _ = transform.transform_first_chunk(
            200, HTTPHeaders({"Content-Security-Policy": policy}), b"", True
        )
        return headers["Content-Security-Policy"]

    assert headers_for("/user/alice/formgrader/manage_assignments") == framed
    assert headers_for("/user/alice/formgrader") == framed
    assert headers_for("/user/alice/lab") == policy
    assert headers_for("/user/bob/formgrader") == policy
    assert headers_for("/user/alice/formgraders") == policy
