#!/usr/bin/env bash
# A Docker Swarm of several engines on this one machine, with a registry every node pulls from: what
# the swarm tests run against (an institution has real machines instead).
#
#   deploy/swarm-lab.sh up [N]    N nodes (default 2), the registry, the swarm and its overlay network
#   deploy/swarm-lab.sh down      removes all of it: nothing of it is left behind
#   deploy/swarm-lab.sh env       prints the node sockets and addresses as shell assignments
#
# Each node is a dockerd in a network namespace of its own (envsw<n>, address 10.99.0.1<n>) joined
# to one bridge (envsw-br, 10.99.0.1), with its own data root, exec root, socket and pid file, so the
# nodes' iptables rules, docker0 and docker_gwbridge stay inside their namespaces; the host's own
# dockerd is not touched. The registry (Debian's docker-registry) listens on the bridge address only,
# with TLS: a certificate made for it, which every engine here trusts for it (/etc/docker/certs.d). Swarm's virtual IPs need IPVS,
# which this kernel lacks: services use DNS round-robin (endpoint mode dnsrr) and task addresses.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BRIDGE=envsw-br
SUBNET_PREFIX=10.99.0
HOST_ADDRESS=$SUBNET_PREFIX.1
REGISTRY=$HOST_ADDRESS:5000
# Short: unix socket paths are limited to about 108 bytes, and dockerd puts sockets below these.
RUN_DIR=/run/envsw
DATA_DIR=/var/lib/envhub-swarm
OVERLAY=envhub-net
# Where Docker (every engine on this machine) looks for the registry's certificate.
CERTS_DIR=/etc/docker/certs.d/$REGISTRY

node_socket() { echo "unix://$RUN_DIR/n$1.sock"; }
node_docker() { local n=$1; shift; docker -H "$(node_socket "$n")" "$@"; }
nodes() { ls "$RUN_DIR" 2>/dev/null | sed -n 's/^n\([0-9]*\)\.pid$/\1/p' | sort -n; }

firewall_rule=(DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT)

