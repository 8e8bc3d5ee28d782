"""``python -m envhub`` (or ``envhub``): the admin's commands, run in the Hub's Python environment.

    envhub build-base-image [--from IMAGE] [--tag TAG] …   the single-user base image (envhub.base_image)
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    from . import base_image

    parser = argparse.ArgumentParser(prog="envhub", description="envhub's commands for JupyterHub admins.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build-base-image",
        help="build the single-user image envhub's servers start from",
        description=(
            "Builds the single-user base image on the Docker engine that the docker command reaches: "
            "JupyterLab, this Hub's jupyterhub version, nbgitpuller, jupyter-server-proxy and this envhub "
            "(lab extension, server extension, nbgrader exchange) in /srv/venv, for the user jovyan "
            "(uid 1000). Prints the image id."
        ),
    )
    build.add_argument(
        "--from",
        dest="parent",
        metavar="IMAGE",
        help="a Debian or Ubuntu image to build on (e.g. quay.io/jupyter/base-notebook, debian:bookworm); "
        f"default: a Debian {base_image.SUITE} made here with debootstrap ({base_image.ROOTFS_IMAGE}, needs root)",
    )
    build.add_argument(
        "--tag",
        default=os.environ.get("ENVHUB_BASE_IMAGE") or base_image.DEFAULT_TAG,
        help="the image's name, as configure(c, base_image=…) names it (default: $ENVHUB_BASE_IMAGE or %(default)s)",
    )
    build.add_argument(
        "--apt-mirror",
        default=os.environ.get("ENVHUB_APT_MIRROR") or None,
        metavar="URL",
        help="Debian mirror of the debootstrap rootfs (default: $ENVHUB_APT_MIRROR, the host's bookworm "
        f"source, else {base_image.DEFAULT_MIRROR})",
    )
    build.add_argument(
        "--apt-security-mirror",
        default=os.environ.get("ENVHUB_APT_SECURITY_MIRROR") or None,
        metavar="URL",
        help="its bookworm-security source (default: the host's, else <mirror>-security)",
    )
    build.add_argument(
        "--pip-index-url",
        default=os.environ.get("ENVHUB_PIP_INDEX_URL") or None,
        metavar="URL",
        help="pip's index for the build (default: $ENVHUB_PIP_INDEX_URL, else PyPI); visible in docker history",
    )
    build.add_argument(
        "--extra-ca-certs",
        default=os.environ.get("ENVHUB_EXTRA_CA_CERTS", base_image.HOST_EXTRA_CAS),
        metavar="PATHS",
        help="colon-separated PEM files or directories to trust in the image, e.g. a TLS-intercepting "
        "proxy's CA (default: $ENVHUB_EXTRA_CA_CERTS, else %(default)s; 'none' for Debian's only)",
    )
    build.add_argument(
        "--no-cache",
        action="store_true",
        default=os.environ.get("ENVHUB_NO_CACHE") == "1",
        help="rebuild without Docker's layer cache (picks up Debian and PyPI updates)",
    )
    args = parser.parse_args(argv)
    try:
        image = base_image.build(
            parent=args.parent,
            tag=args.tag,
            apt_mirror=args.apt_mirror,
            apt_security_mirror=args.apt_security_mirror,
            pip_index_url=args.pip_index_url,
            extra_ca_certs="" if args.extra_ca_certs == "none" else args.extra_ca_certs,
            no_cache=args.no_cache,
        )
    except base_image.BuildError as error:
        print(f"[envhub] error: {error}", file=sys.stderr)
        return 1
    print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
