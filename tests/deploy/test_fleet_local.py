"""deploy/local/fleet.sh on its own, as a new user runs it: with no MariaDB where it looks
(a fresh sandbox dir, nothing on the sandbox's default port) `start 2` starts the sandbox
MariaDB and says so, a query through a node reaches it, and `stop` stops the nodes and that
MariaDB. With the sandbox already running, `start` reuses it, says so, and `stop` leaves it.
Everything lives in a temp dir, on ports chosen free at run time.
"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

import sandbox
from conftest import ROOT, cleanup, fleet_env

FLEET_SH = os.path.join(ROOT, "deploy", "local", "fleet.sh")
SANDBOX_SH = os.path.join(ROOT, "scripts", "mariadb-sandbox.sh")


def run(env, script, *args, timeout=120):
    return subprocess.run(["bash", script, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def env():
    tmp = tempfile.mkdtemp(prefix="obp-fleet-local-")
    e = fleet_env(tmp, 2)
    try:
        yield e
    finally:
        reports = cleanup(e)
        shutil.rmtree(tmp, ignore_errors=True)
        assert not reports, reports[0]


def query_node(env, i, sql):
    conn = sandbox.connect(int(env["FLEET_SQL_BASE"]) + i, "demo", "demo_pw", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def db_port(stderr):
    m = re.search(r"MariaDB sandbox at 127\.0\.0\.1:(\d+)", stderr)
    assert m, stderr
    return int(m.group(1))


def test_start_starts_a_sandbox_and_stop_stops_it(env):
    assert not sandbox.port_open(int(env["OBP_SANDBOX_DB_PORT"]))
    r = run(env, FLEET_SH, "start", 2)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "started a MariaDB sandbox" in r.stderr, r.stderr
    port = db_port(r.stderr)
    assert port == int(env["OBP_SANDBOX_DB_PORT"])
    assert f"fleet of 2 nodes up (backend 127.0.0.1:{port})" in r.stdout
    # Through node 12 to the sandbox: the backend's own port, seen from the backend.
    assert query_node(env, 2, "SELECT @@port") == ((port,),)
    r = run(env, FLEET_SH, "sql", 1, "-N", "-e", "SELECT 40 + 2")
    assert r.returncode == 0 and r.stdout.strip() == "42", (r.stdout, r.stderr)

    r = run(env, FLEET_SH, "stop")
    assert r.returncode == 0, r.stderr
    assert "stopped the MariaDB sandbox it had started" in r.stdout
    assert sandbox.wait_until(lambda: not sandbox.port_open(port), 10)
    assert not sandbox.port_open(int(env["FLEET_SQL_BASE"]) + 1)


def test_start_reuses_a_running_sandbox(env):
    r = run(env, SANDBOX_SH, "start")
    assert r.returncode == 0, r.stderr
    port = int(r.stdout.strip().rsplit(":", 1)[1])

    r = run(env, FLEET_SH, "start", 2)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "reusing the running MariaDB sandbox" in r.stderr, r.stderr
    assert db_port(r.stderr) == port
    assert query_node(env, 1, "SELECT @@port") == ((port,),)

    r = run(env, FLEET_SH, "stop")
    assert r.returncode == 0, r.stderr
    assert "MariaDB" not in r.stdout
    assert sandbox.port_open(port), "fleet.sh stopped a MariaDB it had not started"
    r = run(env, SANDBOX_SH, "address")
    assert r.returncode == 0 and r.stdout.strip() == f"127.0.0.1:{port}"


def test_a_given_backend_is_used_as_is(env):
    env = dict(env, FLEET_BACKEND="127.0.0.1:1")  # nothing listens there: the nodes still start
    r = run(env, FLEET_SH, "start", 1)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "backend 127.0.0.1:1 (FLEET_BACKEND)" in r.stderr
    assert "MariaDB sandbox" not in r.stderr
    assert not os.path.exists(os.path.join(env["OBP_SANDBOX_DIR"], "mariadb"))
