"""Course materials inside a server: git repositories pulled into the home with nbgitpuller.

The list of materials (``{repo, ref, path}`` entries) and what the last pull of each did live in
``<root>/.envhub/materials.json``, where ``<root>`` is the server's root folder (the home in envhub
servers, and the folder nbgitpuller's own links clone into).

Pulls are nbgitpuller's: :class:`RecordingPuller` is its ``GitPuller`` with two observers added,
so the merge rules are exactly nbgitpuller's. Everything else here only reads the clones, except
:func:`restore_file` and the fetches of :func:`entry_status`, which store what they fetch under a
ref of their own (:data:`UPSTREAM_REF`) so that they never contend with a running pull for the
refs nbgitpuller moves.

Clones keep nbgitpuller's depth (1, unless ``NBGITPULLER_DEPTH`` or ``c.GitPuller.depth`` say
otherwise): a fetch into a shallow clone still brings every upstream commit down to the ones the
clone has, so ``behind`` counts exactly. The one difference depth makes is nbgitpuller's own: a
force-pushed upstream that rewrote what the clone holds shares no commit with a shallow clone and
is reported as diverged ("backup and resync"), where a full clone might still find a merge base.

A private repository's entry is pulled with an :class:`Authorization` the service sends with the
list (the owner's credential, as an HTTP header for the repository's origin). It is never written
anywhere: git gets it through the environment of the pull's own processes only, and it is scrubbed
from what the pull reports.

Nothing here touches tornado: the server extension (``envhub.serverextension``) runs these
functions in worker threads and turns :class:`MaterialsError` into HTTP answers.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import os
import re
import signal
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Iterator

from nbgitpuller.errors import BranchExistError, BranchResolveError
from nbgitpuller.pull import GitPuller

from .handlers import Refusal

STATE_FILE = os.path.join(".envhub", "materials.json")
MAX_ENTRIES = 10
# Seconds a status fetch (or ls-remote) may take before the answer falls back to local refs.
FETCH_TIMEOUT = 10
# Where status fetches keep the upstream commit they saw; pulls move it too.
UPSTREAM_REF = "refs/envhub/upstream"
# nbgitpuller's timestamp for files moved aside (pull.py rename_local_untracked) and its backups.
_ASIDE_STAMP = "__%Y%m%d%H%M%S"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


class MaterialsError(Refusal):
    """A refusal about course materials."""


@dataclass(frozen=True)
class Entry:
    """One materials entry: a repository, a branch (None: its default branch) and a home folder."""

    repo: str
    ref: str | None
    path: str

    def as_json(self) -> dict:
        return {"repo": self.repo, "ref": self.ref, "path": self.path}


@dataclass(frozen=True)
class Authorization:
    """An Authorization header value for the pull of one entry (``repo``), sent to ``origin`` only.

    Kept in memory for that pull and never stored, logged or shown: ``value`` stays out of repr.
    """

    repo: str
    origin: str
    value: str = field(repr=False)

    def git_environment(self, environ) -> dict:
        """``environ`` plus git configuration (``GIT_CONFIG_COUNT``/``KEY``/``VALUE``, after any
        already there) sending the header to ``origin``'s URLs: it never reaches argv, where other
        users could read it, nor a configuration file."""
        given = environ.get("GIT_CONFIG_COUNT", "0")
        n = int(given) if given.isdigit() else 0
        env = dict(environ, GIT_CONFIG_COUNT=str(n + 1))
        env[f"GIT_CONFIG_KEY_{n}"] = f"http.{self.origin}/.extraHeader"
        env[f"GIT_CONFIG_VALUE_{n}"] = f"Authorization: {self.value}"
        return env

    def scrub(self, text: str) -> str:
        """``text`` without the header's secret in any form git could echo it (e.g. a curl trace)."""
        for secret in _secrets(self.value):
            text = text.replace(secret, "[credential hidden]")
        return text


def _secrets(value: str) -> list[str]:
    """The header value, its credentials, and a Basic one's decoded ``user:password`` and password
    (all but very short pieces, which would blank out ordinary words), longest first."""
    secrets = {value}
    scheme, _, credentials = value.partition(" ")
    secrets.add(credentials.strip())
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        secrets.update({decoded, decoded.partition(":")[2]})
    return sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True)


# ---------------------------------------------------------------------------------------- rules


def check_path(path: str) -> str:
    """Returns ``path`` if it is a relative folder inside the home, else raises ValueError.

    nbgitpuller joins its target path to the server root unchecked (its issue #330): an absolute
    path or ``..`` escapes the home and a dot-folder such as ``.ipython/profile_default/startup``
    runs code at the next kernel start. So: no absolute path, no ``..``, no segment starting with
    ``.``, no empty segment, no control characters.
    """
    if not isinstance(path, str) or not path:
        raise ValueError("must be a non-empty string")
    if len(path) > 255:
        raise ValueError("must be at most 255 characters")
    if _CONTROL.search(path):
        raise ValueError("must not contain control characters")
    if path.startswith("/"):
        raise ValueError("must be relative to the home, not an absolute path")
    for segment in path.split("/"):
        if not segment:
            raise ValueError("must not have empty segments (no '//', no leading or trailing '/')")
        if segment.startswith("."):
            raise ValueError("must not contain '..' or segments starting with '.'")
    return path


