#!/usr/bin/env bash
# Installs what envhub needs on a Debian machine, idempotently: Debian packages, the Hub's Python
# virtualenv and the node dependencies. A second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh

apt_packages=(docker.io iproute2 git debootstrap chromium iptables ca-certificates curl python3 python3-venv rclone fuse3 docker-registry openssl)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# docker-registry is for the swarm tests (deploy/swarm-lab.sh runs its own, on a private address);
# the packaged service would listen on every interface, so it stays off where systemd started it.
if command -v systemctl >/dev/null && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  log "disabling the docker-registry service the package enabled (see deploy/swarm-lab.sh)"
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  die "Node.js $(node --version) is too old: envhub needs Node.js 20 or newer (install it, then run this again)"
fi

# The Hub's virtualenv, reinstalled only when deploy/requirements.txt changes.
stamp=.venv/.requirements.sha256
want=$(sha256sum deploy/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing the Hub's Python environment in .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r deploy/requirements.txt
  echo "$want" > "$stamp"
fi

# Node dependencies, reinstalled only when the lock file changes.
stamp=node_modules/.package-lock.sha256
want=$(cat package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f package-lock.json ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing node dependencies"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  cat package-lock.json | sha256sum | cut -d' ' -f1 > "$stamp"
fi
