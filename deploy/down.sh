#!/usr/bin/env bash
# Stops what `make up` left running: JupyterHub (which stops its proxy, the envhub service and
# the running servers), then dockerd and rclone's volume plugin if `make up` started them. Volumes, images and state are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh

pid_file="${ENVHUB_DATA_DIR:-var/hub}/jupyterhub.pid"
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  pid=$(cat "$pid_file")
  log "stopping JupyterHub (pid $pid)"
  kill -INT "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
stop_dockerd