def default_path(repo: str) -> str:
    """The folder git and nbgitpuller's link generator name a clone of ``repo``: its last segment
    without ``.git`` (``https://host/org/week1.git`` → ``week1``)."""
    last = repo.rstrip("/").split("/")[-1].split(":")[-1]
    return re.sub(r"\.(git|bundle)$", "", last)


def check_file(file: str) -> str:
    """Returns ``file`` if it names a path inside a materials folder (dot-files allowed, never
    ``.git``), else raises ValueError."""
    if not isinstance(file, str) or not file:
        raise ValueError("must be a non-empty string")
    if len(file) > 4096 or _CONTROL.search(file):
        raise ValueError("must be at most 4096 characters, without control characters")
    if file.startswith("/"):
        raise ValueError("must be relative to the materials folder")
    for segment in file.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError("must not contain empty, '.' or '..' segments")
        if segment.lower() == ".git":
            raise ValueError("must not be inside .git")
    return file


def _check_repo(repo) -> str:
    if not isinstance(repo, str) or not repo:
        raise ValueError("must be a non-empty string")
    if len(repo) > 2048 or re.search(r"[\x00-\x20\x7f]", repo):
        raise ValueError("must be at most 2048 characters, without spaces or control characters")
    if repo.startswith("-"):
        raise ValueError("must not start with '-'")
    return repo


def _check_ref(ref) -> str | None:
    """A branch (or tag) name as git accepts it (git check-ref-format's rules)."""
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref or len(ref) > 255:
        raise ValueError("must be a branch name (1 to 255 characters) or omitted")
    if (
        ref.startswith(("-", "/", "."))
        or ref.endswith(("/", ".", ".lock"))
        or _REF_FORBIDDEN.search(ref)
        or ".." in ref
        or "@{" in ref
        or "//" in ref
        or "/." in ref
        or ref == "@"
    ):
        raise ValueError(f"is not a valid branch name: {ref!r}")
    return ref


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, as a browser's ``URL.origin`` writes it (lower
    case, IPv6 in brackets, no default port), or None for any other address."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def parse_authorizations(items, entries: list[Entry]) -> dict[str, Authorization]:
    """Validates the PUT body's ``authorizations`` (one ``{origin, value}`` or null per entry) into
    the entries' authorizations by folder. Only an entry's own repository origin is accepted.

    Raises ValueError naming the bad item, never its value.
    """
    if items is None:
        return {}
    if not isinstance(items, list) or len(items) != len(entries):
        raise ValueError(
            f"authorizations: must be a list with one item per materials entry ({len(entries)}), "
            "null for an entry pulled anonymously"
        )
    found = {}
    for i, (item, entry) in enumerate(zip(items, entries)):
        if item is None:
            continue
        where = f"authorizations[{i}]"
        if (
            not isinstance(item, dict)
            or set(item) != {"origin", "value"}
            or not all(isinstance(v, str) for v in item.values())
        ):
            raise ValueError(
                f'{where}: must be {{"origin": "<scheme://host[:port]>", "value": "<header>"}} or null'
            )
        if not item["value"] or len(item["value"]) > 8192 or _CONTROL.search(item["value"]):
            raise ValueError(f"{where}.value: must be an Authorization header value (1 to 8192 characters)")
        origin = origin_of(entry.repo)
        given = urllib.parse.urlsplit(item["origin"])
        if (
            origin is None
            or origin_of(item["origin"]) != origin
            or given.username is not None
            or given.path not in ("", "/")
            or given.query
            or given.fragment
        ):
            raise ValueError(
                f"{where}.origin: must be the origin of materials[{i}].repo "
                f"({origin or 'which is not an http(s) address'}); a credential goes to its own entry's "
                "repository only"
            )
        found[entry.path] = Authorization(entry.repo, origin, item["value"])
    return found


