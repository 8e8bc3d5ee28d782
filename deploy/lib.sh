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

# Stops dockerd if (and only if) ensure_dockerd started it.
stop_dockerd() {
  [ -f var/dockerd.pid ] || return 0
  local pid; pid=$(cat var/dockerd.pid)
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd"
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -f var/dockerd.pid
}
