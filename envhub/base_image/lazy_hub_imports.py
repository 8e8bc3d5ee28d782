"""Defers the Hub's database imports in jupyterhub-singleuser; run once while the base image is built.

A single-user server never opens the Hub's database, yet importing jupyterhub's single-user
extension imports SQLAlchemy and Alembic (through jupyterhub.log, .metrics, .scopes and .utils).
Under one CPU that was 0.5 s of every server's start, measured here in the image: importing
JupyterLab with the single-user extension took 1.07 s, and 0.59 s with these edits.

The edits make those imports happen at first use instead; behaviour is
unchanged. All edits are checked before any is written: where this jupyterhub's source differs
from what they expect, nothing changes and a warning says so (servers then start as before).

    python lazy_hub_imports.py [jupyterhub package directory]   (default: the installed one)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HELPER = "_envhub_lazy.py"
HELPER_SOURCE = '''"""Lazy imports for the single-user server (added by envhub's base image build)."""

import importlib
import sys


class lazy_module:
    """Stands for module `name`, imported the usual way at the first attribute asked of it."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)


def loaded(module, name):
    """(module.name,) when `module` was imported, else (): no instance of it can exist yet."""
    found = sys.modules.get(module)
    return (getattr(found, name),) if found is not None else ()
'''

# file: [(text as jupyterhub has it, text after the edit)]
EDITS = {
    "log.py": [
        (
            "from .handlers.pages import HealthCheckHandler\n",
            "from ._envhub_lazy import loaded\n",
        ),
        (
            "isinstance(handler, StaticFileHandler | HealthCheckHandler)",
            "isinstance(\n            handler,\n            (StaticFileHandler, *loaded('jupyterhub.handlers.pages', 'HealthCheckHandler')),\n        )",
        ),
    ],
    "metrics.py": [
        (
            "from . import orm\n",
            "from ._envhub_lazy import lazy_module\n\norm = lazy_module('jupyterhub.orm')\n",
        ),
    ],
    "scopes.py": [
        ("import sqlalchemy as sa\n", ""),
        (
            "from . import orm, roles\n",
            "from ._envhub_lazy import lazy_module\n\n"
            "orm = lazy_module('jupyterhub.orm')\n"
            "roles = lazy_module('jupyterhub.roles')\n"
            "sa = lazy_module('sqlalchemy')\n",
        ),
    ],
    "utils.py": [
        (
            "from sqlalchemy.exc import SQLAlchemyError\n",
            "from ._envhub_lazy import loaded\n",
        ),
        (
            "except SQLAlchemyError:",
            "except loaded('sqlalchemy.exc', 'SQLAlchemyError'):",
        ),
    ],
}


def edited(package: Path) -> dict[Path, str] | str:
    """The new text of each file, or why the edits do not fit this jupyterhub."""
    result = {}
    for name, edits in EDITS.items():
        path = package / name
        if not path.is_file():
            return f"{path} is missing"
        text = path.read_text()
        for before, after in edits:
            if text.count(before) != 1:
                return f"{path} does not contain {before.strip()!r} exactly once"
            text = text.replace(before, after)
        result[path] = text
    return result


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        package = Path(argv[1])
    else:
        spec = importlib.util.find_spec("jupyterhub")
        if spec is None or not spec.submodule_search_locations:
            print("lazy_hub_imports: jupyterhub is not installed", file=sys.stderr)
            return 2
        package = Path(spec.submodule_search_locations[0])
    if (package / HELPER).exists():
        print("[envhub] jupyterhub: database imports already deferred")
        return 0
    result = edited(package)
    if isinstance(result, str):
        print(
            f"[envhub] warning: jupyterhub's imports left as they are ({result}); "
            "servers start about 0.5 s slower",
            file=sys.stderr,
        )
        return 0
    for path, text in result.items():
        path.write_text(text)
    (package / HELPER).write_text(HELPER_SOURCE)
    # Bytecode now, as pip did for the rest: otherwise every new container compiles them again.
    import compileall

    compileall.compile_file(package / HELPER, quiet=1)
    for path in result:
        compileall.compile_file(path, quiet=1)
    print(f"[envhub] jupyterhub: database imports deferred in {', '.join(EDITS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