up() {
  local count=${1:-2}
  [ "$(id -u)" = 0 ] || die "the swarm lab needs root (network namespaces, bridges, dockerd)"
  command -v docker-registry >/dev/null || die "docker-registry is missing: run make provision"
  [ -z "$(nodes)" ] || die "a swarm lab is up already ($RUN_DIR); run $0 down first"
  mkdir -p "$RUN_DIR" "$DATA_DIR"

  log "swarm lab: bridge $BRIDGE ($HOST_ADDRESS/24)"
  ip link add "$BRIDGE" type bridge
  ip addr add "$HOST_ADDRESS/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # The host's dockerd drops forwarded frames (FORWARD policy DROP); DOCKER-USER comes first.
  iptables -I "${firewall_rule[@]}"

  log "swarm lab: registry on $REGISTRY (TLS)"
  mkdir -p "$DATA_DIR/registry" "$CERTS_DIR"
  # A certificate of its own for the registry's address; Docker trusts it for that registry only
  # through /etc/docker/certs.d (read at every push and pull: no engine restarts).
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=envhub swarm lab registry" \
    -addext "subjectAltName=IP:$HOST_ADDRESS" \
    -keyout "$DATA_DIR/registry.key" -out "$DATA_DIR/registry.crt" 2>/dev/null
  cp "$DATA_DIR/registry.crt" "$CERTS_DIR/ca.crt"
  cat >"$DATA_DIR/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $DATA_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY
  tls:
    certificate: $DATA_DIR/registry.crt
    key: $DATA_DIR/registry.key
EOF
  setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' registry "$RUN_DIR/registry.pid" \
    docker-registry serve "$DATA_DIR/registry.yml" >"$DATA_DIR/registry.log" 2>&1 </dev/null &

  local n
  for n in $(seq 1 "$count"); do
    log "swarm lab: node $n ($SUBNET_PREFIX.1$n)"
    ip netns add "envsw$n"
    ip link add "envsw$n-v" type veth peer name eth0 netns "envsw$n"
    ip link set "envsw$n-v" master "$BRIDGE"
    ip link set "envsw$n-v" up
    ip -n "envsw$n" addr add "$SUBNET_PREFIX.1$n/24" dev eth0
    ip -n "envsw$n" link set lo up
    ip -n "envsw$n" link set eth0 up
    ip -n "envsw$n" route add default via "$HOST_ADDRESS"
    mkdir -p "$DATA_DIR/n$n" "$RUN_DIR/n$n"
    # nsenter --net switches the network namespace only (`ip netns exec` also remounts /sys, and
    # dockerd then finds no devices cgroup).
    nsenter --net="/var/run/netns/envsw$n" \
      dockerd --data-root "$DATA_DIR/n$n" --exec-root "$RUN_DIR/n$n" \
      -H "$(node_socket "$n")" --pidfile "$RUN_DIR/n$n.pid" \
      --seccomp-profile "$ENVHUB_SECCOMP_PROFILE" --no-new-privileges \
      >"$DATA_DIR/n$n.log" 2>&1 </dev/null &
  done
  for n in $(seq 1 "$count"); do
    for _ in $(seq 1 60); do node_docker "$n" info >/dev/null 2>&1 && break; sleep 1; done
    node_docker "$n" info >/dev/null 2>&1 || die "node $n's dockerd did not answer (see $DATA_DIR/n$n.log)"
  done
  for _ in $(seq 1 50); do curl -fs --cacert "$CERTS_DIR/ca.crt" "https://$REGISTRY/v2/" >/dev/null && break; sleep 0.1; done
  curl -fs --cacert "$CERTS_DIR/ca.crt" "https://$REGISTRY/v2/" >/dev/null || die "the registry did not answer (see $DATA_DIR/registry.log)"

  log "swarm lab: forming the swarm"
  node_docker 1 swarm init --advertise-addr "$SUBNET_PREFIX.11" >/dev/null
  local token; token=$(node_docker 1 swarm join-token -q worker)
  for n in $(seq 2 "$count"); do
    node_docker "$n" swarm join --token "$token" --advertise-addr "$SUBNET_PREFIX.1$n" "$SUBNET_PREFIX.11:2377" >/dev/null
  done
  node_docker 1 network create -d overlay --attachable "$OVERLAY" >/dev/null
  log "swarm lab: up ($count nodes; $0 env prints their sockets)"
}

down() {
  local n pid
  for n in $(nodes); do node_docker "$n" swarm leave --force >/dev/null 2>&1 || true; done
  # Each dockerd by the pid in its own file, never by name: the host's dockerd keeps running.
  for n in $(nodes); do
    pid=$(cat "$RUN_DIR/n$n.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$RUN_DIR/n$n.pid"
  done
  if [ -f "$RUN_DIR/registry.pid" ]; then
    kill "$(cat "$RUN_DIR/registry.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/registry.pid"
  fi
  for ns in $(ip netns list | awk '/^envsw[0-9]+/ {print $1}'); do
    ip link del "$ns-v" 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  while iptables -C "${firewall_rule[@]}" 2>/dev/null; do iptables -D "${firewall_rule[@]}"; done
  # dockerd leaves its exec roots' mounts (netns files, overlay mounts) when it is killed mid-way.
  awk -v a="$RUN_DIR/" -v b="$DATA_DIR/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts |
    sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$RUN_DIR" "$DATA_DIR" "$CERTS_DIR"
  log "swarm lab: down"
}

env_vars() {
  local n
  echo "ENVHUB_SWARM_HOST_ADDRESS=$HOST_ADDRESS"
  echo "ENVHUB_SWARM_REGISTRY=$REGISTRY"
  echo "ENVHUB_SWARM_NETWORK=$OVERLAY"
  for n in $(nodes); do
    echo "ENVHUB_SWARM_NODE$n=$(node_socket "$n")"
    echo "ENVHUB_SWARM_NODE${n}_ADDRESS=$SUBNET_PREFIX.1$n"
  done
}

case ${1:-} in
  up) up "${2:-2}" ;;
  down) down ;;
  env) env_vars ;;
  *) echo "usage: $0 up [nodes] | down | env" >&2; exit 2 ;;
esac
