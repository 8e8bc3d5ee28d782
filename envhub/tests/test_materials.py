"""The course-materials server extension against real git repositories (bare, over file://)."""

import datetime
import json
import os
import re
import shutil
import time

import pytest
from tornado.httpclient import HTTPClientError

from envhub import materials

from .conftest import git, notebook


async def refused(call, status: int) -> str:
    """Awaits ``call``, expects an HTTP error ``status`` and returns its JSON message."""
    with pytest.raises(HTTPClientError) as info:
        await call
    assert info.value.code == status, info.value.response.body
    return json.loads(info.value.response.body)["message"]


# ------------------------------------------------------------------------------------- path rules


@pytest.mark.parametrize(
    "path",
    [
        "/etc",
        "/home/jovyan/week1",
        "..",
        "../escape",
        "week1/../../escape",
        ".ipython/profile_default/startup",
        "course/.git",
        ".",
        "./week1",
        "a//b",
        "week1/",
        "",
        "bad\nname",
        "bad\x00name",
    ],
)
def test_hostile_paths_are_refused(path):
    with pytest.raises(ValueError):
        materials.check_path(path)
    with pytest.raises(ValueError, match=r"materials\[0\]\.path"):
        materials.parse_materials([{"repo": "https://example.org/r.git", "path": path}])


@pytest.mark.parametrize("path", ["week1", "course/week 1", "Week-1_2024", "a/b/c"])
def test_relative_folders_are_accepted(path):
    assert materials.check_path(path) == path


@pytest.mark.parametrize(
    ("repo", "folder"),
    [
        ("https://github.com/org/week1.git", "week1"),
        ("https://github.com/org/week1", "week1"),
        ("https://github.com/org/week1/", "week1"),
        ("git@github.com:org/week1.git", "week1"),
        ("file:///srv/git/course.bundle", "course"),
    ],
)
def test_default_folder_is_the_repository_name(repo, folder):
    assert materials.parse_materials([{"repo": repo}])[0].path == folder


def test_list_rules():
    ok = {"repo": "https://example.org/a.git"}
    with pytest.raises(ValueError, match="at most 10"):
        materials.parse_materials([dict(ok, path=f"w{i}") for i in range(11)])
    with pytest.raises(ValueError, match=r"materials\[0\]: unknown field\(s\) targetPath"):
        materials.parse_materials([dict(ok, targetPath="x")])
    with pytest.raises(ValueError, match=r"materials\[1\]\.path: 'a/b' overlaps materials\[0\]\.path 'a'"):
        materials.parse_materials([dict(ok, path="a"), dict(ok, path="a/b")])
    with pytest.raises(ValueError, match=r"materials\[1\]\.path: 'a' is the same folder"):
        materials.parse_materials([ok, {"repo": "https://example.org/other/a"}])
    with pytest.raises(ValueError, match=r"materials\[0\]\.path: no folder can be derived"):
        materials.parse_materials([{"repo": "https://example.org/.hidden.git"}])
    for ref in ["-b", "a..b", "x y", "refs/heads/x.lock", "a:b", ""]:
        with pytest.raises(ValueError, match=r"materials\[0\]\.ref"):
            materials.parse_materials([dict(ok, ref=ref)])
    for repo in ["", "--upload-pack=touch /tmp/x", "https://a b", None]:
        with pytest.raises(ValueError, match=r"materials\[0\]\.repo"):
            materials.parse_materials([{"repo": repo}])
    assert materials.parse_materials([dict(ok, ref="feature/week-2")])[0].ref == "feature/week-2"


async def test_put_refuses_hostile_entries_and_keeps_the_list(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url}])
    for body, names in [
        ([{"repo": week1.url, "path": "../escape"}], "materials[0].path"),
        (
            [{"repo": week1.url}, {"repo": week1.url, "path": ".ipython/profile_default/startup"}],
            "materials[1].path",
        ),
        ([{"repo": week1.url, "path": "/tmp/x"}], "materials[0].path"),
    ]:
        message = await refused(api.put(body), 400)
        assert names in message
    assert "must be" in await refused(api.put({"repo": week1.url}), 400)
    assert [m["path"] for m in await api.get()] == ["week1"]
    assert not (jp_root_dir.parent / "escape").exists()


# -------------------------------------------------------------------------------------- pulling


