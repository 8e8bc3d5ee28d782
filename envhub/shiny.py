"""Shiny apps in a server the way Binder links open them (``?urlpath=shiny/<folder>/``), without
RStudio or Shiny Server.

jupyter-server-proxy starts this router for ``shiny/`` (the ``jupyter_serverproxy_servers`` entry
point ``shiny``). It lists the app folders of the home (``app.R``, or ``ui.R`` with ``server.R``),
starts an app's R process the first time it is asked for, and sends the browser to it through
jupyter-server-proxy's own ``proxy/<port>/``, which needs the same sign-in as the server.

    python -m envhub.shiny <port>
"""

from __future__ import annotations

import html
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Where Debian's r-cran-shiny installs the package.
SHINY_PACKAGE = Path("/usr/lib/R/site-library/shiny")
#: How deep under the home app folders are listed.
LIST_DEPTH = 3
#: Seconds an app may take to answer after its R process starts.
START_TIMEOUT = 60

RUN_APP = (
    'shiny::runApp(Sys.getenv("ENVHUB_SHINY_APP"), host = "127.0.0.1", '
    'port = as.integer(Sys.getenv("ENVHUB_SHINY_PORT")), launch.browser = FALSE)'
)


def server_proxy_config():
    """jupyter-server-proxy's settings for ``shiny/``; its launcher tile only where R has Shiny."""
    return {
        "command": [sys.executable, "-m", "envhub.shiny", "{port}"],
        "timeout": 20,
        "launcher_entry": {"enabled": SHINY_PACKAGE.is_dir(), "title": "Shiny apps"},
    }


def is_app(folder: Path) -> bool:
    return (folder / "app.R").is_file() or (
        (folder / "ui.R").is_file() and (folder / "server.R").is_file()
    )


def app_folders(home: Path, depth: int = LIST_DEPTH) -> list[str]:
    """App folders under `home` (relative, sorted), hidden folders left out."""
    found = []

    def walk(folder: Path, level: int):
        if is_app(folder) and folder != home:
            found.append(folder.relative_to(home).as_posix())
        if level == depth:
            return
        try:
            children = sorted(folder.iterdir())
        except OSError:
            return
        for child in children:
            if child.is_dir() and not child.is_symlink() and not child.name.startswith("."):
                walk(child, level + 1)

    walk(home, 0)
    return found


def app_folder(home: Path, path: str) -> Path | None:
    """The app folder a request path names, only inside `home`; None when there is none."""
    parts = [p for p in unquote(path).split("/") if p]
    if not parts or any(p in (".", "..") or p.startswith(".") for p in parts):
        return None
    folder = home.joinpath(*parts)
    try:
        folder.resolve().relative_to(home.resolve())
    except ValueError:
        return None
    return folder if folder.is_dir() and is_app(folder) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class App:
    """One app's R process and the output it printed."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.output = b""
        env = dict(os.environ, ENVHUB_SHINY_APP=str(folder), ENVHUB_SHINY_PORT=str(self.port))
        self.process = subprocess.Popen(
            ["Rscript", "-e", RUN_APP],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.output = (self.output + line)[-4000:]

    def wait(self) -> bool:
        """Whether the app answers before START_TIMEOUT (False when R ended first)."""
        end = time.monotonic() + START_TIMEOUT
        while time.monotonic() < end:
            if answers(self.port):
                return True
            if self.process.poll() is not None:
                self.reader.join(timeout=5)  # R's last words are still in the pipe
                return False
            time.sleep(0.2)
        self.process.kill()
        return False


class Router(BaseHTTPRequestHandler):
    home = Path.home()
    apps: dict[Path, App] = {}
    lock = threading.Lock()

    def do_GET(self):
        path = urlsplit(self.path).path
        if path in ("", "/"):
            return self.index()
        if not path.endswith("/"):
            return self.redirect(f"./{path.rstrip('/').rsplit('/', 1)[-1]}/")
        folder = app_folder(self.home, path)
        if folder is None:
            return self.page(
                404, "No Shiny app here", f"{html.escape(unquote(path))} is no app folder of the home."
            )
        if not SHINY_PACKAGE.is_dir():
            return self.page(
                501,
                "Shiny is not installed",
                'This environment has no Shiny: add <code>install.packages("shiny")</code> to install.R.',
            )
        with self.lock:
            app = self.apps.get(folder)
            if app is None or app.process.poll() is not None:
                app = self.apps[folder] = App(folder)
        ready = app.wait()
        if not ready:
            return self.page(
                502,
                "The app did not start",
                f"R's output:<pre>{html.escape(app.output.decode(errors='replace'))}</pre>",
            )
        # From …/shiny/<folder>/ to …/proxy/<port>/, relative to where the browser is.
        depth = len([p for p in path.split("/") if p]) + 1
        self.redirect("../" * depth + f"proxy/{app.port}/")

    def index(self):
        folders = app_folders(self.home)
        items = "".join(
            f'<li><a href="./{html.escape(f)}/">{html.escape(f)}</a></li>' for f in folders
        )
        body = f"<ul>{items}</ul>" if folders else "<p>No folder of the home holds an app.R, or a ui.R and a server.R.</p>"
        self.page(200, "Shiny apps", body)

    def redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def page(self, status: int, title: str, body: str):
        text = f"<!doctype html><title>{title}</title><h1>{title}</h1>{body}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format, *args):
        sys.stderr.write(f"[envhub shiny] {format % args}\n")


def main(argv: list[str]) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", int(argv[1])), Router)
    # jupyter-server-proxy stops the router with SIGTERM: its apps' R processes end with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        for app in Router.apps.values():
            app.process.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
