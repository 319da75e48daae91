#!/usr/bin/env bash
# Starts a local demo: one private MariaDB (in .sandbox/) and one proxyd on 127.0.0.1:2883.
#   ./run.sh        install deps, build, (re)start both, print how to connect
#   ./run.sh stop   stop both
# Running it twice restarts cleanly; the MariaDB datadir is kept between runs.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
PROXY_PORT=2883
GRPC_PORT=2884

log() { echo "run.sh: $*"; }

# The MariaDB sandbox (start/stop/reuse) and the helpers port_busy, wait_for, stop_pid.
source "$ROOT/scripts/mariadb-sandbox.sh"

stop_all() {
  stop_pid proxyd "$SB/proxyd.pid" proxyd
  sandbox_stop
}

if [[ ${1:-} == stop ]]; then
  stop_all
  log "stopped"
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: ./run.sh [stop]" >&2; exit 2; }

./scripts/install-deps.sh
log "building into build/"
cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOBP_SANITIZE=OFF >/dev/null
targets=(proxyd)
ninja -C build -t targets all 2>/dev/null | grep -q '^obpctl:' && targets+=(obpctl)
ninja -C build "${targets[@]}"

stop_all
mkdir -p "$SB"

# --- MariaDB ------------------------------------------------------------------
DB_ADDR=$(sandbox_start)
DB_PORT=${DB_ADDR##*:}

# --- proxyd -------------------------------------------------------------------
if port_busy $PROXY_PORT || port_busy $GRPC_PORT; then
  log "port $PROXY_PORT or $GRPC_PORT is taken by another program; stop it first"; exit 1
fi
cat >"$SB/proxyd.toml" <<TOML
node_id = 1
cluster = "demo"
default_tenant = "sys"
listen = "127.0.0.1:$PROXY_PORT"
grpc_listen = "127.0.0.1:$GRPC_PORT"
# \`./run.sh stop\` sends SIGTERM, which drains (README "Drain"); it waits 20 s.
drain_timeout_s = 10

[[tenant]]
name = "sys"
backends = [ { name = "primary", address = "127.0.0.1:$DB_PORT" } ]

[[user]]
tenant = "sys"
name = "demo"
password = "demo_pw"
admin = true
TOML
cat >"$SB/fleet.toml" <<TOML
[[node]]
id = 1
grpc = "127.0.0.1:$GRPC_PORT"
sql = "127.0.0.1:$PROXY_PORT"
TOML
log "starting proxyd on 127.0.0.1:$PROXY_PORT (gRPC $GRPC_PORT)"
setsid "$ROOT/build/proxyd/proxyd" --config "$SB/proxyd.toml" </dev/null >"$SB/proxyd.log" 2>&1 &
echo $! >"$SB/proxyd.pid"
if ! wait_for proxyd 30 port_busy $PROXY_PORT; then tail -n 30 "$SB/proxyd.log"; stop_all; exit 1; fi

cat <<MSG

Ready. Connect through proxyd:
  mariadb -h 127.0.0.1 -P $PROXY_PORT -u demo -pdemo_pw
MariaDB itself listens on 127.0.0.1:$DB_PORT; proxyd's log is .sandbox/proxyd.log.
$( [[ -x build/obpctl/obpctl ]] && echo "Sessions via gRPC:  build/obpctl/obpctl --fleet .sandbox/fleet.toml sessions list" )
Stop both with:  ./run.sh stop
MSG
