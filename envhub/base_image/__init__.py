"""``python -m envhub build-base-image``: the single-user image every envhub server starts from.

Two stages, both on the Docker engine ``docker`` talks to (``DOCKER_HOST`` as usual):

A. The parent: an image the admin names (``--from``, e.g. ``quay.io/jupyter/base-notebook`` or
   ``debian:bookworm``; any Debian or Ubuntu image with apt), or by default a Debian bookworm
   minbase made here with debootstrap and ``docker import`` (``envhub-rootfs:bookworm``, built once;
   needs root and debootstrap, no registry).
B. ``Dockerfile`` beside this file on top of it, on Docker's bridge network (a build never sees the
   host's loopback services): Debian's Python in ``/srv/venv`` owned by jovyan (uid 1000), the Hub's
   ``jupyterhub`` version, JupyterLab, nbgitpuller, jupyter-server-proxy and this envhub (its lab
   extension, server extension and nbgrader exchange). Docker's layer cache rebuilds only what
   changed; a last metadata-only step labels the image with the versions inside it.

This envhub goes in as a wheel rebuilt from the installed files (``installed_wheel``), so the image
carries exactly the envhub the Hub runs and no checkout of the repository is needed. Logs go to
stderr prefixed ``[envhub]``; the image id is the last line on stdout.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).parent
SUITE = "bookworm"
ROOTFS_IMAGE = f"envhub-rootfs:{SUITE}"
DEFAULT_TAG = "envhub-base:latest"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: Where sites add CA certificates (e.g. a TLS-intercepting proxy's), trusted in the image by default.
HOST_EXTRA_CAS = "/usr/local/share/ca-certificates"


class BuildError(RuntimeError):
    """A build that cannot go on; its message says why and what to do."""


def log(message: str) -> None:
    print(f"[envhub] {message}", file=sys.stderr, flush=True)


def run_logged(args: list[str], **kwargs) -> None:
    """Runs ``args`` with its output indented under our log on stderr; raises on failure."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    for line in process.stdout:
        print("[envhub]   " + re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n")), file=sys.stderr, flush=True)
    if process.wait() != 0:
        raise BuildError(f"{args[0]} {args[1]} failed (its output is above)")


def docker(*args: str, check: bool = True) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise BuildError(f"docker {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip() if result.returncode == 0 else ""


def label_of(image: str, label: str) -> str:
    return docker("image", "inspect", "-f", f'{{{{index .Config.Labels "{label}"}}}}', image, check=False)


# ------------------------------------------------------------------------------------ inputs


def host_mirror(suite: str, apt: Path = Path("/etc/apt")) -> str | None:
    """The first URI of an enabled ``deb`` source of the host whose suite is exactly ``suite``:
    deb822 ``*.sources`` first, then one-line ``sources.list`` and ``*.list``."""
    for path in sorted(apt.glob("sources.list.d/*.sources")):
        for paragraph in re.split(r"\n\s*\n", path.read_text()):
            fields = {}
            for line in paragraph.splitlines():
                if line.lstrip().startswith("#") or ":" not in line:
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if (
                "deb" in fields.get("types", [])
                and suite in fields.get("suites", [])
                and fields.get("enabled", ["yes"])[0].lower() != "no"
                and fields.get("uris")
            ):
                return fields["uris"][0].rstrip("/")
    for path in [apt / "sources.list", *sorted(apt.glob("sources.list.d/*.list"))]:
        for line in path.read_text().splitlines() if path.exists() else []:
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                return words[1].rstrip("/")
    return None


def extra_ca_certificates(sources: str) -> list[Path]:
    """The PEM certificates named by ``sources`` (colon-separated files or directories of ``*.crt``
    and ``*.pem``). A missing directory of the host's default is no error; anything else missing is."""
    found = []
    for item in filter(None, sources.split(":")):
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".crt", ".pem"))
        elif path.is_file():
            found.append(path)
        elif item != HOST_EXTRA_CAS:
            raise BuildError(f"no such certificate file or directory: {item}")
    certificates = []
    for path in found:
        if "-----BEGIN CERTIFICATE-----" in path.read_text(errors="replace"):
            certificates.append(path)
        else:
            log(f"warning: skipping {path} (not a PEM certificate)")
    return certificates


