"""envhub: a persistent, authenticated Binder on JupyterHub.

This package ships the prebuilt JupyterLab extension and the hub-side glue.
It must stay importable without JupyterHub installed, since the singleuser
image only needs the lab extension.
"""

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt lab extension lives in this package, for JupyterLab."""
    return [{"src": "labextension", "dest": "@envhub/lab-extension"}]
