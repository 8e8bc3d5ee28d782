"""The shiny/ router (envhub.shiny) over real HTTP on loopback. R is replaced by a script that serves
HTTP on the port the router gives it, which is what the router relies on; the real R and Shiny are
tested in the hub's integration tests (shinyApps.test.ts)."""

import http.client
import os
import stat
import threading
from http.server import ThreadingHTTPServer

import pytest

from envhub import shiny


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    (home / "dash").mkdir(parents=True)
    (home / "dash" / "app.R").write_text("shinyApp(ui, server)\n")
    (home / "apps" / "split").mkdir(parents=True)
    (home / "apps" / "split" / "ui.R").write_text("ui\n")
    (home / "apps" / "split" / "server.R").write_text("server\n")
    (home / "apps" / "half").mkdir()
    (home / "apps" / "half" / "ui.R").write_text("ui\n")
    (home / ".hidden").mkdir()
    (home / ".hidden" / "app.R").write_text("\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "app.R").write_text("\n")
    return home


@pytest.fixture
def router(home, tmp_path, monkeypatch):
    """The router on a free port, with a stand-in for Rscript on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rscript = bin_dir / "Rscript"
    rscript.write_text(
        "#!/bin/sh\n"
        'case "$ENVHUB_SHINY_APP" in *broken*) echo "Error: there is no package called nosuchpkg"; exit 1;; esac\n'
        f'exec {shiny.sys.executable} -m http.server "$ENVHUB_SHINY_PORT" --bind 127.0.0.1\n'
    )
    rscript.chmod(rscript.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(shiny, "SHINY_PACKAGE", tmp_path)
    monkeypatch.setattr(shiny.Router, "home", home)
    monkeypatch.setattr(shiny.Router, "apps", {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), shiny.Router)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    for app in shiny.Router.apps.values():
        app.process.kill()
        app.process.wait()


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.getheader("Location"), response.read().decode()


def test_app_folders_are_those_with_app_r_or_ui_and_server(home):
    assert shiny.app_folders(home) == ["apps/split", "dash"]


def test_paths_outside_the_home_or_hidden_are_no_apps(home):
    assert shiny.app_folder(home, "/dash/") == home / "dash"
    for path in ["/../outside/", "/.hidden/", "/apps/half/", "/%2e%2e/outside/", "/nosuch/", "/"]:
        assert shiny.app_folder(home, path) is None, path


def test_the_index_lists_the_apps(router):
    status, _, body = get(router, "/")
    assert status == 200
    assert '<a href="./dash/">dash</a>' in body and '<a href="./apps/split/">' in body


def test_an_app_starts_once_and_the_browser_goes_to_its_port(router):
    status, location, _ = get(router, "/apps/split/")
    assert status == 302
    prefix = "../../../proxy/"
    assert location.startswith(prefix) and location.endswith("/")
    port = int(location[len(prefix) : -1])
    assert get(port, "/")[0] == 200  # the app's own server answers there
    # The same app again: the same process.
    assert get(router, "/apps/split/")[1] == location
    assert len(shiny.Router.apps) == 1


def test_a_folder_without_its_slash_gets_it(router):
    assert get(router, "/dash")[:2] == (302, "./dash/")


def test_what_is_no_app_is_a_404_and_an_app_that_fails_shows_r_output(router, home):
    status, _, body = get(router, "/../outside/")
    assert status == 404 and "no app folder" in body
    (home / "broken").mkdir()
    (home / "broken" / "app.R").write_text("library(nosuchpkg)\n")
    status, _, body = get(router, "/broken/")
    assert status == 502
    assert "there is no package called nosuchpkg" in body


def test_without_shiny_installed_the_page_says_how_to_get_it(router, monkeypatch, tmp_path):
    monkeypatch.setattr(shiny, "SHINY_PACKAGE", tmp_path / "nosuch")
    status, _, body = get(router, "/dash/")
    assert status == 501 and 'install.packages("shiny")' in body
    assert shiny.server_proxy_config()["launcher_entry"]["enabled"] is False