def jupyterhub_spec() -> str:
    """The Hub's ``jupyterhub`` major.minor as a pip version (single-user servers must match it)."""
    try:
        hub = metadata.version("jupyterhub")
    except metadata.PackageNotFoundError:
        raise BuildError(
            "jupyterhub is not installed here: run this command in the Hub's Python environment, "
            "so that servers get the Hub's version"
        ) from None
    major, minor = hub.split(".")[:2]
    return f"{major}.{minor}.*"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def installed_wheel(directory: Path) -> Path:
    """A pure wheel of the installed envhub, from the files its installation recorded: the package
    (without the bundled service, which images never run), its shared data (lab extension, server
    configuration) and its metadata. The same installation gives the same bytes (sorted entries,
    fixed timestamps), so Docker's layer cache holds across runs."""
    dist = metadata.distribution("envhub")
    version = dist.version
    info = f"envhub-{version}.dist-info"
    site = Path(dist.locate_file(""))
    recorded = dist.files or []
    if not any(str(f).startswith("envhub/") for f in recorded):
        raise BuildError(
            f"envhub {version} is installed in editable mode ({site}): install its wheel "
            "(pip install dist/envhub-*.whl) to build the image from it"
        )
    entries: dict[str, tuple[bytes, int]] = {}
    for file in recorded:
        name = str(file)
        if "__pycache__" in file.parts or name.startswith("envhub/bundle/"):
            continue
        path = Path(file.locate())
        if name.startswith("../"):
            relative = os.path.relpath(os.path.normpath(site / name), os.path.normpath(site / "../../.."))
            if relative.startswith("bin/"):
                continue  # console scripts: pip writes them from entry_points.txt
            name = f"envhub-{version}.data/data/{relative}"
        elif name.startswith(info + "/"):
            if file.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
            if file.name == "WHEEL":
                text = path.read_text()
                text = re.sub(r"(?m)^Root-Is-Purelib: .*$", "Root-Is-Purelib: true", text)
                text = re.sub(r"(?m)^Tag: .*$", "Tag: py3-none-any", text)
                entries[name] = (text.encode(), 0o644)
                continue
        entries[name] = (path.read_bytes(), path.stat().st_mode & 0o777)
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, (data, _) in sorted(entries.items()))
    entries[f"{info}/RECORD"] = ((record + f"{info}/RECORD,,\n").encode(), 0o644)

    wheel = directory / f"envhub-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        # dist-info last, as wheels have it.
        for name in sorted(entries, key=lambda n: (n.startswith(info), n)):
            data, mode = entries[name]
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.external_attr = (0o100000 | mode) << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
    return wheel


# ------------------------------------------------------------------------------------ stages


@contextmanager
def staging(prefix: str):
    """A temporary directory, removed afterwards without crossing into what is mounted below it
    (debootstrap mounts proc and sys in its target)."""
    directory = tempfile.mkdtemp(prefix=f"envhub-{prefix}.", dir=os.environ.get("TMPDIR", "/var/tmp"))
    try:
        yield Path(directory)
    finally:
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(directory + "/")), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", directory])


SLIM_APT = {
    # Container conventions, as in Debian's official images: no services started by maintainer
    # scripts, no .deb/.bin caches or translations kept, no docs, man pages or locales installed.
    "usr/sbin/policy-rc.d": "#!/bin/sh\n# containers have no init to start services with\nexit 101\n",
    "etc/apt/apt.conf.d/docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
        '/var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    ),
    "etc/apt/apt.conf.d/docker-no-languages": 'Acquire::Languages "none";\n',
    "etc/apt/apt.conf.d/docker-autoremove-suggests": 'APT::AutoRemove::SuggestsImportant "false";\n',
    "etc/dpkg/dpkg.cfg.d/docker-apt-speedup": "force-unsafe-io\n",
    "etc/dpkg/dpkg.cfg.d/docker-slim": "".join(
        f"path-exclude /usr/share/{d}/*\n" for d in ("doc", "man", "groff", "info", "lintian", "linda", "locale")
    )
    + "path-include /usr/share/doc/*/copyright\n",
    "etc/hostname": "localhost\n",
    "etc/hosts": "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n",
    "etc/resolv.conf": "",
    "etc/machine-id": "",
}