def parse_materials(items) -> list[Entry]:
    """Validates a materials list (the body's ``materials``) into entries, defaults applied.

    Raises ValueError naming the bad entry, e.g. ``materials[1].path: must not contain '..'``.
    """
    if not isinstance(items, list):
        raise ValueError("materials: must be a list")
    if len(items) > MAX_ENTRIES:
        raise ValueError(f"materials: at most {MAX_ENTRIES} entries (got {len(items)})")
    entries: list[Entry] = []
    for i, item in enumerate(items):
        where = f"materials[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be an object with repo, and optionally ref and path")
        unknown = sorted(set(item) - {"repo", "ref", "path"})
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: repo, ref, path)")
        for key, check in (("repo", _check_repo), ("ref", _check_ref)):
            try:
                check(item.get(key))
            except ValueError as e:
                raise ValueError(f"{where}.{key}: {e}") from None
        path = item.get("path")
        if path is None:
            path = default_path(item["repo"])
            try:
                check_path(path)
            except ValueError:
                raise ValueError(
                    f"{where}.path: no folder can be derived from the repository address "
                    f"({path!r}); give a path"
                ) from None
        else:
            try:
                check_path(path)
            except ValueError as e:
                raise ValueError(f"{where}.path: {e} (got {path!r})") from None
        entries.append(Entry(item["repo"], item.get("ref"), path))
    # Two entries in one folder, or one inside the other, would pull into each other's clone.
    for j, b in enumerate(entries):
        for i, a in enumerate(entries[:j]):
            sa, sb = a.path.split("/"), b.path.split("/")
            n = min(len(sa), len(sb))
            if sa[:n] == sb[:n]:
                relation = "is the same folder as" if len(sa) == len(sb) else "overlaps"
                raise ValueError(
                    f"materials[{j}].path: {b.path!r} {relation} materials[{i}].path {a.path!r}; "
                    "give each entry a folder of its own"
                )
    return entries


# ---------------------------------------------------------------------------------------- store


