#!/usr/bin/env bash
# Installs the npm packages the tests use into each folder's own node_modules, nothing global:
#   tests/drivers/node   node-mysql2, for the driver tests
#   tests/deploy/node    kubernetes-models + js-yaml, to validate deploy/k8s/*.yaml offline
# Quick when the pinned versions are already there; needs node and npm (on the machine) and
# the npm registry otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "install-node-deps: node and npm are needed for tests/drivers/node and tests/deploy/node" >&2; exit 1; }

for rel in tests/drivers/node tests/deploy/node; do
  DIR=$ROOT/$rel
  # Present when every dependency's installed version is the one package.json pins.
  if node -e '
    const dir = process.argv[1];
    const want = require(dir + "/package.json").dependencies;
    for (const [name, version] of Object.entries(want)) {
      let have;
      try { have = require(dir + "/node_modules/" + name + "/package.json").version; } catch (e) {}
      if (have !== version) process.exit(1);
    }' "$DIR" 2>/dev/null; then
    echo "install-node-deps: $rel up to date"
    continue
  fi
  echo "install-node-deps: npm ci in $rel"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
done