def build_rootfs(mirror: str | None, security_mirror: str | None) -> None:
    """Stage A's default parent: Debian ``SUITE`` minbase from the host's mirror, imported as
    ``ROOTFS_IMAGE`` (about 40 s). Its apt sources are the mirror's, signed by Debian's keyring."""
    if os.geteuid() != 0:
        raise BuildError("making the Debian rootfs (debootstrap) needs root; or name a parent image with --from")
    if not shutil.which("debootstrap"):
        raise BuildError(
            "debootstrap is not installed (apt-get install debootstrap); or name a parent image with --from"
        )
    mirror = (mirror or host_mirror(SUITE) or DEFAULT_MIRROR).rstrip("/")
    security_mirror = (security_mirror or host_mirror(f"{SUITE}-security") or f"{mirror}-security").rstrip("/")
    with staging("rootfs") as work:
        root = work / "root"
        log(f"stage A: debootstrap --variant=minbase {SUITE} from {mirror} (takes ~40 s)")
        run_logged(["debootstrap", "--variant=minbase", "--components=main", SUITE, str(root), mirror])
        keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
        if not (root / keyring.lstrip("/")).exists():
            raise BuildError("the rootfs has no debian-archive-keyring; cannot write signed apt sources")
        log(f"stage A: apt from {mirror} (security: {security_mirror}); slimming the rootfs")
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(
            f"Types: deb\nURIs: {mirror}\nSuites: {SUITE} {SUITE}-updates\nComponents: main\nSigned-By: {keyring}\n\n"
            f"Types: deb\nURIs: {security_mirror}\nSuites: {SUITE}-security\nComponents: main\nSigned-By: {keyring}\n"
        )
        for name, text in SLIM_APT.items():
            (root / name).write_text(text)
        (root / "usr/sbin/policy-rc.d").chmod(0o755)
        for path in (root / "usr/share/doc").rglob("*"):
            if not path.is_dir() and path.name != "copyright":
                path.unlink()
        for directory in ("man", "groff", "info", "lintian", "linda", "locale"):
            for path in (root / "usr/share" / directory).glob("*"):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        for pattern in ("var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
                        "var/cache/apt/archives/partial/*", "var/cache/debconf/*-old", "var/lib/dpkg/*-old"):
            for path in root.glob(pattern):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        for path in (root / "var/log").rglob("*"):
            if path.is_file():
                path.unlink()

        log(f"stage A: importing as {ROOTFS_IMAGE}")
        labels = {
            "org.envhub.role": "rootfs",
            "org.envhub.debian-suite": SUITE,
            "org.envhub.apt-mirror": mirror,
            "org.envhub.apt-security-mirror": security_mirror,
            "org.opencontainers.image.title": "envhub-rootfs",
        }
        tar = subprocess.Popen(
            ["tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", str(root), "-c", "."],
            stdout=subprocess.PIPE,
        )
        changes = [
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            'CMD ["bash"]',
            "LABEL " + " ".join(f"{k}={v}" for k, v in labels.items()),
        ]
        imported = subprocess.run(
            ["docker", "import", *(a for change in changes for a in ("--change", change)),
             "--message", f"envhub rootfs: debootstrap --variant=minbase {SUITE} {mirror}", "-", ROOTFS_IMAGE],
            stdin=tar.stdout, capture_output=True, text=True,
        )
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise BuildError(f"docker import failed: {imported.stderr.strip()}")


def parent_image(parent: str | None, apt_mirror: str | None, apt_security_mirror: str | None) -> str:
    """Stage A: the image the base builds on, made or checked."""
    if parent:
        if apt_mirror:
            log("warning: --apt-mirror applies to the Debian rootfs only; the image named by --from keeps its apt sources")
        if not docker("image", "inspect", "-f", "{{.Id}}", parent, check=False):
            log(f"stage A: pulling {parent}")
            run_logged(["docker", "pull", parent])
        log(f"stage A: building on {parent}")
        return parent
    if docker("image", "inspect", "-f", "{{.Id}}", ROOTFS_IMAGE, check=False):
        made_from = label_of(ROOTFS_IMAGE, "org.envhub.apt-mirror")
        log(f"stage A: {ROOTFS_IMAGE} exists (mirror {made_from}); not rebuilding")
        if apt_mirror and apt_mirror.rstrip("/") != made_from:
            log(f"warning: the apt mirror differs from the existing rootfs'; 'docker rmi {ROOTFS_IMAGE}' to remake it")
    else:
        build_rootfs(apt_mirror, apt_security_mirror)
    return ROOTFS_IMAGE


