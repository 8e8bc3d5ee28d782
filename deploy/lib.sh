# Shared shell helpers for the deploy scripts (sourced, not run).
log() { printf '[envhub] %s\n' "$*" >&2; }
die() { printf '[envhub] error: %s\n' "$*" >&2; exit 1; }

# envhub's seccomp profile: Docker's default without raw and packet sockets (deploy/docker/NOTICE).
ENVHUB_SECCOMP_PROFILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/docker/seccomp.json"

# Starts dockerd when no engine answers; records the pid in var/dockerd.pid when we started it.
# Every container (build steps included, whose capabilities the build API cannot drop) gets envhub's
# seccomp profile and no-new-privileges.
ensure_dockerd() {
  if docker info >/dev/null 2>&1; then
    docker info --format '{{.SecurityOptions}}' 2>/dev/null | grep -qF "profile=$ENVHUB_SECCOMP_PROFILE" ||
      log "warning: the running dockerd lacks envhub's seccomp profile, so root build steps can open raw sockets; stop it and run this again to start it with --seccomp-profile $ENVHUB_SECCOMP_PROFILE"
    return 0
  fi
  mkdir -p var
  log "starting dockerd (log: var/dockerd.log)"
  dockerd --seccomp-profile "$ENVHUB_SECCOMP_PROFILE" --no-new-privileges >var/dockerd.log 2>&1 &
  echo $! > var/dockerd.pid
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "dockerd did not answer within 60 s; see var/dockerd.log"
}

# Stops dockerd if (and only if) ensure_dockerd started it, then rclone's volume plugin.
stop_dockerd() {
  [ -f var/dockerd.pid ] || return 0
  local pid; pid=$(cat var/dockerd.pid)
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f var/dockerd.pid
  stop_webdav_plugin
}

# rclone's Docker volume plugin for WebDAV volumes (`rclone serve docker`, driver envhub-webdav): a
# host service next to dockerd, like dockerd shared by every hub on this machine. It runs as long
# as dockerd does, since dockerd waits 15 s on every volume lookup for a plugin that went away.
# Users' containers get a plain volume: no FUSE and no privilege in them.
WEBDAV_PLUGIN_SOCKET=/run/docker/plugins/envhub-webdav.sock
WEBDAV_PLUGIN_DIR=/var/lib/envhub-webdav

# Starts the plugin unless it runs; its pid in $WEBDAV_PLUGIN_DIR/plugin.pid.
ensure_webdav_plugin() {
  local pid_file="$WEBDAV_PLUGIN_DIR/plugin.pid"
  if [ -S "$WEBDAV_PLUGIN_SOCKET" ] && [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    return 0
  fi
  command -v rclone >/dev/null && command -v fusermount3 >/dev/null || {
    log "warning: rclone or fuse3 is missing, so WebDAV volumes are off (run make provision)"
    return 0
  }
  mkdir -p "$WEBDAV_PLUGIN_DIR/mnt" "$WEBDAV_PLUGIN_DIR/cache" "$(dirname "$WEBDAV_PLUGIN_SOCKET")"
  rm -f "$WEBDAV_PLUGIN_SOCKET"
  # Its own session, so that stopping a hub's process group leaves running servers' mounts alone;
  # the pid is written from inside, since setsid forks when started by a process group leader.
  setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' plugin "$pid_file" \
    rclone serve docker --socket-addr "$WEBDAV_PLUGIN_SOCKET" --base-dir "$WEBDAV_PLUGIN_DIR/mnt" \
    --cache-dir "$WEBDAV_PLUGIN_DIR/cache" --config "" >"$WEBDAV_PLUGIN_DIR/plugin.log" 2>&1 </dev/null &
  for _ in $(seq 1 50); do [ -S "$WEBDAV_PLUGIN_SOCKET" ] && return 0; sleep 0.1; done
  log "warning: rclone's volume plugin did not start (see $WEBDAV_PLUGIN_DIR/plugin.log), so WebDAV volumes are off"
}

# Stops the plugin (after dockerd: see above) and unmounts whatever it left mounted.
stop_webdav_plugin() {
  local pid_file="$WEBDAV_PLUGIN_DIR/plugin.pid" pid
  [ -f "$pid_file" ] || return 0
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping rclone's volume plugin"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  awk -v base="$WEBDAV_PLUGIN_DIR/mnt/" 'index($2, base) == 1 {print $2}' /proc/mounts |
    while read -r mount; do fusermount3 -uz "$mount" 2>/dev/null || umount -l "$mount"; done
  rm -f "$pid_file" "$WEBDAV_PLUGIN_SOCKET"
}

# Removes what a hub with name prefix $1 left on this machine's Docker engine: containers, volumes,
# images and its build and visitor networks (the test hubs' cleanup).
remove_envhub_objects() {
  local prefix=$1 containers volumes images
  containers=$(docker ps -aq --filter "name=^$prefix-")
  [ -z "$containers" ] || docker rm -f $containers >/dev/null
  volumes=$(docker volume ls -q --filter "name=^$prefix-")
  [ -z "$volumes" ] || docker volume rm $volumes >/dev/null
  images=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$prefix-" || true)
  [ -z "$images" ] || docker rmi -f $images >/dev/null
  docker network rm "$prefix-build" "$prefix-visitors" >/dev/null 2>&1 || true
}

# A test hub: `deploy/serve.sh` in the background with its output in $1, waited for until envhub's
# health answers at $ENVHUB_TEST_URL (its pid in hub_pid); dies with the log's end when it does not.
start_test_hub() {
  local logfile=$1
  deploy/serve.sh >"$logfile" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 90); do
    curl -fs "$ENVHUB_TEST_URL/services/envhub/api/health" >/dev/null 2>&1 && return 0
    kill -0 "$hub_pid" 2>/dev/null || break
    sleep 1
  done
  curl -fs "$ENVHUB_TEST_URL/services/envhub/api/health" >/dev/null && return 0
  tail -n 50 "$logfile"
  die "the test hub on $ENVHUB_TEST_URL did not become healthy"
}

# Stops the test hub start_test_hub started (Ctrl-C first, as a person would).
stop_test_hub() {
  if [ -n "${hub_pid:-}" ] && kill -0 "$hub_pid" 2>/dev/null; then
    kill -INT "$hub_pid"
    for _ in $(seq 1 60); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$hub_pid" 2>/dev/null || true
  fi
  hub_pid=
}
