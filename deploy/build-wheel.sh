#!/usr/bin/env bash
# Builds the envhub release artifacts into dist/: the wheel (the lab extension, the Python package and
# the bundled service) and the sdist, of one version.
# Offline: uses the root node_modules and .venv (see deploy/provision.sh); nothing is downloaded.
# The last line on stdout is the wheel's path.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
source deploy/lib.sh

[ -x .venv/bin/python ] || die ".venv is missing; run deploy/provision.sh first"
[ -d node_modules/@jupyterlab/builder ] || die "node_modules is missing; run 'npm install' at the repo root"

py_version=$(.venv/bin/python -c 'import re,sys; print(re.search(r"__version__ = \"(.+)\"", open("envhub/_version.py").read()).group(1))')
js_version=$(node -p 'require("./lab-extension/package.json").version')
[ "$py_version" = "$js_version" ] ||
  die "version mismatch: envhub/_version.py has $py_version, lab-extension/package.json has $js_version"

log "building the lab extension"
npm run --silent build:prod -w lab-extension >&2

log "bundling the service into the package"
node deploy/bundle-service.mjs >&2

log "building the wheel and the sdist"
mkdir -p dist
rm -f dist/envhub-*.whl dist/envhub-*.tar.gz
# The extension was just built: tell the hatch build hook not to run npm again.
HATCH_JUPYTER_BUILDER_SKIP_NPM=1 .venv/bin/python -m build --wheel --sdist --no-isolation --outdir dist/ . >&2

wheel=$(ls dist/envhub-"$py_version"-*.whl)
echo "$PWD/$wheel"
