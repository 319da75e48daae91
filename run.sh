#!/usr/bin/env bash
# Starts a local demo: one private MariaDB (in .sandbox/) and one proxyd on 127.0.0.1:2883.
#   ./run.sh        install deps, build, (re)start both, print how to connect
#   ./run.sh stop   stop both
# Running it twice restarts cleanly; the MariaDB datadir is kept between runs.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
SB=$ROOT/.sandbox
DB_DIR=$SB/mariadb
PROXY_PORT=2883
GRPC_PORT=2884

log() { echo "run.sh: $*"; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# stop_pid NAME PIDFILE EXE: SIGTERM the process if it is still ours, wait up to 20 s, then SIGKILL.
stop_pid() {
  local name=$1 pidfile=$2 exe=$3 pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q "$exe" "/proc/$pid/cmdline" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_all() {
  stop_pid proxyd "$SB/proxyd.pid" proxyd
  stop_pid mariadbd "$DB_DIR/mariadbd.pid" mariadbd
}

wait_for() {  # wait_for WHAT SECONDS CMD...
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  log "$what not ready after ${secs}s"; return 1
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
mkdir -p "$SB" "$DB_DIR"

# --- MariaDB ------------------------------------------------------------------
USER_ARG=()
[[ $(id -u) -eq 0 ]] && USER_ARG=(--user=root)
if [[ ! -d $DB_DIR/data/mysql ]]; then
  log "initialising MariaDB datadir"
  mariadb-install-db --no-defaults "${USER_ARG[@]}" --datadir="$DB_DIR/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$DB_DIR/install.log" 2>&1
fi
DB_PORT=3306
if port_busy $DB_PORT; then DB_PORT=$(free_port); fi
log "starting MariaDB on 127.0.0.1:$DB_PORT"
setsid mariadbd --no-defaults "${USER_ARG[@]}" --datadir="$DB_DIR/data" --port="$DB_PORT" \
  --bind-address=127.0.0.1 --socket="$DB_DIR/sock" --pid-file="$DB_DIR/mariadbd.pid" \
  --log-error="$DB_DIR/error.log" --max-allowed-packet=64M --skip-log-bin --skip-name-resolve \
  </dev/null >/dev/null 2>&1 &
root_sql() { mariadb --no-defaults -uroot --socket="$DB_DIR/sock" -e "$1"; }
wait_for MariaDB 30 root_sql "SELECT 1" >/dev/null 2>&1 || { tail -n 20 "$DB_DIR/error.log"; exit 1; }
root_sql "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;
  CREATE OR REPLACE USER 'demo'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('demo_pw');
  GRANT ALL PRIVILEGES ON *.* TO 'demo'@'%';
  CREATE DATABASE IF NOT EXISTS demo;"

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
