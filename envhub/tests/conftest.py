"""Fixtures: a Jupyter server with envhub's (and nbgitpuller's) extension, real git repositories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

GIT_USER = ["-c", "user.name=Teacher", "-c", "user.email=teacher@example.org"]


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"envhub": True, "nbgitpuller": True}}}


def git(cwd, *args) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Upstream:
    """A course repository: a bare repository (served over file://) and the teacher's clone."""

    def __init__(self, base: Path, name: str):
        self.bare = base / "remotes" / f"{name}.git"
        self.work = base / "teacher" / name
        self.bare.parent.mkdir(parents=True, exist_ok=True)
        self.work.parent.mkdir(parents=True, exist_ok=True)
        git(self.bare.parent, "init", "-q", "--bare", "-b", "main", self.bare.name)
        git(self.work.parent, "clone", "-q", str(self.bare), name)
        git(self.work, "checkout", "-q", "-B", "main")
        self.url = f"file://{self.bare}"

    def write(self, path: str, text: str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def push(self, message: str = "update", *, force: bool = False) -> str:
        git(self.work, "add", "-A")
        git(self.work, *GIT_USER, "commit", "-q", "-m", message)
        git(self.work, "push", "-q", *(["--force"] if force else []), "origin", "main")
        return self.head()

    def rewrite_history(self, files: dict) -> str:
        """Replaces the whole history with one new commit (a teacher's force-push)."""
        git(self.work, "checkout", "-q", "--orphan", "rewritten")
        git(self.work, "rm", "-q", "-rf", ".")
        for path, text in files.items():
            self.write(path, text)
        git(self.work, "add", "-A")
        git(self.work, *GIT_USER, "commit", "-q", "-m", "start again")
        git(self.work, "branch", "-q", "-M", "main")
        git(self.work, "push", "-q", "--force", "origin", "main")
        return self.head()

    def head(self) -> str:
        return git(self.bare, "rev-parse", "refs/heads/main")


@pytest.fixture
def upstream(tmp_path):
    """Makes upstream repositories: ``upstream("week1", {"a.txt": "…"})``."""

    def make(name: str = "week1", files: dict | None = None) -> Upstream:
        repo = Upstream(tmp_path, name)
        for path, text in (files or {"README.md": "# Week 1\n"}).items():
            repo.write(path, text)
        repo.push("first")
        return repo

    return make


def notebook(*sources: str) -> str:
    """A notebook, one cell per source, saved as Jupyter does (one JSON value per line): git
    merges it line by line, as nbgitpuller does with real notebooks."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "source": [s],
        }
        for i, s in enumerate(sources)
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


@pytest.fixture
def api(jp_fetch):
    """The materials API as plain calls (SSE answers parsed into events)."""

    class Api:
        async def get(self):
            r = await jp_fetch("envhub", "api", "materials")
            return json.loads(r.body)["materials"]

        async def put(self, entries):
            r = await jp_fetch(
                "envhub", "api", "materials", method="PUT", body=json.dumps({"materials": entries})
            )
            return json.loads(r.body)["materials"]

        async def pull(self, index=None, backup=False):
            parts = ["envhub", "api", "materials"] + ([str(index)] if index is not None else []) + ["pull"]
            r = await jp_fetch(*parts, method="POST", body=b"", params={"backup": "1"} if backup else None)
            assert r.headers["Content-Type"].startswith("text/event-stream")
            return events(r.body)

        async def restore(self, index, file):
            r = await jp_fetch(
                "envhub",
                "api",
                "materials",
                str(index),
                "restore",
                method="POST",
                body=json.dumps({"file": file}),
            )
            return json.loads(r.body)

    return Api()


def events(body: bytes) -> list:
    return [
        json.loads(chunk[len("data: ") :])
        for chunk in body.decode().split("\n\n")
        if chunk.startswith("data: ")
    ]
