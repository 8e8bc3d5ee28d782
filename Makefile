# envhub: `make up` serves JupyterHub + envhub on http://127.0.0.1:8000, `make test` runs every test.
# Both install what is missing first (Debian packages, the Hub's virtualenv, node modules).
SHELL := /bin/bash

.PHONY: up test test-swarm build dist provision down bench

up: build
	deploy/serve.sh

test: build
	deploy/test.sh

# The multi-node tests alone (make test runs them too): a swarm of two Docker engines on this
# machine with a registry, envhub in swarm mode on it, all torn down afterwards.
test-swarm: build
	deploy/test-swarm.sh

build: provision
	deploy/build.sh

# The release artifacts in dist/: the envhub wheel (lab extension, Hub glue, bundled service) and its
# sdist, of one version (README, "Install into an existing JupyterHub").
dist: provision
	npm run --silent build && deploy/build-wheel.sh

provision:
	deploy/provision.sh

down:
	deploy/down.sh

# Benchmarks (ratios against baselines measured in the same run): the builder, launches (a hub of
# their own on port 8800), public servers' temporary sessions (one on port 8900), launches over a
# two-engine swarm (its own lab and hub on port 8600); see README. All run; any failing fails it.
bench: build
	source deploy/lib.sh && ensure_dockerd && status=0 && \
	  { npx tsx bench/builder.bench.ts || status=1; } && \
	  { npx tsx bench/launch.bench.ts || status=1; } && \
	  { npx tsx bench/publicSessions.bench.ts || status=1; } && \
	  { npx tsx bench/swarm.bench.ts || status=1; } && exit $$status
