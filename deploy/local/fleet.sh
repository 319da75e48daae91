#!/usr/bin/env bash
# A local fleet on loopback for trying obpctl and cross-node KILL.
#   deploy/local/fleet.sh start [N]     start N proxyd nodes (default 3, at most 40), ids 11..,
#                                       one shared fleet file; waits until obpctl sees them all
#   deploy/local/fleet.sh status        obpctl nodes + sessions list over the fleet
#   deploy/local/fleet.sh ctl ARGS...   obpctl --fleet <the fleet file> ARGS...
#                                       (e.g. ctl sessions list --user demo, ctl kill --cs-id N)
#   deploy/local/fleet.sh sql I [ARGS...]  the mariadb client on node I (1..N) as the admin user
#                                       (e.g. sql 1 -e 'SHOW PROXYSESSION')
#   deploy/local/fleet.sh stop          stop the nodes, and the MariaDB sandbox if start started it
# Node i listens on 127.0.0.1:(SQL_BASE+i) for SQL and 127.0.0.1:(GRPC_BASE+i) for gRPC.
# The backend is FLEET_BACKEND if set, else the MariaDB sandbox of ./run.sh
# (scripts/mariadb-sandbox.sh): reused if it runs, else started; start says which.
#
# Environment (all optional):
#   PROXYD_BIN, OBPCTL_BIN   binaries (default build/proxyd/proxyd, build/obpctl/obpctl, else
#                            the newest build*/ one, else the one on the PATH)
#   FLEET_DIR                state dir: configs, fleet.toml, logs, pids (default .sandbox/fleet)
#   FLEET_SQL_BASE           default 2900;  FLEET_GRPC_BASE  default 2950
#   FLEET_BACKEND            HOST:PORT of a running MariaDB (default: the sandbox, see above)
#   OBP_SANDBOX_DIR, OBP_SANDBOX_DB_PORT   where the sandbox lives and the port it tries
#                            first (default .sandbox and 3306; scripts/mariadb-sandbox.sh)
#   FLEET_USER, FLEET_PASSWORD   the admin user created in every node's config (demo / demo_pw);
#                            it must exist on the backend with the same password
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${FLEET_DIR:-$ROOT/.sandbox/fleet}
SQL_BASE=${FLEET_SQL_BASE:-2900}
GRPC_BASE=${FLEET_GRPC_BASE:-2950}
USER_NAME=${FLEET_USER:-demo}
USER_PW=${FLEET_PASSWORD:-demo_pw}
FLEET=$DIR/fleet.toml
# Holds the pid of the sandbox mariadbd that `start` started, so `stop` stops only that one.
STARTED_DB=$DIR/mariadb-started.pid

# The MariaDB sandbox (sandbox_start, sandbox_address, sandbox_stop) and port_busy.
source "$ROOT/scripts/mariadb-sandbox.sh"

die() { echo "fleet.sh: $*" >&2; exit 1; }

# find_bin VAR TARGET: $VAR, else build/TARGET/TARGET, else the newest build*/TARGET/TARGET,
# else TARGET on the PATH (installed).
find_bin() {
  local var=$1 target=$2 path
  path=${!var:-}
  if [[ -z $path ]]; then
    path=$ROOT/build/$target/$target
    if [[ ! -x $path ]]; then
      path=$(ls -t "$ROOT"/build*/"$target"/"$target" 2>/dev/null | head -n1 || true)
    fi
    [[ -n $path ]] || path=$(command -v "$target" || true)
  fi
  [[ -n $path && -x $path && ! -d $path ]] || die "no $target binary: build it (ninja -C build $target) or set $var"
  echo "$path"
}

