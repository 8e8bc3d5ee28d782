#!/usr/bin/env bash
# Builds everything `make up` and `make test` run: the TypeScript packages, the envhub wheel
# (installed into the Hub's virtualenv too) and the single-user base image (envhub/base_image).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/lib.sh

log "building the TypeScript packages"
npm run --silent build >&2
wheel=$(deploy/build-wheel.sh | tail -n 1)
.venv/bin/pip install -q --force-reinstall --no-deps "$wheel"
ensure_dockerd
# The admin's command, from the envhub just installed: what an installed Hub runs too.
.venv/bin/python -m envhub build-base-image >/dev/null
