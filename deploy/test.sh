#!/usr/bin/env bash
# The whole test suite: unit tests, then integration and browser tests against a real JupyterHub +
# envhub + Docker engine started here (on ENVHUB_TEST_PORT, default 8300, with its own data
# directory and name prefix) and stopped afterwards, leaving no container, volume or image behind;
# then the multi-node tests (deploy/test-swarm.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh

results=var/test-results
rm -rf "$results" && mkdir -p "$results"
ensure_dockerd
# Stop dockerd at the end if this checkout started it (here or in the build step before), unless a
# `make up` hub from this checkout is still using it.
started_dockerd=0
if [ -f var/dockerd.pid ] && ! { [ -f var/hub/jupyterhub.pid ] && kill -0 "$(cat var/hub/jupyterhub.pid)" 2>/dev/null; }; then
  started_dockerd=1
fi

export ENVHUB_PORT="${ENVHUB_TEST_PORT:-8300}"
export ENVHUB_NAME_PREFIX="${ENVHUB_TEST_PREFIX:-envhubtest}"
export ENVHUB_DATA_DIR="$(mktemp -d /tmp/envhub-test.XXXXXX)"
export ENVHUB_DEMO_PASSWORD="test-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# Test repositories are served on 127.0.0.1, and on the Docker bridge's gateway for those that
# servers fetch themselves (course materials).
bridge_ip=$(ip -4 -o addr show docker0 | awk '{split($4, a, "/"); print a[1]; exit}')
export ENVHUB_TEST_BRIDGE_IP="$bridge_ip"
export ENVHUB_ALLOWED_REPO_HOSTS="127.0.0.1,localhost,$bridge_ip"
export ENVHUB_CONFIG="$PWD/ui-tests/fixtures/site-config.json"
# Usage accounting samples every 5 s (60 s by default), so tests see usage within seconds.
export ENVHUB_USAGE_INTERVAL=5
export ENVHUB_TEST_URL="http://127.0.0.1:$ENVHUB_PORT"
export ENVHUB_TEST_PASSWORD="$ENVHUB_DEMO_PASSWORD"
hub_pid=

cleanup() {
  stop_test_hub
  remove_envhub_objects "$ENVHUB_NAME_PREFIX"
  rm -rf "$ENVHUB_DATA_DIR"
  [ "$started_dockerd" = 1 ] && stop_dockerd
}
trap cleanup EXIT

status=0
log "style gate (prettier, eslint, stylelint, the service tests' types)"
if ! npm run --silent lint:check >"$results/lint.log" 2>&1; then
  tail -n 40 "$results/lint.log"
  log "style gate failed: run \`npm run lint\` to fix what it can (full output: $results/lint.log)"
  status=1
fi

log "unit tests"
for ws in schema hub-service lab-extension; do
  (cd "$ws" && npm test --silent -- --json --outputFile="../$results/unit-$ws.json" 2>&1) || status=1
done

log "python tests (envhub's server extension)"
.venv/bin/python -m pytest envhub/tests --junitxml="$results/python.xml" -q 2>&1 || status=1

log "starting a test hub on $ENVHUB_TEST_URL"
start_test_hub "$results/hub.log"

log "integration tests"
(cd hub-service && NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects integration --runInBand \
  --json --outputFile="../$results/integration.json" 2>&1) || status=1

log "browser tests (chromium)"
(cd ui-tests && PLAYWRIGHT_JSON_OUTPUT_NAME="../$results/ui.json" npx playwright test --reporter=list,json 2>&1) || status=1

stop_test_hub
log "multi-node tests (a swarm of two engines, envhub in swarm mode)"
ENVHUB_TEST_RESULTS="$results" deploy/test-swarm.sh || status=1

node deploy/test-summary.mjs "$results" || status=1
[ $status = 0 ] || { log "hub log: $results/hub.log"; }
exit $status
