#!/usr/bin/env bash
# Runs JupyterHub with the envhub service in the foreground (Ctrl-C stops it cleanly).
# Expects `make build` to have run. Settings: ENVHUB_PORT (8000), ENVHUB_DATA_DIR (var/hub),
# ENVHUB_DEMO_PASSWORD (generated, kept in the data dir), ENVHUB_ALLOWED_REPO_HOSTS,
# ENVHUB_NAME_PREFIX (envhub), ENVHUB_BASE_IMAGE (envhub-base:latest).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh
ensure_dockerd
ensure_webdav_plugin

export ENVHUB_PORT="${ENVHUB_PORT:-8000}"
export ENVHUB_DATA_DIR="${ENVHUB_DATA_DIR:-$PWD/var/hub}"
mkdir -p "$ENVHUB_DATA_DIR"
export ENVHUB_DATA_DIR="$(cd "$ENVHUB_DATA_DIR" && pwd)"
# The Hub listens on the Docker bridge's gateway so that containers reach its API.
export ENVHUB_HUB_IP="${ENVHUB_HUB_IP:-$(ip -4 -o addr show docker0 | awk '{split($4, a, "/"); print a[1]; exit}')}"
[ -n "$ENVHUB_HUB_IP" ] || die "cannot find the Docker bridge (docker0) address; set ENVHUB_HUB_IP to an address containers reach"


if [ -z "${ENVHUB_DEMO_PASSWORD:-}" ]; then
  password_file="$ENVHUB_DATA_DIR/demo-password"
  [ -s "$password_file" ] || (umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
  ENVHUB_DEMO_PASSWORD="$(cat "$password_file")"
fi
export ENVHUB_DEMO_PASSWORD

log "JupyterHub + envhub on http://127.0.0.1:$ENVHUB_PORT/  (envhub: http://127.0.0.1:$ENVHUB_PORT/services/envhub/)"
log "demo sign-in: any user name (admin is an admin) with password: $ENVHUB_DEMO_PASSWORD"
cd "$ENVHUB_DATA_DIR"
exec "$OLDPWD/.venv/bin/jupyterhub" -f "$OLDPWD/deploy/jupyterhub_config.py"
