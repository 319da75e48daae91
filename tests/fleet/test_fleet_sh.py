"""deploy/local/fleet.sh really brings up a fleet obpctl can use: start three nodes in a temp
dir on free ports against a private MariaDB, look at them with `fleet.sh status` / `fleet.sh
ctl`, kill across nodes, and stop them all.
"""

import json
import os
import random
import socket
import subprocess
import tempfile

import pymysql
import pytest

import sandbox
from conftest import parse_table, wait_until

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "local", "fleet.sh")
N = 3


def _bases():
    """SQL and gRPC port bases with base+1..base+N free (bounded tries)."""
    for _ in range(50):
        # Below the ephemeral range (32768..), so no client socket takes one meanwhile.
        sql, grpc = random.randrange(20000, 25000), random.randrange(25000, 30000)
        ports = [b + i for b in (sql, grpc) for i in range(1, N + 1)]
        if not any(sandbox.port_open(p) for p in ports):
            return sql, grpc
    raise RuntimeError("no free port ranges")


@pytest.fixture(scope="module")
def script_env():
    db = sandbox.MariaDB("fleetsh")
    tmp = tempfile.mkdtemp(prefix="obp-fleetsh-")
    sql, grpc = _bases()
    env = dict(os.environ, FLEET_DIR=tmp, FLEET_SQL_BASE=str(sql), FLEET_GRPC_BASE=str(grpc),
               PROXYD_BIN=sandbox.env_path("PROXYD_BIN"),
               OBPCTL_BIN=sandbox.env_path("OBPCTL_BIN"))
    try:
        db.start()
        db.create_user("demo", "demo_pw")
        env["FLEET_BACKEND"] = db.address
        yield env
    finally:
        subprocess.run(["bash", SCRIPT, "stop"], env=env, capture_output=True, timeout=60)
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name), errors="replace") as f:
                    text = f.read()
                assert not any(m in text for m in sandbox.SANITIZER_MARKERS), text[-4000:]
        subprocess.run(["rm", "-rf", tmp], timeout=30)
        db.stop()


def run(env, *args, timeout=90):
    return subprocess.run(["bash", SCRIPT, *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def gone(pid):
    """The process has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def demo(env, i):
    return sandbox.connect(int(env["FLEET_SQL_BASE"]) + i, "demo", "demo_pw", autocommit=True)


def test_start_status_ctl_kill_stop(script_env):
    env = script_env
    r = run(env, "start", N)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert f"fleet of {N} nodes up" in r.stdout
    rows = parse_table(r.stdout.split("\n\n")[0])
    assert [(x["NODE"], x["STATE"]) for x in rows] == [(str(10 + i), "ok") for i in range(1, N + 1)]

    c1, c3 = demo(env, 1), demo(env, 3)
    r = run(env, "ctl", "sessions", "list", "-o", "json")
    assert r.returncode == 0, r.stderr
    ids = {(s["node_id"], s["cs_id"]) for s in json.loads(r.stdout)["sessions"]}
    assert ids == {(11, c1.thread_id()), (13, c3.thread_id())}

    r = run(env, "status")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert str(c3.thread_id()) in r.stdout

    r = run(env, "ctl", "kill", "--cs-id", c3.thread_id())
    assert r.returncode == 0, (r.stdout, r.stderr)
    with pytest.raises((pymysql.err.OperationalError, pymysql.err.InterfaceError)):
        with c3.cursor() as cur:
            cur.execute("SELECT 1")
    c1.close()

    pids = [int(open(os.path.join(env["FLEET_DIR"], f"node{i}.pid")).read())
            for i in range(1, N + 1)]
    r = run(env, "stop")
    assert r.returncode == 0, r.stderr
    for pid in pids:
        assert wait_until(lambda: gone(pid), 5), pid
    assert not sandbox.port_open(int(env["FLEET_SQL_BASE"]) + 1)


def test_start_refuses_a_taken_port(script_env):
    env = script_env
    busy = int(env["FLEET_GRPC_BASE"]) + 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", busy))
        s.listen()
        r = run(env, "start", N)
    assert r.returncode != 0
    assert f"port {busy} is taken" in r.stderr, r.stderr


def test_usage(script_env):
    r = run(script_env, "bogus")
    assert r.returncode == 2 and "usage:" in r.stderr
