#!/usr/bin/env bash
# Builds envhub's single-user base image locally — no container registry involved.
#
#   deploy/base-image/build.sh <path-to-envhub-wheel>
#
# Stage A  envhub-rootfs:bookworm — a Debian bookworm minbase rootfs made with debootstrap and
#          `docker import`ed. Built only when that image does not exist; to refresh it,
#          `docker rmi envhub-rootfs:bookworm` and run again (needs root, ~40 s).
# Stage B  deploy/base-image/Dockerfile FROM the rootfs, `docker build --network host`; Docker's layer
#          cache rebuilds only what changed (Dockerfile, rootfs, wheel, CA certs, build args).
#          A last, cached metadata-only step labels the image with the exact versions inside it.
# Idempotent: a second run with the same inputs takes seconds and leaves the same image id.
# Stdout: one line, the image id. Logs: stderr, prefixed "[envhub]".
#
# Environment knobs:
#   ENVHUB_APT_MIRROR           Debian mirror for debootstrap and for the image's apt sources
#                               (bookworm, bookworm-updates). Default: the host's bookworm mirror from
#                               /etc/apt/sources.list{,.d/}, else http://deb.debian.org/debian.
#                               Only read when stage A runs (the rootfs records it in a label).
#   ENVHUB_APT_SECURITY_MIRROR  mirror for bookworm-security. Default: the host's bookworm-security
#                               source (when ENVHUB_APT_MIRROR is unset), else "<mirror>-security".
#   ENVHUB_PIP_INDEX_URL        passed as build-arg PIP_INDEX_URL (pip's index for the image build).
#                               It is visible in `docker history`; don't put secrets in it.
#   ENVHUB_BASE_IMAGE           tag of the result (default envhub-base:latest); another tag (e.g.
#                               envhub-base:test) builds a trial image beside the one hubs run from.
#   ENVHUB_EXTRA_CA_CERTS       colon-separated PEM certificate files or directories (their *.crt /
#                               *.pem) to trust inside the image, e.g. a TLS-intercepting proxy's CA.
#                               Default: the host's locally added CAs, /usr/local/share/ca-certificates
#                               (needed where the build's HTTPS to PyPI is intercepted). "none" or ""
#                               trusts only Debian's ca-certificates.
#   ENVHUB_NO_CACHE=1           rebuild stage B without the layer cache (picks up Debian/PyPI updates).
#   TMPDIR                      where the rootfs and the build context are staged (default /var/tmp).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
source "$repo/deploy/lib.sh"
cd "$repo"   # ensure_dockerd keeps its pid/log under ./var

SUITE=bookworm
ROOTFS_IMAGE=envhub-rootfs:$SUITE
BASE_IMAGE=${ENVHUB_BASE_IMAGE:-envhub-base:latest}
DEFAULT_MIRROR=http://deb.debian.org/debian
STAGE_DIR=${TMPDIR:-/var/tmp}

usage() { printf 'usage: %s <path-to-envhub-wheel>\n' "$0" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in -h|--help) usage ;; esac
wheel=$1
[ -f "$wheel" ] || die "wheel not found: $wheel"
case $wheel in *.whl) ;; *) die "not a wheel (expected *.whl): $wheel" ;; esac
wheel=$(readlink -f "$wheel")

# Runs a command with its output (stdout and stderr) indented under our log on stderr.
run_logged() { "$@" 2>&1 | sed -u -e 's/\x1b\[[0-9;]*m//g' -e 's/^/[envhub]   /' >&2; }