async def test_first_pull_clones(api, upstream, jp_root_dir):
    week1 = upstream("week1", {"intro.ipynb": notebook("print('hello')")})
    [entry] = await api.put([{"repo": week1.url}])
    assert entry["state"] == "missing"
    assert entry["branch"] == "main" and entry["ref"] is None and entry["path"] == "week1"
    assert entry["upstreamCommit"] == week1.head()

    started = time.monotonic()
    events = await api.pull()
    elapsed = time.monotonic() - started
    assert events[0]["phase"] == "syncing" and events[0]["output"].startswith("$ git clone --depth 1")
    assert all(e["index"] == 0 for e in events)
    assert events[-1]["phase"] == "finished", events
    assert "Cloned" in events[-1]["message"]
    assert (jp_root_dir / "week1" / "intro.ipynb").read_text() == notebook("print('hello')")
    # nbgitpuller's default depth (1) is kept: `behind` still counts, see test_get_reports_behind_and_changed.
    assert (jp_root_dir / "week1" / ".git" / "shallow").exists()

    [entry] = await api.get()
    assert entry["state"] == "up to date"
    assert entry["behind"] == 0 and entry["changed"] == [] and entry["conflicts"] == []
    assert entry["localCommit"] == entry["upstreamCommit"] == week1.head()
    assert entry["lastPull"]["ok"] is True
    assert elapsed < 10, f"a first pull took {elapsed:.1f} s"


async def test_get_reports_behind_and_changed(api, upstream, jp_root_dir):
    week1 = upstream("week1", {"a.txt": "a\n", "b.txt": "b\n"})
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    week1.write("a.txt", "a, corrected\n")
    week1.push("fix a")
    week1.write("new.txt", "new\n")
    head = week1.push("add new")
    (jp_root_dir / "week1" / "b.txt").write_text("b, my answer\n")

    [entry] = await api.get()
    assert entry["state"] == "behind"
    assert entry["behind"] == 2
    assert entry["upstreamCommit"] == head
    assert entry["changed"] == ["b.txt"]
    assert not (jp_root_dir / "week1" / "new.txt").exists(), "a status must never change files"

    events = await api.pull(0)
    assert events[-1] == {"phase": "finished", "index": 0, "message": "Pulled 2 upstream commits"}
    [entry] = await api.get()
    assert entry["behind"] == 0 and entry["state"] == "changed" and entry["changed"] == ["b.txt"]
    assert (jp_root_dir / "week1" / "new.txt").read_text() == "new\n"
    assert (jp_root_dir / "week1" / "b.txt").read_text() == "b, my answer\n"


async def test_edit_and_upstream_change_to_the_same_notebook(api, upstream, jp_root_dir):
    original = notebook("x = 1", "# a long explanation", "print(x)", "# the end")
    week1 = upstream("week1", {"lesson.ipynb": original})
    await api.put([{"repo": week1.url, "path": "course/week1"}])
    await api.pull(0)
    lesson = jp_root_dir / "course" / "week1" / "lesson.ipynb"
    # The student answers in cell 0; the teacher corrects cell 0 (the same line) and cell 3, and
    # adds week 2.
    lesson.write_text(original.replace("x = 1", "x = 42  # my answer"))
    week1.write(
        "lesson.ipynb", original.replace("x = 1", "x = 2").replace("# the end", "# the end, corrected")
    )
    week1.write("week2.ipynb", notebook("print('week 2')"))
    week1.push("correction and week 2")

    events = await api.pull(0)
    assert events[-1]["phase"] == "finished", events
    assert "kept your lines where they conflicted in lesson.ipynb" in events[-1]["message"]
    merged = lesson.read_text()
    assert "x = 42  # my answer" in merged and "x = 2" not in merged
    assert "# the end, corrected" in merged
    json.loads(merged)
    assert (jp_root_dir / "course" / "week1" / "week2.ipynb").exists()

    [entry] = await api.get()
    assert entry["conflicts"] == ["lesson.ipynb"]
    assert entry["changed"] == ["lesson.ipynb"]
    assert entry["behind"] == 0 and entry["state"] == "changed"
    assert entry["lastPull"]["ok"] is True

    # A pull with nothing new conflicts with nothing.
    await api.pull(0)
    [entry] = await api.get()
    assert entry["conflicts"] == []


