#!/usr/bin/env bash
# Installs the npm packages the driver tests use (tests/drivers/node/package.json) into
# that folder's own node_modules, nothing global. Quick when the pinned versions are
# already there; needs node and npm (on the machine) and the npm registry otherwise.
set -euo pipefail
DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/drivers/node"

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "install-node-deps: node and npm are needed for tests/drivers/node" >&2; exit 1; }

# Present when every dependency's installed version is the one package.json pins.
if node -e '
  const dir = process.argv[1];
  const want = require(dir + "/package.json").dependencies;
  for (const [name, version] of Object.entries(want)) {
    let have;
    try { have = require(dir + "/node_modules/" + name + "/package.json").version; } catch (e) {}
    if (have !== version) process.exit(1);
  }' "$DIR" 2>/dev/null; then
  echo "install-node-deps: tests/drivers/node up to date"
  exit 0
fi
echo "install-node-deps: npm install in tests/drivers/node"
cd "$DIR"
npm ci --no-audit --no-fund --loglevel=error </dev/null
