"""envhub: a persistent, authenticated Binder on JupyterHub.

This package ships the prebuilt JupyterLab extension, the Jupyter server
extension of every server (``envhub.serverextension``: course materials, the
server's class), nbgrader's exchange backed by the envhub service
(``envhub.exchange``) and the hub-side glue. It must stay importable without JupyterHub installed, since
the singleuser image only needs the extensions.
"""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt lab extension lives in this package, for JupyterLab."""
    return [{"src": "labextension", "dest": "@envhub/lab-extension"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Where the Jupyter server extension lives, for jupyter_server (enabled by the
    ``jupyter_server_config.d/envhub.json`` this package installs)."""
    return [{"module": "envhub.serverextension"}]