async def test_deleted_file_comes_back(api, upstream, jp_root_dir):
    week1 = upstream("week1", {"lesson.ipynb": notebook("x = 1"), "data/table.csv": "a,b\n1,2\n"})
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    (jp_root_dir / "week1" / "lesson.ipynb").unlink()
    shutil.rmtree(jp_root_dir / "week1" / "data")
    [entry] = await api.get()
    assert entry["changed"] == ["data/table.csv", "lesson.ipynb"]

    events = await api.pull(0)
    assert events[-1]["phase"] == "finished"
    assert (jp_root_dir / "week1" / "lesson.ipynb").read_text() == notebook("x = 1")
    assert (jp_root_dir / "week1" / "data" / "table.csv").read_text() == "a,b\n1,2\n"
    [entry] = await api.get()
    assert entry["state"] == "up to date" and entry["changed"] == []


async def test_local_file_in_the_way_is_renamed(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    mine = jp_root_dir / "week1" / "week2.ipynb"
    mine.write_text(notebook("my own week 2"))
    week1.write("week2.ipynb", notebook("the teacher's week 2"))
    week1.push("week 2")

    events = await api.pull(0)
    assert events[-1]["phase"] == "finished", events
    assert any(e.get("output", "").startswith("Renamed ") for e in events)
    [entry] = await api.get()
    [renamed] = entry["renamed"]
    assert renamed["from"] == "week2.ipynb"
    assert re.fullmatch(r"week2__\d{14}\.ipynb", renamed["to"])
    assert mine.read_text() == notebook("the teacher's week 2")
    assert (jp_root_dir / "week1" / renamed["to"]).read_text() == notebook("my own week 2")
    assert "moved aside: week2.ipynb → week2__" in entry["lastPull"]["message"]


async def test_divergence_stops_then_backup_resyncs(api, upstream, jp_root_dir):
    week1 = upstream("week1", {"lesson.ipynb": notebook("x = 1")})
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    (jp_root_dir / "week1" / "lesson.ipynb").write_text(notebook("x = 'my work'"))
    head = week1.rewrite_history({"lesson.ipynb": notebook("x = 'a new start'")})

    events = await api.pull(0)
    assert events[-1]["phase"] == "error" and events[-1]["code"] == "diverged", events
    assert "Pull with backup" in events[-1]["message"]
    [entry] = await api.get()
    assert entry["state"] == "diverged"
    assert entry["upstreamCommit"] == head and entry["behind"] == 1
    assert entry["lastPull"]["ok"] is False
    assert entry["changed"] == ["lesson.ipynb"]
    assert (jp_root_dir / "week1" / "lesson.ipynb").read_text() == notebook("x = 'my work'")

    events = await api.pull(0, backup=True)
    assert events[-1]["phase"] == "finished", events
    moved = [e["output"] for e in events if e["phase"] == "syncing" and e["output"].startswith("Moved ")]
    [entry] = await api.get()
    [backup] = entry["backups"]
    assert re.fullmatch(r"week1_backup_\d{14}", backup)
    assert moved == [f"Moved week1 aside to {backup}"]
    assert entry["state"] == "up to date" and entry["localCommit"] == head
    assert (jp_root_dir / backup / "lesson.ipynb").read_text() == notebook("x = 'my work'")
    assert (jp_root_dir / "week1" / "lesson.ipynb").read_text() == notebook("x = 'a new start'")


async def test_restore_puts_upstream_back_and_keeps_the_students_copy(api, upstream, jp_root_dir):
    original = notebook("x = 1", "# text", "print(x)")
    week1 = upstream(
        "week1", {"lesson.ipynb": original, "data/table.csv": "a\n", "data/my notes.md": "upstream notes\n"}
    )
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    lesson = jp_root_dir / "week1" / "lesson.ipynb"
    lesson.write_text(original.replace("x = 1", "x = 'mine'"))
    corrected = original.replace("x = 1", "x = 2")
    week1.write("lesson.ipynb", corrected)
    week1.push("correction")
    await api.pull(0)
    [entry] = await api.get()
    assert entry["conflicts"] == ["lesson.ipynb"]

    result = await api.restore(0, "lesson.ipynb")
    assert result["restored"] == "lesson.ipynb"
    assert re.fullmatch(r"lesson__\d{14}\.ipynb", result["keptAs"])
    assert lesson.read_text() == corrected
    assert (jp_root_dir / "week1" / result["keptAs"]).read_text() == original.replace("x = 1", "x = 'mine'")
    [entry] = await api.get()
    assert entry["conflicts"] == [] and entry["changed"] == [] and entry["state"] == "up to date"

    # The file is untouched again, so the next upstream change comes in without a conflict.
    week1.write("lesson.ipynb", corrected.replace("x = 2", "x = 3"))
    week1.push("another correction")
    await api.pull(0)
    assert lesson.read_text() == corrected.replace("x = 2", "x = 3")
    [entry] = await api.get()
    assert entry["conflicts"] == []

    # Names with spaces, in folders, work the same.
    (jp_root_dir / "week1" / "data" / "my notes.md").write_text("mine\n")
    kept = (await api.restore(0, "data/my notes.md"))["keptAs"]
    assert re.fullmatch(r"data/my notes__\d{14}\.md", kept)
    assert (jp_root_dir / "week1" / "data" / "my notes.md").read_text() == "upstream notes\n"
    assert (jp_root_dir / "week1" / kept).read_text() == "mine\n"

    # Restoring an untouched file keeps nothing aside; a deleted one is simply put back.
    assert (await api.restore(0, "lesson.ipynb"))["keptAs"] is None
    (jp_root_dir / "week1" / "data" / "table.csv").unlink()
    assert await api.restore(0, "data/table.csv") == {"restored": "data/table.csv", "keptAs": None}
    assert (jp_root_dir / "week1" / "data" / "table.csv").read_text() == "a\n"


async def test_restore_refuses_paths_outside_the_entry(api, upstream, jp_root_dir, tmp_path):
    week1 = upstream("week1", {"lesson.ipynb": notebook("x = 1"), "data/table.csv": "a\n"})
    await api.put([{"repo": week1.url}])
    assert "pulled yet" in await refused(api.restore(0, "lesson.ipynb"), 409)
    await api.pull(0)
    for file in [
        "../week1/lesson.ipynb",
        "/etc/passwd",
        ".git/config",
        "data//table.csv",
        "./lesson.ipynb",
        "",
        7,
    ]:
        await refused(api.restore(0, file), 400)
    assert "not a file of" in await refused(api.restore(0, "nothing-here.txt"), 404)
    assert "not a file of" in await refused(api.restore(0, "data"), 404)
    await refused(api.restore(3, "lesson.ipynb"), 404)
    # A folder replaced by a link to elsewhere: nothing is written through it.
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(jp_root_dir / "week1" / "data")
    (jp_root_dir / "week1" / "data").symlink_to(outside)
    assert "outside" in await refused(api.restore(0, "data/table.csv"), 400)
    assert list(outside.iterdir()) == []


async def diff(jp_fetch, index, file):
    r = await jp_fetch("envhub", "api", "materials", str(index), "diff", params={"file": file})
    return json.loads(r.body)


async def test_diff_shows_the_students_and_the_teachers_lines(api, upstream, jp_root_dir, jp_fetch):
    original = notebook("x = 1", "# a long explanation", "print(x)", "# the end")
    week1 = upstream("week1", {"lesson.ipynb": original, "data/my notes.md": "notes\n"})
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    lesson = jp_root_dir / "week1" / "lesson.ipynb"
    lesson.write_text(original.replace("x = 1", "x = 42  # my answer"))
    week1.write(
        "lesson.ipynb", original.replace("x = 1", "x = 2").replace("# the end", "# the end, corrected")
    )
    head = week1.push("correction")
    await api.pull(0)
    [entry] = await api.get()
    assert entry["conflicts"] == ["lesson.ipynb"]

    result = await diff(jp_fetch, 0, "lesson.ipynb")
    assert result["file"] == "lesson.ipynb" and result["upstreamCommit"] == head
    lines = result["diff"].splitlines()
    assert "--- a/lesson.ipynb" in lines and "+++ b/lesson.ipynb" in lines
    # Upstream's line removed, the student's added; the merged-in correction is the same on both sides.
    assert [line for line in lines if line.startswith(("-", "+")) and line[:3] not in ("---", "+++")] == [
        '-    "x = 2"',
        '+    "x = 42  # my answer"',
    ]
    assert lesson.read_text() == original.replace("x = 1", "x = 42  # my answer").replace(
        "# the end", "# the end, corrected"
    ), "a diff must never change files"

    # An untouched file has an empty diff; a deleted one shows every upstream line removed.
    assert (await diff(jp_fetch, 0, "data/my notes.md"))["diff"] == ""
    (jp_root_dir / "week1" / "data" / "my notes.md").unlink()
    assert "-notes" in (await diff(jp_fetch, 0, "data/my notes.md"))["diff"].splitlines()


async def test_diff_refuses_paths_outside_the_entry(api, upstream, jp_root_dir, jp_fetch, tmp_path):
    week1 = upstream("week1", {"lesson.ipynb": notebook("x = 1"), "data/table.csv": "a\n"})
    await api.put([{"repo": week1.url}])
    assert "pulled yet" in await refused(diff(jp_fetch, 0, "lesson.ipynb"), 409)
    await api.pull(0)
    for file in ["../week1/lesson.ipynb", "/etc/passwd", ".git/config", "data//table.csv", "./lesson.ipynb"]:
        await refused(diff(jp_fetch, 0, file), 400)
    await refused(diff(jp_fetch, 0, ""), 400)
    assert "Give the file" in await refused(jp_fetch("envhub", "api", "materials", "0", "diff"), 400)
    assert "not a file of" in await refused(diff(jp_fetch, 0, "nothing-here.txt"), 404)
    assert "not a file of" in await refused(diff(jp_fetch, 0, "data"), 404)
    await refused(diff(jp_fetch, 3, "lesson.ipynb"), 404)
    # A folder replaced by a link to elsewhere: nothing is read through it.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "table.csv").write_text("secret\n")
    shutil.rmtree(jp_root_dir / "week1" / "data")
    (jp_root_dir / "week1" / "data").symlink_to(outside)
    assert "outside" in await refused(diff(jp_fetch, 0, "data/table.csv"), 400)


async def test_pull_all_goes_on_after_a_failed_entry(api, upstream, jp_root_dir, tmp_path):
    week1 = upstream("week1")
    week2 = upstream("week2")
    await api.put(
        [
            {"repo": week1.url},
            {"repo": f"file://{tmp_path}/nowhere.git", "path": "broken"},
            {"repo": week2.url, "ref": "no-such-branch", "path": "w2"},
            {"repo": week2.url, "path": "weeks/2"},
        ]
    )
    events = await api.pull()
    ends = [(e["index"], e["phase"], e.get("code")) for e in events if e["phase"] != "syncing"]
    assert ends == [
        (0, "finished", None),
        (1, "error", "branch"),
        (2, "error", "branch"),
        (3, "finished", None),
    ]
    assert [e["index"] for e in events] == sorted(e["index"] for e in events)
    assert (jp_root_dir / "weeks" / "2" / "README.md").exists()
    entries = await api.get()
    assert [e["state"] for e in entries] == ["up to date", "missing", "missing", "up to date"]
    assert entries[1]["offline"] is True and "Could not fetch" in entries[1]["message"]
    assert entries[2]["offline"] is False and "has no branch or tag 'no-such-branch'" in entries[2]["message"]


async def test_offline_status_comes_from_local_refs(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url}])
    await api.pull(0)
    week1.write("more.txt", "more\n")
    head = week1.push("more")
    [entry] = await api.get()
    assert entry["behind"] == 1 and entry["offline"] is False
    week1.bare.rename(week1.bare.with_name("gone.git"))
    [entry] = await api.get()
    assert entry["offline"] is True and entry["message"].startswith(f"Could not fetch {week1.url} (fatal: ")
    assert entry["behind"] == 1 and entry["upstreamCommit"] == head and entry["state"] == "behind"


