"""The base image's edit of jupyterhub (envhub/base_image/lazy_hub_imports.py), applied to a copy of
the jupyterhub this Hub runs: a single-user import then loads no database layer, every deferred
name still resolves, and a source it does not expect is left exactly as it was."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupyterhub
import pytest

SCRIPT = Path(__file__).parents[1] / "base_image" / "lazy_hub_imports.py"
spec = importlib.util.spec_from_file_location("lazy_hub_imports", SCRIPT)
lazy_hub_imports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lazy_hub_imports)


@pytest.fixture
def package(tmp_path):
    """A copy of the installed jupyterhub package, importable from tmp_path."""
    copy = tmp_path / "jupyterhub"
    shutil.copytree(
        Path(jupyterhub.__file__).parent,
        copy,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return copy


def run_python(package, code):
    """`code` in a new interpreter that imports jupyterhub from `package`'s copy."""
    env = dict(os.environ, PYTHONPATH=str(package.parent))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_single_user_import_loads_no_database_layer(package):
    assert lazy_hub_imports.main(["lazy_hub_imports.py", str(package)]) == 0
    out = run_python(
        package,
        "import sys, jupyterhub, jupyterhub.services.auth, jupyterhub.log, jupyterhub.utils\n"
        f"assert jupyterhub.__file__ == {str(package / '__init__.py')!r}\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'jupyterhub.orm') if m in sys.modules))\n"
        "from jupyterhub import scopes\n"
        "print(scopes.orm.User.__tablename__, scopes.sa.inspect.__name__)\n"
        "print('sqlalchemy' in sys.modules)\n",
    )
    assert out.split("\n")[:3] == ["[]", "users inspect", "True"]


def test_requests_are_logged_as_before(package):
    assert lazy_hub_imports.main(["lazy_hub_imports.py", str(package)]) == 0
    out = run_python(
        package,
        "import logging, sys\n"
        "from unittest import mock\n"
        "from tornado.web import StaticFileHandler\n"
        "from jupyterhub.log import log_request\n"
        "from jupyterhub.utils import catch_db_error\n"
        "def handler(cls, status):\n"
        "    h = mock.Mock(spec=cls)\n"
        "    h.get_status.return_value = status\n"
        "    h.request = mock.Mock(method='GET', uri='/x', remote_ip='127.0.0.1', headers={})\n"
        "    h.request.request_time.return_value = 0.01\n"
        "    h.current_user = None\n"
        "    h.settings = {}\n"
        "    return h\n"
        "levels = []\n"
        "logger = logging.getLogger('tornado.access')\n"
        "logger.setLevel(logging.DEBUG)\n"
        "logger.addHandler(type('H', (logging.Handler,), {'emit': lambda self, r: levels.append(r.levelname)})())\n"
        "log_request(handler(StaticFileHandler, 200))\n"
        "from jupyterhub.handlers.pages import HealthCheckHandler\n"
        "log_request(handler(HealthCheckHandler, 200))\n"
        "log_request(handler(StaticFileHandler, 404))\n"
        "print(levels)\n",
    )
    assert out.strip() == "['DEBUG', 'DEBUG', 'WARNING']"


def test_a_source_it_does_not_expect_is_left_as_it_was(package, capsys):
    scopes = package / "scopes.py"
    scopes.write_text(scopes.read_text().replace("from . import orm, roles\n", "from . import roles, orm\n"))
    before = {path: path.read_bytes() for path in package.glob("*.py")}
    assert lazy_hub_imports.main(["lazy_hub_imports.py", str(package)]) == 0
    assert "left as they are" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in package.glob("*.py")} == before


def test_running_it_twice_changes_nothing_more(package, capsys):
    assert lazy_hub_imports.main(["lazy_hub_imports.py", str(package)]) == 0
    once = {path: path.read_bytes() for path in package.glob("*.py")}
    assert lazy_hub_imports.main(["lazy_hub_imports.py", str(package)]) == 0
    assert "already deferred" in capsys.readouterr().out
    assert {path: path.read_bytes() for path in package.glob("*.py")} == once