# Temp dirs removed on exit. Anything still mounted below one (debootstrap mounts proc/sys in the
# target) is unmounted first, and rm never crosses into another filesystem.
tmpdirs=()
cleanup() {
  local d m
  for d in ${tmpdirs[@]+"${tmpdirs[@]}"}; do
    [ -d "$d" ] || continue
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
      awk -v p="$d/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "$d"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
new_tmpdir() { local d; d=$(mktemp -d "$STAGE_DIR/envhub-$1.XXXXXX"); tmpdirs+=("$d"); printf '%s\n' "$d"; }

# First URI of an enabled "deb" source on the host whose suite is exactly $1
# (deb822 *.sources first, then one-line *.list).
host_mirror_for() {
  local suite=$1 out
  out=$({
    awk -v want="$suite" 'BEGIN { RS = "" } {
        uris = ""; suites = ""; types = ""; enabled = 1
        n = split($0, L, "\n")
        for (i = 1; i <= n; i++) {
          l = L[i]
          if (l ~ /^[ \t]*#/) continue
          if (l ~ /^URIs:/)        { sub(/^URIs:[ \t]*/, "", l); uris = l }
          else if (l ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", l); suites = l }
          else if (l ~ /^Types:/)  { sub(/^Types:[ \t]*/, "", l); types = " " l " " }
          else if (l ~ /^Enabled:[ \t]*[Nn]o/) enabled = 0
        }
        if (!enabled || types !~ /[ \t]deb[ \t]/) next
        ns = split(suites, S, /[ \t]+/)
        for (j = 1; j <= ns; j++) if (S[j] == want) { split(uris, U, /[ \t]+/); print U[1]; exit }
      }' /etc/apt/sources.list.d/*.sources
    awk -v want="$suite" '$1 == "deb" {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == want) { print $i; exit }
      }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
  } 2>/dev/null || true)
  out=${out%%$'\n'*}
  printf '%s\n' "${out%/}"
}

label_of() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

command -v docker >/dev/null || die "docker CLI not found"
ensure_dockerd

# Serialise concurrent runs (e.g. provisioning and the service both asking for the image).
exec 9>"$STAGE_DIR/envhub-base-image.lock"
if command -v flock >/dev/null && ! flock -n 9; then
  log "another base-image build is running; waiting for it"
  flock 9
fi

t0=$SECONDS

# ---------------------------------------------------------------- stage A: rootfs
if docker image inspect "$ROOTFS_IMAGE" >/dev/null 2>&1; then
  log "stage A: $ROOTFS_IMAGE exists (mirror $(label_of "$ROOTFS_IMAGE" org.envhub.apt-mirror)); not rebuilding"
  if [ -n "${ENVHUB_APT_MIRROR:-}" ] &&
     [ "${ENVHUB_APT_MIRROR%/}" != "$(label_of "$ROOTFS_IMAGE" org.envhub.apt-mirror)" ]; then
    log "warning: ENVHUB_APT_MIRROR differs from the existing rootfs; 'docker rmi $ROOTFS_IMAGE' to rebuild it"
  fi
else
  [ "$(id -u)" = 0 ] || die "stage A (debootstrap) needs root"
  command -v debootstrap >/dev/null || die "debootstrap not installed (apt-get install debootstrap)"

  if [ -n "${ENVHUB_APT_MIRROR:-}" ]; then
    mirror=${ENVHUB_APT_MIRROR%/}
    security_mirror=${ENVHUB_APT_SECURITY_MIRROR:-$mirror-security}
  else
    mirror=$(host_mirror_for "$SUITE"); mirror=${mirror:-$DEFAULT_MIRROR}
    security_mirror=${ENVHUB_APT_SECURITY_MIRROR:-$(host_mirror_for "$SUITE-security")}
    security_mirror=${security_mirror:-${mirror}-security}
  fi
  security_mirror=${security_mirror%/}

  work=$(new_tmpdir rootfs)
  r=$work/root
  log "stage A: debootstrap --variant=minbase $SUITE from $mirror (takes ~40 s)"
  run_logged debootstrap --variant=minbase --components=main "$SUITE" "$r" "$mirror" ||
    die "debootstrap failed"
  [ -f "$r/usr/share/keyrings/debian-archive-keyring.gpg" ] ||
    die "rootfs has no debian-archive-keyring; cannot write signed apt sources"

  log "stage A: configuring apt ($mirror, security: $security_mirror) and slimming the rootfs"
  rm -f "$r/etc/apt/sources.list"
  cat > "$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Container conventions, as in Debian's official images: no services started by maintainer
  # scripts, no .deb/.bin caches or translations kept, no docs/man pages/locales installed.
  printf '#!/bin/sh\n# containers have no init to start services with\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
  chmod 0755 "$r/usr/sbin/policy-rc.d"
  cat > "$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' > "$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::AutoRemove::SuggestsImportant "false";' > "$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'force-unsafe-io' > "$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  cat > "$r/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/{man,groff,info,lintian,linda,locale}/*
  # apt lists/caches and logs out; host-specific files (copied by debootstrap) neutral.
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
         "$r"/var/cache/apt/archives/partial/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
  find "$r/var/log" -type f -delete
  echo localhost > "$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$r/etc/hosts"
  : > "$r/etc/resolv.conf"
  : > "$r/etc/machine-id"

  log "stage A: importing as $ROOTFS_IMAGE"
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$r" -c . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["bash"]' \
      --change "LABEL org.envhub.role=rootfs org.envhub.debian-suite=$SUITE org.envhub.debian-variant=minbase org.envhub.apt-mirror=$mirror org.envhub.apt-security-mirror=$security_mirror org.envhub.rootfs-created=$(date -u +%Y-%m-%dT%H:%M:%SZ) org.opencontainers.image.title=envhub-rootfs org.opencontainers.image.description=debootstrap-minbase-$SUITE-rootfs-for-envhub-base" \
      --message "envhub rootfs: debootstrap --variant=minbase $SUITE $mirror" \
      - "$ROOTFS_IMAGE" >/dev/null ||
    die "docker import failed"
  cleanup; tmpdirs=()
  log "stage A: done in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$ROOTFS_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
fi

# ---------------------------------------------------------------- stage B: base image
tb=$SECONDS
work=$(new_tmpdir base)
ctx=$work/context
mkdir -p "$ctx/wheels" "$ctx/ca-certificates"
install -m 0644 "$here/Dockerfile" "$here/lazy_hub_imports.py" "$ctx/"
install -m 0644 "$wheel" "$ctx/wheels/"

# Extra CAs: only well-formed PEM certificates, with names update-ca-certificates accepts (*.crt).
ca_sources=${ENVHUB_EXTRA_CA_CERTS-/usr/local/share/ca-certificates}
[ "$ca_sources" = none ] && ca_sources=
if [ -n "$ca_sources" ]; then
  IFS=: read -r -a ca_items <<< "$ca_sources"
  for item in "${ca_items[@]}"; do
    [ -n "$item" ] || continue
    if [ -d "$item" ]; then
      files=$(find -L "$item" -type f \( -name '*.crt' -o -name '*.pem' \) | LC_ALL=C sort)
    elif [ -f "$item" ]; then
      files=$item
    else
      [ "$item" = /usr/local/share/ca-certificates ] || die "ENVHUB_EXTRA_CA_CERTS: no such file or directory: $item"
      continue
    fi
    while read -r f; do
      [ -n "$f" ] || continue
      grep -q -- '-----BEGIN CERTIFICATE-----' "$f" || { log "warning: skipping $f (not a PEM certificate)"; continue; }
      name=$(basename "$f"); name=${name%.pem}; name=${name%.crt}.crt
      install -m 0644 "$f" "$ctx/ca-certificates/$name"
    done <<< "$files"
  done
fi
n_ca=$(find "$ctx/ca-certificates" -type f | wc -l)
[ "$n_ca" -eq 0 ] || log "stage B: trusting $n_ca extra CA certificate(s): $(cd "$ctx/ca-certificates" && echo *)"

# JupyterHub in the image follows the Hub's major.minor when the project's venv has one.
jh_spec='6.1.*'
if [ -x "$repo/.venv/bin/python" ] &&
   v=$("$repo/.venv/bin/python" -c 'import jupyterhub; print(jupyterhub.__version__)' 2>/dev/null) &&
   [[ $v =~ ^([0-9]+)\.([0-9]+) ]]; then
  jh_spec="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.*"
fi

build_args=(--network host --force-rm --iidfile "$work/iid"
            --build-arg "ENVHUB_ROOTFS=$ROOTFS_IMAGE"
            --build-arg "JUPYTERHUB_VERSION=$jh_spec")
[ -z "${ENVHUB_PIP_INDEX_URL:-}" ] || build_args+=(--build-arg "PIP_INDEX_URL=$ENVHUB_PIP_INDEX_URL")
[ "${ENVHUB_NO_CACHE:-}" != 1 ] || build_args+=(--no-cache)

log "stage B: docker build (jupyterhub==$jh_spec, wheel $(basename "$wheel"))"
run_logged docker build "${build_args[@]}" "$ctx" || die "docker build failed (log above)"
built=$(cat "$work/iid")

# Final, metadata-only step: label with the exact versions installed. Skipped when the tag already
# points at this very build (so a cached run starts no container).
previous=$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
if [ -n "$previous" ] && [ "$(label_of "$BASE_IMAGE" org.envhub.build)" = "$built" ]; then
  log "stage B: $BASE_IMAGE is up to date"
else
  versions=$(docker run --rm --network none --entrypoint python "$built" -c '
import importlib.metadata as m, platform
print(platform.python_version(), m.version("jupyterhub"), m.version("jupyterlab"), m.version("nbgitpuller"))') ||
    die "could not read versions from the built image"
  read -r py_v jh_v jl_v ngp_v <<< "$versions"
  wheel_name=$(basename "$wheel")
  wheel_sha=$(sha256sum "$wheel" | cut -d' ' -f1)
  log "stage B: labelling $BASE_IMAGE (python $py_v, jupyterhub $jh_v, jupyterlab $jl_v, nbgitpuller $ngp_v)"
  run_logged docker build -t "$BASE_IMAGE" - <<EOF || die "labelling step failed"
FROM $built
LABEL org.envhub.jupyterhub-version="$jh_v" \\
      org.envhub.jupyterlab-version="$jl_v" \\
      org.envhub.python-version="$py_v" \\
      org.envhub.nbgitpuller-version="$ngp_v" \\
      org.envhub.wheel="$wheel_name" \\
      org.envhub.wheel-sha256="$wheel_sha" \\
      org.envhub.build="$built"
EOF
  # Drop the image this tag replaced, unless something still uses it (containers, child images).
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")" ] &&
     [ -z "$(docker image inspect -f '{{join .RepoTags " "}}' "$previous" 2>/dev/null)" ]; then
    docker rmi "$previous" >/dev/null 2>&1 && log "stage B: removed the previous image ${previous#sha256:}" || true
  fi
fi

id=$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")
size=$(docker image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')
log "stage B: done in $((SECONDS - tb)) s; total $((SECONDS - t0)) s"
log "$BASE_IMAGE = ${id#sha256:} ($size; jupyterhub $(label_of "$BASE_IMAGE" org.envhub.jupyterhub-version), jupyterlab $(label_of "$BASE_IMAGE" org.envhub.jupyterlab-version), python $(label_of "$BASE_IMAGE" org.envhub.python-version))"
printf '%s\n' "$id"