async def test_a_folder_holding_another_repository_is_not_pulled_over(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    other = upstream("other", {"other.txt": "other\n"})
    await api.put([{"repo": week1.url, "path": "course"}])
    await api.pull(0)
    (jp_root_dir / "notes").mkdir()
    [entry, notes] = await api.put(
        [{"repo": other.url, "path": "course"}, {"repo": other.url, "path": "notes"}]
    )
    assert entry["state"] == "error" and f"holds a clone of {week1.url}" in entry["message"]
    assert notes["state"] == "error" and "not a git clone" in notes["message"]
    assert [e["lastPull"] for e in [entry, notes]] == [None, None]

    events = await api.pull()
    assert [(e["phase"], e.get("code")) for e in events] == [("error", "conflicting-folder")] * 2
    assert (jp_root_dir / "course" / "README.md").exists()

    events = await api.pull(0, backup=True)
    assert events[-1]["phase"] == "finished"
    [entry, _] = await api.get()
    assert entry["state"] == "up to date" and (jp_root_dir / "course" / "other.txt").exists()
    assert len(entry["backups"]) == 1 and (jp_root_dir / entry["backups"][0] / "README.md").exists()


async def test_one_pull_at_a_time_shared_with_nbgitpuller(api, upstream, jp_fetch, jp_serverapp, jp_root_dir):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url}])
    lock = jp_serverapp.web_app.settings["git_lock"]
    await lock.acquire()
    try:
        assert "Another pull is running" in await refused(api.pull(), 409)
        assert "Another pull is running" in await refused(api.pull(0), 409)
        [entry] = await api.get()
        assert entry["message"] == "A pull is running; showing the state known before it"
        # nbgitpuller's own event stream uses the same lock.
        r = await jp_fetch("git-pull", "api", params={"repo": week1.url})
        assert b"Another git operation is currently running" in r.body
    finally:
        lock.release()
    assert (await api.pull())[-1]["phase"] == "finished"
    assert not (jp_root_dir / "week1" / ".git" / "index.lock").exists()