class Store:
    """The materials list and the pull records, in ``<root>/.envhub/materials.json``.

    ``{"materials": [{repo, ref, path}], "pulls": {<path>: record}}``. Records are keyed by folder
    (a record is about what is in that folder) and carry the repository they were made for.
    Writes replace the file atomically; callers serialise them (the server's event loop does).
    """

    def __init__(self, root: str):
        self.root = root
        self.file = os.path.join(root, STATE_FILE)

    def read(self) -> tuple[list[Entry], dict]:
        try:
            with open(self.file, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return [], {}
        except (OSError, ValueError) as e:
            raise MaterialsError(
                500, f"{STATE_FILE} cannot be read ({e}); replace the list with a PUT"
            ) from None
        try:
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            entries = parse_materials(data.get("materials", []))
        except ValueError as e:
            raise MaterialsError(
                500, f"{STATE_FILE} holds an invalid list ({e}); replace it with a PUT"
            ) from None
        pulls = data.get("pulls")
        return entries, pulls if isinstance(pulls, dict) else {}

    def _write(self, entries: list[Entry], pulls: dict) -> None:
        os.makedirs(os.path.dirname(self.file), mode=0o700, exist_ok=True)
        tmp = f"{self.file}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"materials": [e.as_json() for e in entries], "pulls": pulls}, f, indent=2)
            f.write("\n")
        os.replace(tmp, self.file)

    def save_entries(self, entries: list[Entry]) -> None:
        """Replaces the list; pull records of folders no longer listed are dropped."""
        _, pulls = self.read_lenient()
        keep = {e.path for e in entries}
        self._write(entries, {p: r for p, r in pulls.items() if p in keep})

    def read_lenient(self) -> tuple[list[Entry], dict]:
        try:
            return self.read()
        except MaterialsError:
            return [], {}

    def record_pull(self, entry: Entry, record: dict) -> None:
        entries, pulls = self.read()
        pulls[entry.path] = record
        self._write(entries, pulls)

    def forget_conflict(self, entry: Entry, file: str) -> None:
        entries, pulls = self.read()
        record = pulls.get(entry.path)
        if record and record.get("repo") == entry.repo and file in record.get("conflicts", []):
            record["conflicts"] = [f for f in record["conflicts"] if f != file]
            self._write(entries, pulls)


def record_for(entry: Entry, pulls: dict) -> dict | None:
    record = pulls.get(entry.path)
    return record if isinstance(record, dict) and record.get("repo") == entry.repo else None


# ------------------------------------------------------------------------------------------ git


def _git(
    folder: str, *args: str, timeout: float | None = None, read_only: bool = True
) -> subprocess.CompletedProcess:
    """Runs git in ``folder`` and never in a repository above it (the home itself may be one).

    Read-only calls pass GIT_OPTIONAL_LOCKS=0 so that a status never takes the index lock a
    running pull needs. With a timeout, the whole process group is killed when it runs out.
    """
    env = dict(os.environ, LANG="C", GIT_TERMINAL_PROMPT="0")
    env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.abspath(folder))
    if read_only:
        env["GIT_OPTIONAL_LOCKS"] = "0"
    cmd = ["git", *args]
    proc = subprocess.Popen(
        cmd,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(
        cmd, proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    )


def _git_out(folder: str, *args: str) -> str | None:
    """stdout of a git command (stripped), or None when it fails."""
    r = _git(folder, *args)
    return r.stdout.strip() if r.returncode == 0 else None


def _names(z_output: str) -> list[str]:
    return [name for name in z_output.split("\0") if name]


def _is_clone(folder: str) -> bool:
    return os.path.isdir(folder) and os.path.lexists(os.path.join(folder, ".git"))


def _local_branch(folder: str) -> str | None:
    return _git_out(folder, "symbolic-ref", "--short", "-q", "HEAD") or None


def _commit(folder: str, rev: str) -> str | None:
    return _git_out(folder, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}")


def _last_pulled(folder: str, branch: str | None, record: dict | None) -> str | None:
    """The upstream commit the folder's files were last brought up to.

    Pulls only merge ``origin/<branch>`` into HEAD, so that commit is their merge base. After a
    rewritten upstream history was fetched there is none; then the commit recorded by the last
    successful pull is used, if the clone still has it in HEAD's history.
    """
    if branch:
        base = _git_out(folder, "merge-base", "HEAD", f"refs/remotes/origin/{branch}")
        if base:
            return base
    pulled = (record or {}).get("pulledCommit")
    if (
        pulled
        and _commit(folder, pulled)
        and _git(folder, "merge-base", "--is-ancestor", pulled, "HEAD").returncode == 0
    ):
        return pulled
    return None


def _git_error(r: subprocess.CompletedProcess) -> str:
    """git's own reason for a failure: its last ``fatal:``/``error:`` line and what follows."""
    lines = [line.strip() for line in (r.stderr or r.stdout).splitlines() if line.strip()]
    starts = [i for i, line in enumerate(lines) if line.startswith(("fatal:", "error:"))]
    reason = " ".join(lines[starts[-1] :] if starts else lines[-1:])
    return reason or f"git exited with status {r.returncode}"


def _ls_remote(root: str, repo: str, ref: str | None) -> tuple[str | None, str | None]:
    """(branch, commit) of ``ref`` (None: the default branch) in ``repo``. Raises RuntimeError
    when the repository cannot be reached, LookupError when it has no such branch."""
    args = ["ls-remote", "--symref", "--", repo, "HEAD"] if ref is None else ["ls-remote", "--", repo, ref]
    try:
        r = _git(root, *args, timeout=FETCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"no answer within {FETCH_TIMEOUT} s") from None
    if r.returncode != 0:
        raise RuntimeError(_git_error(r))
    refs = {}
    branch = ref
    for line in r.stdout.splitlines():
        parts = line.split()
        if (
            len(parts) == 3
            and parts[0] == "ref:"
            and parts[2] == "HEAD"
            and parts[1].startswith("refs/heads/")
        ):
            branch = parts[1][len("refs/heads/") :]
        elif len(parts) == 2:
            refs[parts[1]] = parts[0]
    if ref is None:
        return branch, refs.get("HEAD")
    for full in (f"refs/heads/{ref}", f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}"):
        if full in refs:
            return branch, refs[full]
    raise LookupError(f"{repo} has no branch or tag {ref!r}")


def _fetch_upstream(folder: str, repo: str, branch: str) -> None:
    """Fetches ``branch`` of ``repo`` into :data:`UPSTREAM_REF`. Raises RuntimeError when the
    repository cannot be reached, LookupError when it no longer has that branch.

    By address, with an explicit destination and no FETCH_HEAD, so nothing a pull uses is written
    (objects are safe to add concurrently). No automatic gc while a pull may be running.
    """
    try:
        r = _git(
            folder,
            "-c",
            "gc.auto=0",
            "-c",
            "maintenance.auto=false",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            repo,
            f"+{branch}:{UPSTREAM_REF}",
            timeout=FETCH_TIMEOUT,
            read_only=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"no answer within {FETCH_TIMEOUT} s") from None
    if r.returncode != 0:
        if "couldn't find remote ref" in r.stderr:
            raise LookupError(f"{repo} no longer has a branch {branch!r}")
        raise RuntimeError(_git_error(r))


def _upstream_commit(folder: str, branch: str | None, fetched: bool) -> str | None:
    """The newest upstream commit the clone knows: the status fetch's, or the last pull's when
    that one is newer (a pull since, or no fetch possible)."""
    seen = _commit(folder, UPSTREAM_REF)
    pulled = _commit(folder, f"refs/remotes/origin/{branch}") if branch else None
    if fetched or not pulled:
        return seen or pulled
    if not seen or _git(folder, "merge-base", "--is-ancestor", seen, pulled).returncode == 0:
        return pulled
    return seen


def list_backups(root: str, path: str) -> list[str]:
    """nbgitpuller's backup folders of ``path`` (``<path>_backup_<YYYYmmddHHMMSS>[.latest_N]``),
    relative to the root, oldest first."""
    parent, name = os.path.split(os.path.join(root, path))
    pattern = re.compile(re.escape(name) + r"_backup_\d{14}(\.latest_\d+)?")
    try:
        found = [
            n for n in os.listdir(parent) if pattern.fullmatch(n) and os.path.isdir(os.path.join(parent, n))
        ]
    except OSError:
        return []
    prefix = os.path.dirname(path)
    return [os.path.join(prefix, n) if prefix else n for n in sorted(found)]


def _clone_problem(folder: str, entry: Entry) -> str | None:
    """Why the existing ``folder`` cannot be pulled as ``entry`` without a backup, or None."""
    if not _is_clone(folder):
        return (
            f"{entry.path} exists but is not a git clone; rename or move it, or pull with backup "
            "to move it aside"
        )
    origin = _git_out(folder, "config", "--get", "remote.origin.url")
    if (origin or "").rstrip("/") != entry.repo.rstrip("/"):
        return (
            f"{entry.path} holds a clone of {origin or 'an unknown repository'}, not {entry.repo}; "
            "pull with backup to move it aside, or give this entry another path"
        )
    local = _local_branch(folder)
    if entry.ref and local and local != entry.ref:
        return (
            f"{entry.path} was cloned from branch {local!r}, not {entry.ref!r}; pull with backup "
            "to move it aside, or give this entry another path"
        )
    return None


# --------------------------------------------------------------------------------------- status


def entry_status(root: str, index: int, entry: Entry, record: dict | None, fetch: bool = True) -> dict:
    """What GET reports for one entry. Fetches upstream first unless ``fetch`` is False; when the
    fetch fails, reports from local refs with ``offline`` set and a message."""
    folder = os.path.join(root, entry.path)
    out = {
        "index": index,
        "repo": entry.repo,
        "ref": entry.ref,
        "branch": entry.ref,
        "path": entry.path,
        "state": "missing",
        "upstreamCommit": None,
        "localCommit": None,
        "behind": None,
        "changed": [],
        "conflicts": list(record.get("conflicts", [])) if record else [],
        "renamed": list(record.get("renamed", [])) if record else [],
        "backups": list_backups(root, entry.path),
        "lastPull": {k: record.get(k) for k in ("at", "ok", "message")} if record else None,
        "offline": False,
        "message": None,
    }

    def offline(reason: str) -> None:
        out["offline"] = True
        out["message"] = f"Could not fetch {entry.repo} ({reason}); showing the upstream state known here"

    if not os.path.lexists(folder):
        if fetch:
            try:
                out["branch"], out["upstreamCommit"] = _ls_remote(root, entry.repo, entry.ref)
            except RuntimeError as e:
                offline(str(e))
            except LookupError as e:
                out["message"] = f"{e}; a pull will fail until the entry names one it has"
        return out

    problem = _clone_problem(folder, entry)
    if problem:
        out.update(state="error", message=problem)
        return out
    branch = entry.ref or _local_branch(folder)
    out["branch"] = branch
    out["localCommit"] = _commit(folder, "HEAD")
    if not out["localCommit"] or not branch:
        out.update(
            state="error",
            message=f"{entry.path} is a clone without a checked-out branch; "
            "pull with backup to get a fresh copy",
        )
        return out

    fetched = False
    if fetch:
        try:
            _fetch_upstream(folder, entry.repo, branch)
            fetched = True
        except RuntimeError as e:
            offline(str(e))
        except LookupError as e:
            out["message"] = f"{e}; showing the upstream state known here"
    upstream = _upstream_commit(folder, branch, fetched)
    out["upstreamCommit"] = upstream

    diverged = False
    if upstream:
        # Upstream commits HEAD does not contain; with unrelated histories, all of upstream's.
        count = _git_out(folder, "rev-list", "--count", f"HEAD..{upstream}")
        out["behind"] = int(count) if count is not None else None
        diverged = _git(folder, "merge-base", "HEAD", upstream).returncode != 0

    base = _last_pulled(folder, branch, record) or "HEAD"
    diff = _git(folder, "diff", "--name-only", "-z", "--no-renames", base, "--")
    out["changed"] = _names(diff.stdout) if diff.returncode == 0 else []

    if diverged:
        out["state"] = "diverged"
        out["message"] = out["message"] or (
            f"The upstream history of {entry.repo} was rewritten, or commits were made here: a pull "
            "cannot merge it. Pull with backup to keep this folder as a backup and get a fresh copy."
        )
    elif out["behind"]:
        out["state"] = "behind"
    elif out["changed"]:
        out["state"] = "changed"
    else:
        out["state"] = "up to date"
    return out


# ----------------------------------------------------------------------------------------- pull


def _aside_copies(folder: str, file: str) -> set[str]:
    """Files beside ``file`` named as nbgitpuller renames a file in the way (``name__<stamp>.ext``)."""
    head, tail = os.path.split(file)
    stem, ext = os.path.splitext(tail)
    pattern = re.compile(re.escape(stem) + r"__\d{14}(_\d+)?" + re.escape(ext))
    try:
        names = os.listdir(os.path.join(folder, head))
    except OSError:
        return set()
    return {os.path.join(head, n) for n in names if pattern.fullmatch(n)}


def conflicting_files(folder: str, upstream: str) -> list[str] | None:
    """Files on which merging ``upstream`` into HEAD conflicts, computed without touching the
    work tree, the index or any ref; None if git cannot tell (e.g. unrelated histories).

    ``git merge-tree --write-tree`` (git >= 2.38) runs the same merge machinery (ort) as the
    ``git merge`` nbgitpuller runs next, without its ``-Xours``: a file it reports has changes on
    both sides in overlapping (or adjacent) hunks, or was changed on one side and deleted on the
    other. ``-Xours`` then keeps the student's side of exactly those hunks, and nbgitpuller keeps a
    student-modified file deleted upstream. So these are the files where the student's version
    won. It must run after nbgitpuller's automatic commit, so that HEAD holds the student's edits.
    """
    r = _git(folder, "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", "HEAD", upstream)
    if r.returncode not in (0, 1):
        return None
    return sorted(set(_names(r.stdout)[1:]))


def _stream(cmd: list[str], env: dict, cwd: str | None = None) -> Iterator[str]:
    """nbgitpuller's ``execute_cmd`` with an environment of the caller's: the command line, then
    its output line by line; CalledProcessError when it fails."""
    yield f"$ {' '.join(cmd)}\n"
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for raw in iter(proc.stdout.readline, b""):
            # Split on \r too, as nbgitpuller does for progress lines.
            yield from raw.decode("utf-8", "replace").splitlines(keepends=True)
    finally:
        proc.stdout.close()
        if proc.wait() != 0:
            raise subprocess.CalledProcessError(proc.returncode, cmd)


class RecordingPuller(GitPuller):
    """nbgitpuller's ``GitPuller``, unchanged in what it does, noting what it did: the files its
    rename step moved aside and the files its merge resolved in the student's favour.

    The steps that reach the repository (ls-remote, clone, fetch) are nbgitpuller's, run with an
    environment of their own that carries the entry's ``authorization`` when it has one, so that
    the header reaches these git processes only: ``os.environ`` belongs to the whole server, and
    kernels or terminals started meanwhile would inherit it.
    """

    def __init__(self, *args, authorization: Authorization | None = None, **kwargs):
        self.renamed: list[dict] = []
        self.conflicts: list[str] = []
        environ = dict(os.environ, LANG="C", GIT_TERMINAL_PROMPT="0")
        self.remote_env = authorization.git_environment(environ) if authorization else environ
        super().__init__(*args, **kwargs)

    def _ls_remote(self, *args: str) -> list[str]:
        return subprocess.run(
            ["git", "ls-remote", *args],
            env=self.remote_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()

    def branch_exists(self, branch):
        lines = self._ls_remote("--heads", "--", self.git_url) + self._ls_remote("--tags", "--", self.git_url)
        if branch not in {line.split()[1].split("/", 2)[2] for line in lines}:
            raise BranchExistError()

    def resolve_default_branch(self):
        try:
            listed = self._ls_remote("--symref", "--", self.git_url, "HEAD")
        except subprocess.CalledProcessError:
            raise BranchResolveError() from None
        for line in listed:
            if line.startswith("ref:"):
                return line.split()[1].split("/", 2)[2]
        raise BranchResolveError()

    def initialize_repo(self):
        depth = ["--depth", str(self.depth)] if self.depth and self.depth > 0 else []
        cmd = ["git", "clone", *depth, "--branch", self.branch_name, "--", self.git_url, self.repo_dir]
        yield from _stream(cmd, self.remote_env)

    def update_remotes(self):
        yield from _stream(["git", "fetch"], self.remote_env, cwd=self.repo_dir)

    def rename_local_untracked(self):
        # The files nbgitpuller will rename: new upstream, present here (its own test).
        in_the_way = [
            f for f in self.find_upstream_changed("A") if os.path.exists(os.path.join(self.repo_dir, f))
        ]
        before = {f: _aside_copies(self.repo_dir, f) for f in in_the_way}
        yield from super().rename_local_untracked()
        for f in in_the_way:
            for new in sorted(_aside_copies(self.repo_dir, f) - before[f]):
                self.renamed.append({"from": f, "to": new})

    def merge(self):
        self.conflicts = conflicting_files(self.repo_dir, f"origin/{self.branch_name}") or []
        yield from super().merge()


class _Refusal(Exception):
    """A pull that is not even tried, with its error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PullOutcome:
    ok: bool
    message: str
    code: str | None
    record: dict


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _explain(exc: Exception, entry: Entry, folder: str, branch: str | None) -> tuple[str, str]:
    """(code, message) for a failed pull."""
    if isinstance(exc, subprocess.CalledProcessError):
        cmd = [str(c) for c in exc.cmd]
        verb = next((c for c in cmd[1:] if not c.startswith("-") and "=" not in c), "")
        if verb == "clone":
            return (
                "clone",
                f"Could not clone {entry.repo} (branch {branch}) into {entry.path}; see the output above",
            )
        if verb == "ls-remote":
            detail = (exc.stderr or "").strip().splitlines()
            return "remote", f"Could not reach {entry.repo}" + (f": {detail[-1]}" if detail else "")
        if verb == "merge":
            if branch and _git(folder, "merge-base", "HEAD", f"refs/remotes/origin/{branch}").returncode != 0:
                return "diverged", (
                    f"The upstream history of {entry.repo} was rewritten, or commits were made in "
                    f"{entry.path}, so nothing could be merged. Pull with backup to keep the folder "
                    f"as {entry.path}_backup_<time> and get a fresh copy."
                )
            return "merge", f"Merging {entry.repo} into {entry.path} failed; see the output above"
        return "git", f"git {verb} failed in {entry.path}; see the output above"
    if isinstance(exc, BranchExistError):
        return "branch", f"{entry.repo} has no branch or tag {entry.ref!r}"
    if isinstance(exc, BranchResolveError):
        return (
            "branch",
            f"Could not find the default branch of {entry.repo}: "
            "is the address right, and can this server reach it?",
        )
    return "unknown", str(exc) or exc.__class__.__name__


def pull_entry(
    root: str,
    entry: Entry,
    record: dict | None,
    *,
    backup: bool = False,
    parent=None,
    authorization: Authorization | None = None,
    output: Callable[[str], None] = lambda line: None,
) -> PullOutcome:
    """Pulls one entry with nbgitpuller (blocking; call it from a worker thread).

    ``output`` receives nbgitpuller's lines (git's output, one line each). ``backup`` is
    nbgitpuller's "backup and resync": the folder is moved to ``<path>_backup_<time>`` first.
    ``parent`` is the Jupyter server, so that ``c.GitPuller.depth`` applies. ``authorization`` is
    the entry's header for this pull (see :class:`RecordingPuller`); neither the output nor the
    outcome ever shows it. Never raises: the outcome says what happened, and ``outcome.record`` is
    what GET reports until the next pull.
    """
    scrub = authorization.scrub if authorization else str
    folder = os.path.join(root, entry.path)
    puller: RecordingPuller | None = None
    branch = entry.ref
    code = None
    try:
        if not backup and os.path.lexists(folder):
            problem = _clone_problem(folder, entry)
            if problem:
                raise _Refusal("conflicting-folder", problem)
        backups_before = set(list_backups(root, entry.path))
        kwargs = {"branch": entry.ref, "backup": backup, "authorization": authorization}
        if parent is not None:
            kwargs["parent"] = parent
        puller = RecordingPuller(entry.repo, folder, **kwargs)
        branch = puller.branch_name
        for moved in sorted(set(list_backups(root, entry.path)) - backups_before):
            output(f"Moved {entry.path} aside to {moved}")
        existed = os.path.lexists(folder)
        before = None
        if existed:
            local = _local_branch(folder)
            if local and local != branch:
                raise _Refusal(
                    "conflicting-folder",
                    f"{entry.path} was cloned from branch {local!r}, but {entry.repo}'s branch is now "
                    f"{branch!r}; pull with backup to move the folder aside and get a fresh copy",
                )
            before = _last_pulled(folder, branch, record)
        for line in puller.pull():
            line = line.rstrip("\r\n")
            if line:
                output(scrub(line))
        pulled = _commit(folder, f"refs/remotes/origin/{branch}")
        if pulled:
            _git(folder, "update-ref", UPSTREAM_REF, pulled, read_only=False)
        if not existed:
            message = f"Cloned {entry.repo} ({branch}) into {entry.path}"
        else:
            count = (
                _git_out(folder, "rev-list", "--count", f"{before}..{pulled}") if before and pulled else None
            )
            n = int(count) if count else 0
            message = f"Pulled {_plural(n, 'upstream commit')}" if n else "Already up to date"
        if puller.conflicts:
            message += f"; kept your lines where they conflicted in {', '.join(puller.conflicts)}"
        if puller.renamed:
            message += "; moved aside: " + ", ".join(f"{r['from']} → {r['to']}" for r in puller.renamed)
        ok, conflicts, pulled_commit = True, puller.conflicts, pulled
    except Exception as e:  # noqa: BLE001 - every failure is reported, none escapes
        ok, conflicts = False, []
        pulled_commit = (record or {}).get("pulledCommit")
        code, message = (e.code, e.message) if isinstance(e, _Refusal) else _explain(e, entry, folder, branch)
    message = scrub(message)
    return PullOutcome(
        ok=ok,
        message=message,
        code=code,
        record={
            "repo": entry.repo,
            "branch": branch,
            "at": _now(),
            "ok": ok,
            "message": message,
            "code": code,
            "conflicts": conflicts,
            "renamed": puller.renamed if puller else [],
            "pulledCommit": pulled_commit,
        },
    )


# -------------------------------------------------------------------------------------- restore


def _aside_name(target: str) -> str:
    """``name__<YYYYmmddHHMMSS>.ext`` beside ``target``, as nbgitpuller names a file it moves aside
    (with ``_N`` added when that name is taken)."""
    head, tail = os.path.split(target)
    stem, ext = os.path.splitext(tail)
    stamp = datetime.datetime.now().strftime(_ASIDE_STAMP)
    candidate = os.path.join(head, f"{stem}{stamp}{ext}")
    n = 1
    while os.path.lexists(candidate):
        candidate = os.path.join(head, f"{stem}{stamp}_{n}{ext}")
        n += 1
    return candidate


def _upstream_file(root: str, entry: Entry, record: dict | None, file) -> tuple[str, str, str, str]:
    """Checks ``file`` as one of the entry's upstream files, as last pulled, inside the folder.

    Returns ``(file, folder, base, blob)``: the checked name, the entry's folder, the last pulled
    upstream commit and the file's blob in it. Raises MaterialsError: 400 for a name outside the
    folder (absolute, ``..``, ``.git``, through a symbolic link), 409 when nothing was pulled or
    histories diverged, 404 when that commit has no such file.
    """
    try:
        file = check_file(file)
    except ValueError as e:
        raise MaterialsError(400, f"file: {e}") from None
    folder = os.path.join(root, entry.path)
    if not os.path.lexists(folder):
        raise MaterialsError(409, f"{entry.path} has not been pulled yet; pull it first")
    problem = _clone_problem(folder, entry)
    if problem:
        raise MaterialsError(409, problem)
    base = _last_pulled(folder, entry.ref or _local_branch(folder), record)
    if not base:
        raise MaterialsError(
            409,
            f"No upstream version of {entry.path} is known here (histories diverged); "
            "pull with backup instead",
        )
    # "<mode> <type> <object>\t<path>\0" when the last pulled commit has that path.
    listed = _git(folder, "--literal-pathspecs", "ls-tree", "-z", base, "--", file)
    meta, _, listed_path = listed.stdout.rstrip("\0").partition("\t")
    fields = meta.split()
    if listed.returncode != 0 or listed_path != file or len(fields) != 3 or fields[1] != "blob":
        raise MaterialsError(404, f"{file} is not a file of {entry.repo} as last pulled into {entry.path}")

    target = os.path.join(folder, file)
    real_folder = os.path.realpath(folder)
    real_parent = os.path.realpath(os.path.dirname(target))
    if real_parent != real_folder and not real_parent.startswith(real_folder + os.sep):
        raise MaterialsError(400, f"file: {file} leads outside {entry.path} (through a symbolic link)")
    return file, folder, base, fields[2]


def diff_file(root: str, entry: Entry, record: dict | None, file) -> dict:
    """The unified diff of the upstream version of ``file`` (as last pulled, the version
    :func:`restore_file` puts back) against the student's current file: ``-`` lines are
    upstream's, ``+`` lines the student's; empty when they are the same. Blocking, read-only.
    """
    file, folder, base, _ = _upstream_file(root, entry, record, file)
    r = _git(
        folder,
        "--literal-pathspecs",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        base,
        "--",
        file,
    )
    if r.returncode != 0:
        raise MaterialsError(500, f"Could not compare {file} with upstream: {_git_error(r)}")
    return {"file": file, "upstreamCommit": base, "diff": r.stdout}


def restore_file(root: str, entry: Entry, record: dict | None, file) -> dict:
    """Puts the upstream version of ``file`` (as last pulled) back into the entry's folder and
    keeps the student's copy beside it. Blocking; the caller holds the git lock.

    The upstream version is the one of the last pulled upstream commit, so that the file is
    untouched again and later pulls update it like any other; if the student's copy equals it,
    nothing is kept aside.
    """
    file, folder, base, blob = _upstream_file(root, entry, record, file)
    target = os.path.join(folder, file)
    kept = None
    if os.path.lexists(target):
        same = (
            os.path.isfile(target)
            and not os.path.islink(target)
            and _git_out(folder, "hash-object", "--", file) == blob
        )
        if not same:
            kept = _aside_name(target)
            os.rename(target, kept)
    r = _git(
        folder,
        "--literal-pathspecs",
        "restore",
        f"--source={base}",
        "--worktree",
        "--",
        file,
        read_only=False,
    )
    if r.returncode != 0:
        if kept:
            os.rename(kept, target)
        raise MaterialsError(500, f"Could not restore {file}: {_git_error(r)}")
    return {"restored": file, "keptAs": os.path.relpath(kept, folder) if kept else None}