def build(
    *,
    parent: str | None = None,
    tag: str = DEFAULT_TAG,
    apt_mirror: str | None = None,
    apt_security_mirror: str | None = None,
    pip_index_url: str | None = None,
    extra_ca_certs: str = HOST_EXTRA_CAS,
    no_cache: bool = False,
) -> str:
    """Builds the base image as ``tag`` and returns its id."""
    if not shutil.which("docker") or not docker("version", "--format", "{{.Server.Version}}", check=False):
        raise BuildError("no Docker engine answers the docker command (is dockerd running? is DOCKER_HOST right?)")
    hub_spec = jupyterhub_spec()
    certificates = extra_ca_certificates(extra_ca_certs)
    lock_path = Path(os.environ.get("TMPDIR", "/var/tmp")) / "envhub-base-image.lock"
    with open(lock_path, "w") as lock:
        # Concurrent builds (two hubs' set-ups) wait for each other rather than race on the tag.
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("another base-image build is running; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        base = parent_image(parent, apt_mirror, apt_security_mirror)
        with staging("base") as work:
            context = work / "context"
            (context / "wheels").mkdir(parents=True)
            (context / "ca-certificates").mkdir()
            shutil.copy(HERE / "Dockerfile", context)
            shutil.copy(HERE / "lazy_hub_imports.py", context)
            wheel = installed_wheel(context / "wheels")
            for certificate in certificates:
                shutil.copy(certificate, context / "ca-certificates" / (certificate.stem + ".crt"))
            if certificates:
                log(f"stage B: trusting {len(certificates)} extra CA certificate(s): "
                    + " ".join(c.name for c in certificates))
            args = ["docker", "build", "--force-rm", "--iidfile", str(work / "iid"),
                    "--build-arg", f"ENVHUB_FROM={base}", "--build-arg", f"JUPYTERHUB_VERSION={hub_spec}"]
            if pip_index_url:
                args += ["--build-arg", f"PIP_INDEX_URL={pip_index_url}"]
            if no_cache:
                args.append("--no-cache")
            log(f"stage B: docker build (jupyterhub=={hub_spec}, {wheel.name})")
            run_logged([*args, str(context)])
            built = (work / "iid").read_text().strip()
            wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        label(built, tag, base, wheel.name, wheel_sha)
    inspected = json.loads(docker("image", "inspect", "-f", "{{json .}}", tag))
    image, labels = inspected["Id"], inspected["Config"]["Labels"]
    log(f"{tag} = {image.removeprefix('sha256:')} ({inspected['Size'] / 1e6:.0f} MB; jupyterhub "
        f"{labels['org.envhub.jupyterhub-version']}, jupyterlab {labels['org.envhub.jupyterlab-version']}, "
        f"python {labels['org.envhub.python-version']})")
    return image


def label(built: str, tag: str, parent: str, wheel_name: str, wheel_sha: str) -> None:
    """The last, metadata-only step: ``tag`` is ``built`` with the exact versions inside it as labels
    (envhub's builder reads the Python version from them). Nothing runs when ``tag`` already is this
    build; the image ``tag`` named before is removed unless something still uses it."""
    previous = docker("image", "inspect", "-f", "{{.Id}}", tag, check=False)
    if previous and label_of(tag, "org.envhub.build") == built:
        log(f"stage B: {tag} is up to date")
        return
    versions = docker(
        "run", "--rm", "--network", "none", "--entrypoint", "python", built, "-c",
        "import importlib.metadata as m, platform; "
        "print(platform.python_version(), *(m.version(p) for p in ('jupyterhub', 'jupyterlab', 'nbgitpuller')))",
    ).split()
    python, jupyterhub, jupyterlab, nbgitpuller = versions
    log(f"stage B: labelling {tag} (python {python}, jupyterhub {jupyterhub}, jupyterlab {jupyterlab}, "
        f"nbgitpuller {nbgitpuller})")
    labels = {
        "org.envhub.jupyterhub-version": jupyterhub,
        "org.envhub.jupyterlab-version": jupyterlab,
        "org.envhub.python-version": python,
        "org.envhub.nbgitpuller-version": nbgitpuller,
        "org.envhub.parent": parent,
        "org.envhub.wheel": wheel_name,
        "org.envhub.wheel-sha256": wheel_sha,
        "org.envhub.build": built,
    }
    dockerfile = f"FROM {built}\nLABEL " + " ".join(f'{k}="{v}"' for k, v in labels.items()) + "\n"
    result = subprocess.run(["docker", "build", "-t", tag, "-"], input=dockerfile, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"labelling {tag} failed: {result.stderr.strip()}")
    now = docker("image", "inspect", "-f", "{{.Id}}", tag)
    if previous and previous != now and not docker("image", "inspect", "-f", "{{join .RepoTags \" \"}}", previous, check=False):
        if subprocess.run(["docker", "rmi", previous], capture_output=True).returncode == 0:
            log(f"stage B: removed the image {tag} named before ({previous.removeprefix('sha256:')[:12]})")
