"""``envhub build-base-image`` (envhub/base_image): the host's apt sources it reads, the CA
certificates it takes, the wheel it rebuilds from the installed envhub, its refusals, and a build on
a parent image the admin names, checked from inside. The default build (the debootstrapped Debian)
is the one ``make build`` runs before every test; test_pip_install.py runs it from a fresh
virtualenv."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest

from envhub import base_image
from envhub.base_image import BuildError, extra_ca_certificates, host_mirror, installed_wheel

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_the_hosts_mirror_comes_from_deb822_sources_first_then_one_line_lists(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://list.example/debian/ bookworm main\n"
        "deb http://list.example/security bookworm-security main\n"
    )
    assert host_mirror("bookworm", tmp_path) == "http://list.example/debian"
    assert host_mirror("bookworm-security", tmp_path) == "http://list.example/security"
    assert host_mirror("trixie", tmp_path) is None

    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\nEnabled: no\n\n"
        "Types: deb-src\nURIs: http://source.example/debian\nSuites: bookworm\n\n"
        "# a comment: line\nTypes: deb deb-src\nURIs: http://deb822.example/debian/ http://second.example\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n"
    )
    assert host_mirror("bookworm", tmp_path) == "http://deb822.example/debian"
    assert host_mirror("bookworm-security", tmp_path) == "http://list.example/security"


def test_extra_ca_certificates_are_pem_files_from_files_and_directories(tmp_path, capsys):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "proxy.crt").write_text(PEM)
    (tmp_path / "site" / "nested").mkdir()
    (tmp_path / "site" / "nested" / "index.pem").write_text(PEM)
    (tmp_path / "site" / "readme.txt").write_text(PEM)
    (tmp_path / "site" / "broken.crt").write_text("not a certificate")
    (tmp_path / "one.pem").write_text(PEM)

    found = extra_ca_certificates(f"{tmp_path / 'site'}:{tmp_path / 'one.pem'}:")
    assert [p.name for p in found] == ["index.pem", "proxy.crt", "one.pem"]
    assert "skipping" in capsys.readouterr().err and "broken.crt" not in [p.name for p in found]
    assert extra_ca_certificates("") == []
    with pytest.raises(BuildError, match="no such certificate file or directory: /nowhere"):
        extra_ca_certificates("/nowhere")


def test_the_image_gets_a_wheel_of_the_installed_envhub_without_the_service(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    wheel = installed_wheel(one)
    # The same installation gives the same bytes, so Docker's layer cache holds.
    assert wheel.read_bytes() == installed_wheel(two).read_bytes()
    version = metadata.version("envhub")
    assert wheel.name == f"envhub-{version}-py3-none-any.whl"

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        data = f"envhub-{version}.data/data/"
        assert f"{data}share/jupyter/labextensions/@envhub/lab-extension/package.json" in names
        assert f"{data}etc/jupyter/jupyter_server_config.d/envhub.json" in names
        assert "envhub/exchange.py" in names and "envhub/serverextension.py" in names
        assert not [n for n in names if n.startswith("envhub/bundle/") or "__pycache__" in n or "/bin/" in n]
        info = f"envhub-{version}.dist-info/"
        assert "Tag: py3-none-any" in archive.read(info + "WHEEL").decode()
        assert "envhub-git-credential" in archive.read(info + "entry_points.txt").decode()
        record = archive.read(info + "RECORD").decode().splitlines()
        assert sorted(line.split(",")[0] for line in record) == sorted(names)
        for line in record:
            name, digest, size = line.rsplit(",", 2)
            if digest:
                content = archive.read(name)
                expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
                assert (digest, int(size)) == (f"sha256={expected}", len(content))

    # pip installs it: the lab extension, the server's configuration and the console script.
    prefix = tmp_path / "prefix"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--prefix", str(prefix), str(wheel)], check=True
    )
    assert (prefix / "share/jupyter/labextensions/@envhub/lab-extension/package.json").exists()
    assert json.loads((prefix / "etc/jupyter/jupyter_server_config.d/envhub.json").read_text())
    assert (prefix / "bin" / "envhub-git-credential").exists()


def test_an_editable_envhub_is_refused_with_what_to_do(tmp_path, monkeypatch):
    class Editable:
        version = "0.1.0"
        files = [metadata.PackagePath("__editable__.envhub-0.1.0.pth")]

        def locate_file(self, path):
            return tmp_path

    monkeypatch.setattr(base_image.metadata, "distribution", lambda name: Editable())
    with pytest.raises(BuildError, match=r"editable mode .*pip install dist/envhub-\*\.whl"):
        installed_wheel(tmp_path)


def envhub_command(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "envhub", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def test_the_command_refuses_clearly_without_a_docker_engine():
    result = envhub_command("build-base-image", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 1
    assert "no Docker engine answers the docker command" in result.stderr
    assert result.stdout == ""


def test_the_command_lists_its_settings():
    result = envhub_command("build-base-image", "--help")
    assert result.returncode == 0
    for option in ("--from", "--tag", "--apt-mirror", "--pip-index-url", "--extra-ca-certs", "--no-cache"):
        assert option in result.stdout
    assert envhub_command().returncode == 2  # no command: argparse's usage error


@pytest.fixture
def parent():
    """An Ubuntu-like parent the admin might name: a uid-1000 user of another name, and USER set to it."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root (the Docker engine)")
    tag = "envhubtest-parent:ubuntu-like"
    dockerfile = f"FROM {base_image.ROOTFS_IMAGE}\nRUN useradd --create-home --uid 1000 ubuntu\nUSER ubuntu\n"
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True, check=True, capture_output=True)
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag, "envhubtest-base:from"], capture_output=True)


def test_the_base_image_builds_on_an_image_the_admin_names(parent):
    result = envhub_command("build-base-image", "--from", parent, "--tag", "envhubtest-base:from")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"stage A: building on {parent}" in result.stderr
    image = result.stdout.strip().splitlines()[-1]
    assert image.startswith("sha256:")

    labels = json.loads(subprocess.run(
        ["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", image], capture_output=True, text=True, check=True
    ).stdout)
    assert labels["org.envhub.parent"] == parent
    assert labels["org.envhub.jupyterhub-version"].split(".")[:2] == metadata.version("jupyterhub").split(".")[:2]

    inside = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, "bash", "-c",
         "id; echo $HOME; touch ~/written && ls -ld ~ | cut -d' ' -f3,4; "
         "jupyterhub-singleuser --version; command -v envhub-git-credential; "
         "jupyter labextension list 2>&1 | grep -c '@envhub/lab-extension.*enabled'; "
         "jupyter server extension list 2>&1 | grep -c 'envhub.*enabled'"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    # The parent's uid-1000 user became jovyan, in group users, with its home.
    assert inside[0].startswith("uid=1000(jovyan) gid=100(users)")
    assert inside[1:3] == ["/home/jovyan", "jovyan users"]
    assert inside[3] == labels["org.envhub.jupyterhub-version"]
    assert inside[4:] == ["/srv/venv/bin/envhub-git-credential", "1", "1"]
