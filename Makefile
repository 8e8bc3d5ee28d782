# envhub: `make up` serves JupyterHub + envhub on http://127.0.0.1:8000, `make test` runs every test.
# Both install what is missing first (Debian packages, the Hub's virtualenv, node modules).
SHELL := /bin/bash

.PHONY: up test build provision down bench

up: build
	deploy/serve.sh

test: build
	deploy/test.sh

build: provision
	deploy/build.sh

provision:
	deploy/provision.sh

down:
	deploy/down.sh

# Builder benchmarks (ratios against baselines measured in the same run); see README.
bench: build
	source deploy/lib.sh && ensure_dockerd && npx tsx bench/builder.bench.ts
