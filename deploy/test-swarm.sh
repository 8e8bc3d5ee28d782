#!/usr/bin/env bash
# The multi-node tests: a swarm of two Docker engines on this machine with a registry
# (deploy/swarm-lab.sh), JupyterHub + envhub in swarm mode on it (on ENVHUB_SWARM_TEST_PORT, default
# 8400), the tests in hub-service/test/swarm, then everything torn down and checked gone: no
# namespace, bridge, firewall rule, engine process, lab directory, nor anything of the test hub on
# this machine's engine. `make test-swarm`; deploy/test.sh runs it too.
set -uo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh

results=${ENVHUB_TEST_RESULTS:-var/test-results}
mkdir -p "$results"
ensure_dockerd
lab=deploy/swarm-lab.sh

export ENVHUB_PORT="${ENVHUB_SWARM_TEST_PORT:-8400}"
export ENVHUB_NAME_PREFIX=envhubswarm
export ENVHUB_DATA_DIR="$(mktemp -d /tmp/envhub-swarm-test.XXXXXX)"
export ENVHUB_DEMO_PASSWORD="test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ENVHUB_TEST_URL="http://127.0.0.1:$ENVHUB_PORT"
export ENVHUB_TEST_PASSWORD="$ENVHUB_DEMO_PASSWORD"
# The site's defaults (deploy/test.sh's hub has a site configuration of its own).
unset ENVHUB_CONFIG
hub_pid=

# What the lab and the test hub may leave; prints each leftover, fails when there is one.
check_nothing_left() {
  local left=0
  ip netns list | grep -q envsw && { log "left behind: a network namespace"; left=1; }
  ip -o link | grep -q envsw && { log "left behind: a link"; left=1; }
  iptables -S DOCKER-USER | grep -q envsw-br && { log "left behind: a firewall rule"; left=1; }
  ps -eo args | grep -v grep | grep -Eq '/run/envsw|docker-registry serve' && { log "left behind: a process"; left=1; }
  [ -e /run/envsw ] || [ -e /var/lib/envhub-swarm ] || [ -e /etc/docker/certs.d/10.99.0.1:5000 ] && { log "left behind: the lab's directories or certificate"; left=1; }
  docker ps -a --format '{{.Names}}' | grep -q "^$ENVHUB_NAME_PREFIX-" && { log "left behind: a container"; left=1; }
  docker images --format '{{.Repository}}' | grep -Eq "(^|/)$ENVHUB_NAME_PREFIX-" && { log "left behind: an image"; left=1; }
  docker volume ls -q | grep -q "^$ENVHUB_NAME_PREFIX-" && { log "left behind: a volume"; left=1; }
  return $left
}

cleanup() {
  stop_test_hub
  $lab down >/dev/null 2>&1 || log "the swarm lab did not come down cleanly"
  remove_envhub_objects "$ENVHUB_NAME_PREFIX"
  rm -rf "$ENVHUB_DATA_DIR"
}
trap cleanup EXIT

status=0
# A lab an interrupted run left behind comes down first.
$lab down >/dev/null 2>&1
$lab up 2 || die "the swarm lab did not come up"
set -a
eval "$($lab env)"
set +a
# The Hub and the service listen on the lab's bridge, which every node's containers reach.
export ENVHUB_HUB_IP=$ENVHUB_SWARM_HOST_ADDRESS
export ENVHUB_SWARM_MANAGER=$ENVHUB_SWARM_NODE1
# Usage accounting reads node 2's engine too, every 5 seconds for the test.
export ENVHUB_SWARM_ENGINES=$ENVHUB_SWARM_NODE2
export ENVHUB_USAGE_INTERVAL=5
export ENVHUB_REGISTRY=$ENVHUB_SWARM_REGISTRY
export ENVHUB_ALLOWED_REPO_HOSTS="127.0.0.1,localhost,$ENVHUB_SWARM_HOST_ADDRESS"

log "starting a hub in swarm mode on $ENVHUB_TEST_URL"
start_test_hub "$results/swarm-hub.log"

log "swarm tests"
(cd hub-service && NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects swarm --runInBand \
  --json --outputFile="../$results/swarm.json" 2>&1) || status=1

log "tearing the swarm down"
stop_test_hub
$lab down || status=1
remove_envhub_objects "$ENVHUB_NAME_PREFIX"
check_nothing_left || status=1
[ $status = 0 ] || log "swarm hub log: $results/swarm-hub.log"
exit $status
