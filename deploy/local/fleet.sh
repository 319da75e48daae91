#!/usr/bin/env bash
# A local fleet on loopback for trying obpctl and cross-node KILL.
#   deploy/local/fleet.sh start [N]   start N proxyd nodes (default 3), ids 11.., sharing one
#                                     fleet file; the backend is the ./run.sh MariaDB
#   deploy/local/fleet.sh stop        stop them
# Node i listens on 127.0.0.1:(2900+i) for SQL and 127.0.0.1:(2950+i) for gRPC.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=$ROOT/.sandbox/fleet
PROXYD=${PROXYD_BIN:-$ROOT/build/proxyd}

stop() {
  for pidfile in "$DIR"/node*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null && grep -q proxyd "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
    fi
    rm -f "$pidfile"
  done
}

case ${1:-} in
  stop) stop; echo "fleet stopped"; exit 0 ;;
  start) N=${2:-3} ;;
  *) echo "usage: $0 start [N] | stop" >&2; exit 2 ;;
esac

[[ -x $PROXYD ]] || { echo "no proxyd at $PROXYD: run ./run.sh first" >&2; exit 1; }
BACKEND=$(sed -n 's/.*address = "\([^"]*\)".*/\1/p' "$ROOT/.sandbox/proxyd.toml" 2>/dev/null | head -n1)
[[ -n $BACKEND ]] || { echo "no backend: run ./run.sh first (it starts MariaDB)" >&2; exit 1; }

stop
mkdir -p "$DIR"
: >"$DIR/fleet.toml"
for i in $(seq "$N"); do
  cat >>"$DIR/fleet.toml" <<TOML
[[node]]
id = $((10 + i))
grpc = "127.0.0.1:$((2950 + i))"
sql = "127.0.0.1:$((2900 + i))"

TOML
done
for i in $(seq "$N"); do
  cat >"$DIR/node$i.toml" <<TOML
node_id = $((10 + i))
cluster = "demo"
default_tenant = "sys"
listen = "127.0.0.1:$((2900 + i))"
grpc_listen = "127.0.0.1:$((2950 + i))"
fleet_file = "$DIR/fleet.toml"

[[tenant]]
name = "sys"
backends = [ { name = "primary", address = "$BACKEND" } ]

[[user]]
tenant = "sys"
name = "demo"
password = "demo_pw"
admin = true
TOML
  setsid "$PROXYD" --config "$DIR/node$i.toml" </dev/null >"$DIR/node$i.log" 2>&1 &
  echo $! >"$DIR/node$i.pid"
done
for i in $(seq "$N"); do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$((2900 + i))") 2>/dev/null && break; sleep 0.1; done
done
echo "fleet of $N nodes up; fleet file: $DIR/fleet.toml"
echo "  mariadb -h 127.0.0.1 -P 2901 -u demo -pdemo_pw"
echo "  build/obpctl --fleet $DIR/fleet.toml nodes"
