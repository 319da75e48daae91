#!/usr/bin/env bash
# The private MariaDB of the local demo (./run.sh) and the local fleet (deploy/local/fleet.sh):
# a datadir under .sandbox/mariadb, listening on 127.0.0.1 only, with user demo / demo_pw
# (all privileges) and a database demo.
#   scripts/mariadb-sandbox.sh start     reuse it if it runs, else start it; says which
#   scripts/mariadb-sandbox.sh stop      stop it (if it runs)
#   scripts/mariadb-sandbox.sh address   print 127.0.0.1:PORT of the running one, else exit 1
# The port is OBP_SANDBOX_DB_PORT (default 3306) when free, else any free port.
# OBP_SANDBOX_DIR moves the whole sandbox (default: .sandbox in the repository).
# Sourced (as run.sh and fleet.sh do) it defines the functions below and runs nothing.

SANDBOX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SB=${OBP_SANDBOX_DIR:-$SANDBOX_ROOT/.sandbox}
DB_DIR=$SB/mariadb

sandbox_log() { echo "mariadb-sandbox: $*" >&2; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for WHAT SECONDS CMD...
  local what=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  echo "$what not ready after ${secs}s" >&2; return 1
}

# stop_pid NAME PIDFILE EXE: SIGTERM the process if it is still ours, wait up to 20 s, then SIGKILL.
stop_pid() {
  local name=$1 pidfile=$2 exe=$3 pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q "$exe" "/proc/$pid/cmdline" 2>/dev/null; then
    echo "${0##*/}: stopping $name (pid $pid)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

sandbox_sql() { mariadb --no-defaults -uroot --socket="$DB_DIR/sock" -N -B -e "$1"; }

# Prints 127.0.0.1:PORT if the sandbox's mariadbd runs (its pid file names a live mariadbd)
# and answers on its socket; else returns 1.
sandbox_address() {
  local pid port
  pid=$(cat "$DB_DIR/mariadbd.pid" 2>/dev/null) || return 1
  [[ -n $pid ]] && grep -q mariadbd "/proc/$pid/cmdline" 2>/dev/null || return 1
  port=$(sandbox_sql "SELECT @@port" 2>/dev/null) || return 1
  [[ $port =~ ^[0-9]+$ ]] || return 1
  echo "127.0.0.1:$port"
}

sandbox_demo_user() {
  sandbox_sql "DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;
    CREATE OR REPLACE USER 'demo'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('demo_pw');
    GRANT ALL PRIVILEGES ON *.* TO 'demo'@'%';
    CREATE DATABASE IF NOT EXISTS demo;"
}

# Reuses the running sandbox or starts it; prints its address on stdout, what it did on stderr.
sandbox_start() {
  local addr port user_arg=()
  if addr=$(sandbox_address); then
    sandbox_demo_user || return 1
    sandbox_log "reusing the running MariaDB sandbox at $addr ($DB_DIR)"
    echo "$addr"
    return 0
  fi
  stop_pid mariadbd "$DB_DIR/mariadbd.pid" mariadbd
  mkdir -p "$DB_DIR"
  [[ $(id -u) -eq 0 ]] && user_arg=(--user=root)
  if [[ ! -d $DB_DIR/data/mysql ]]; then
    sandbox_log "initialising the MariaDB datadir in $DB_DIR/data"
    mariadb-install-db --no-defaults "${user_arg[@]}" --datadir="$DB_DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$DB_DIR/install.log" 2>&1 \
      || { tail -n 20 "$DB_DIR/install.log" >&2; return 1; }
  fi
  port=${OBP_SANDBOX_DB_PORT:-3306}
  if port_busy "$port"; then port=$(free_port); fi
  setsid mariadbd --no-defaults "${user_arg[@]}" --datadir="$DB_DIR/data" --port="$port" \
    --bind-address=127.0.0.1 --socket="$DB_DIR/sock" --pid-file="$DB_DIR/mariadbd.pid" \
    --log-error="$DB_DIR/error.log" --max-allowed-packet=64M --skip-log-bin --skip-name-resolve \
    </dev/null >/dev/null 2>&1 &
  if ! wait_for MariaDB 30 sandbox_address >/dev/null; then
    tail -n 20 "$DB_DIR/error.log" >&2
    return 1
  fi
  sandbox_demo_user || return 1
  sandbox_log "started a MariaDB sandbox at 127.0.0.1:$port ($DB_DIR)"
  echo "127.0.0.1:$port"
}

sandbox_stop() { stop_pid mariadbd "$DB_DIR/mariadbd.pid" mariadbd; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    start) sandbox_start ;;
    stop) sandbox_stop ;;
    address) sandbox_address ;;
    *) echo "usage: $0 start | stop | address" >&2; exit 2 ;;
  esac
fi