# Stops every node whose pid file we wrote, if that pid is still a proxyd.
stop_nodes() {
  local pidfile pid
  for pidfile in "$DIR"/node*.pid; do
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q proxyd "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

# Stops the nodes, then the sandbox MariaDB if `start` started it and it is still that process.
stop() {
  stop_nodes
  [[ -f $STARTED_DB ]] || return 0
  if [[ $(cat "$STARTED_DB") == "$(cat "$DB_DIR/mariadbd.pid" 2>/dev/null)" ]]; then
    sandbox_stop
    echo "fleet.sh: stopped the MariaDB sandbox it had started"
  fi
  rm -f "$STARTED_DB"
}

# The backend for the nodes: FLEET_BACKEND, else the sandbox (reused, or started and noted).
backend() {
  local addr
  if [[ -n ${FLEET_BACKEND:-} ]]; then
    echo "fleet.sh: backend $FLEET_BACKEND (FLEET_BACKEND)" >&2
    echo "$FLEET_BACKEND"
    return 0
  fi
  if addr=$(sandbox_address); then
    sandbox_start >/dev/null || return 1  # says "reusing ..."
  else
    addr=$(sandbox_start) || return 1     # says "started ..."
    cat "$DB_DIR/mariadbd.pid" >"$STARTED_DB"
  fi
  echo "$addr"
}

ctl() {
  [[ -f $FLEET ]] || die "no fleet file at $FLEET: run '$0 start' first"
  exec "$(find_bin OBPCTL_BIN obpctl)" --fleet "$FLEET" "$@"
}

write_configs() {
  local n=$1 backend=$2 i
  : >"$FLEET"
  for i in $(seq "$n"); do
    cat >>"$FLEET" <<TOML
[[node]]
id = $((10 + i))
grpc = "127.0.0.1:$((GRPC_BASE + i))"
sql = "127.0.0.1:$((SQL_BASE + i))"

TOML
  done
  for i in $(seq "$n"); do
    cat >"$DIR/node$i.toml" <<TOML
node_id = $((10 + i))
cluster = "demo"
default_tenant = "sys"
listen = "127.0.0.1:$((SQL_BASE + i))"
grpc_listen = "127.0.0.1:$((GRPC_BASE + i))"
fleet_file = "$FLEET"
# \`fleet.sh stop\` sends SIGTERM, which drains (README "Drain"), and waits 10 s.
drain_timeout_s = 5

[[tenant]]
name = "sys"
backends = [ { name = "primary", address = "$backend" } ]

[[user]]
tenant = "sys"
name = "$USER_NAME"
password = "$USER_PW"
admin = true
TOML
  done
}

# Waits until every node accepts SQL and obpctl gets an ok answer from all of them (bounded).
wait_fleet() {
  local n=$1 obpctl=$2 i
  for i in $(seq "$n"); do
    for _ in $(seq 150); do port_busy $((SQL_BASE + i)) && break; sleep 0.1; done
    if ! port_busy $((SQL_BASE + i)); then
      echo "fleet.sh: node $((10 + i)) not listening after 15 s; its log:" >&2
      tail -n 20 "$DIR/node$i.log" >&2
      return 1
    fi
  done
  for _ in $(seq 50); do
    "$obpctl" --fleet "$FLEET" --timeout 1s nodes >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  "$obpctl" --fleet "$FLEET" --timeout 1s nodes >&2 || true
  echo "fleet.sh: obpctl does not see every node ok after 10 s" >&2
  return 1
}

start() {
  local n=$1 proxyd obpctl backend i p
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 40)) || die "N must be 1..40, got '$n'"
  proxyd=$(find_bin PROXYD_BIN proxyd)
  obpctl=$(find_bin OBPCTL_BIN obpctl)
  stop_nodes
  for i in $(seq "$n"); do
    for p in $((SQL_BASE + i)) $((GRPC_BASE + i)); do
      if port_busy "$p"; then
        die "port $p is taken by another program; set FLEET_SQL_BASE / FLEET_GRPC_BASE"
      fi
    done
  done
  mkdir -p "$DIR"
  backend=$(backend) || die "no MariaDB for the nodes (see the lines above)"
  write_configs "$n" "$backend"
  for i in $(seq "$n"); do
    setsid "$proxyd" --config "$DIR/node$i.toml" </dev/null >"$DIR/node$i.log" 2>&1 &
    echo $! >"$DIR/node$i.pid"
  done
  if ! wait_fleet "$n" "$obpctl"; then
    stop
    exit 1
  fi
  "$obpctl" --fleet "$FLEET" nodes
  cat <<MSG

fleet of $n nodes up (backend $backend); fleet file: $FLEET
  mariadb -h 127.0.0.1 -P $((SQL_BASE + 1)) -u $USER_NAME -p$USER_PW     # node 11; or: $0 sql 1
  $0 ctl sessions list                      # or: OBPCTL_FLEET=$FLEET $obpctl sessions list
  $0 ctl kill --cs-id N                     # KILL N typed on any node works too
  $0 stop
MSG
}

case ${1:-} in
  start) start "${2:-3}" ;;
  stop) stop; echo "fleet stopped" ;;
  status)
    obpctl=$(find_bin OBPCTL_BIN obpctl)
    [[ -f $FLEET ]] || die "no fleet file at $FLEET: run '$0 start' first"
    rc=0
    "$obpctl" --fleet "$FLEET" --timeout 1s nodes || rc=$?
    echo
    "$obpctl" --fleet "$FLEET" --timeout 1s sessions list || rc=$?
    exit $rc
    ;;
  ctl) shift; ctl "$@" ;;
  sql)
    [[ ${2:-} =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= 40)) || die "usage: $0 sql I [MARIADB-ARGS...] (I = 1..N)"
    i=$2; shift 2
    exec mariadb --no-defaults -h 127.0.0.1 -P $((SQL_BASE + i)) -u "$USER_NAME" -p"$USER_PW" "$@"
    ;;
  *) echo "usage: $0 start [N] | status | ctl OBPCTL-ARGS... | sql I [ARGS...] | stop" >&2; exit 2 ;;
esac