async def test_bad_requests(api, upstream, jp_fetch):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url}])
    await refused(
        jp_fetch(
            "envhub", "api", "materials", "0", "pull", method="POST", body=b"", params={"backup": "yes"}
        ),
        400,
    )
    await refused(jp_fetch("envhub", "api", "materials", "1", "pull", method="POST", body=b""), 404)
    await refused(jp_fetch("envhub", "api", "materials", method="PUT", body=b"{not json"), 400)
    # Messages are not %-formats.
    assert "'50%:off'" in await refused(api.put([{"repo": week1.url, "ref": "50%:off"}]), 400)
    await refused(
        jp_fetch("envhub", "api", "materials", "0", "restore", method="POST", body=b'{"path": "x"}'), 400
    )


async def test_requests_without_a_token_are_refused(jp_fetch):
    await refused(jp_fetch("envhub", "api", "materials", headers={"Authorization": ""}), 403)


async def test_state_file_lives_in_the_home(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    await api.put([{"repo": week1.url, "ref": "main"}])
    await api.pull(0)
    stored = json.loads((jp_root_dir / ".envhub" / "materials.json").read_text())
    assert stored["materials"] == [{"repo": week1.url, "ref": "main", "path": "week1"}]
    record = stored["pulls"]["week1"]
    assert record["ok"] is True and record["pulledCommit"] == week1.head()
    at = datetime.datetime.strptime(record["at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs((datetime.datetime.utcnow() - at).total_seconds()) < 60
    # The entry's folder is not a git repository of the home: git never looks above it.
    assert git(jp_root_dir / "week1", "rev-parse", "--show-toplevel") == str(jp_root_dir / "week1")
    assert os.stat(jp_root_dir / ".envhub").st_mode & 0o077 == 0


async def test_a_named_branch_and_one_deleted_upstream(api, upstream, jp_root_dir):
    week1 = upstream("week1", {"a.txt": "main\n"})
    git(week1.work, "checkout", "-q", "-b", "solutions")
    week1.write("a.txt", "solutions\n")
    git(week1.work, "add", "-A")
    git(week1.work, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "solutions")
    git(week1.work, "push", "-q", "origin", "solutions")
    [entry] = await api.put([{"repo": week1.url, "ref": "solutions", "path": "solutions"}])
    assert entry["branch"] == "solutions" and entry["upstreamCommit"] == git(
        week1.bare, "rev-parse", "solutions"
    )
    assert (await api.pull(0))[-1]["phase"] == "finished"
    assert (jp_root_dir / "solutions" / "a.txt").read_text() == "solutions\n"

    git(week1.bare, "branch", "-q", "-D", "solutions")
    [entry] = await api.get()
    assert entry["offline"] is False and "no longer has a branch 'solutions'" in entry["message"]
    assert entry["state"] == "up to date"
    events = await api.pull(0)
    assert (events[-1]["phase"], events[-1]["code"]) == ("error", "branch")


@pytest.mark.parametrize(
    "jp_server_config", [{"GitPuller": {"depth": 0}, "ServerApp": {"jpserver_extensions": {"envhub": True}}}]
)
async def test_nbgitpullers_depth_setting_applies(api, upstream, jp_root_dir):
    week1 = upstream("week1")
    week1.write("b.txt", "b\n")
    week1.push("second")
    await api.put([{"repo": week1.url}])
    events = await api.pull(0)
    assert events[0]["output"].startswith("$ git clone --branch main")
    assert not (jp_root_dir / "week1" / ".git" / "shallow").exists()
    assert git(jp_root_dir / "week1", "rev-list", "--count", "HEAD") == "2"
