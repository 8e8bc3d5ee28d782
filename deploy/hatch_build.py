"""The wheel's build hook. A wheel built with deploy/build-wheel.sh carries the bundled service
(envhub/bundle), whose better-sqlite3 addon is compiled for this platform: it is tagged for the
platform (py3-none-<platform>) rather than as pure Python. Built without the bundle (a single-user
environment, such as this repository's own Binder environment), it is the lab extension and the
server extension only, pure Python, and says so."""

import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if not (Path(self.root) / "envhub" / "bundle" / "server.mjs").exists():
            self.app.display_warning(
                "envhub/bundle is missing: this wheel has no envhub service (enough for a single-user "
                "environment; for a Hub build it with deploy/build-wheel.sh)"
            )
            return
        build_data["pure_python"] = False
        build_data["tag"] = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")
