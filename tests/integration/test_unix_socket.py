"""SPEC §2 "TLS, sockets, change user": `listen_socket`. Clients on the same host (a sidecar)
reach proxyd through a Unix socket; their Host is `localhost`; they are sessions like any
other (kills, limits, threads); the socket file is managed (stale file replaced, removed at
stop, a path that is not a socket refused)."""

import os
import socket
import subprocess
import tempfile

import pymysql
import pytest

from background import Background
from conftest import PASSWORDS, default_users, query, sandbox


@pytest.fixture(scope="module")
def sock_dir():
    d = tempfile.mkdtemp(prefix="obp-sock-")
    yield d
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)


@pytest.fixture(scope="module")
def local_proxy(proxy_factory, sock_dir):
    path = os.path.join(sock_dir, "proxyd.sock")
    p = proxy_factory.start(extra={"listen_socket": path, "threads": 2})
    p.socket_path = path
    return p


def uconnect(proxy, user="app", **kw):
    kw.setdefault("autocommit", True)
    return pymysql.connect(unix_socket=proxy.socket_path, user=user, password=PASSWORDS[user],
                           connect_timeout=10, read_timeout=60, **kw)


def row_of(conn, cs_id: int) -> dict:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW PROXYSESSION")
        return next(r for r in cur.fetchall() if int(r["Id"]) == cs_id)


def test_mariadb_cli_over_the_socket_is_a_localhost_session(local_proxy):
    r = subprocess.run([sandbox.MARIADB_CLI, "--no-defaults", "--protocol=socket",
                        f"--socket={local_proxy.socket_path}", "-uapp", f"-p{PASSWORDS['app']}",
                        "-N", "-e", "SHOW PROXYSESSION; SELECT 40 + 2"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    rows = [ln.split("\t") for ln in r.stdout.splitlines()]
    assert rows[-1] == ["42"]
    # Its own SHOW PROXYSESSION row (the only session of app): Host is localhost.
    assert rows[0][5] == "localhost", rows


def test_pymysql_over_the_socket_and_how_it_is_shown(local_proxy):
    with uconnect(local_proxy, database="testdb") as c, uconnect(local_proxy, "admin") as admin:
        assert query(c, "SELECT DATABASE()") == (("testdb",),)
        assert row_of(admin, c.thread_id())["Host"] == "localhost"
        attrs = {name: value for name, value, info in
                 query(admin, f"SHOW PROXYSESSION ATTRIBUTE {c.thread_id()}")
                 if info == "cs common"}
        assert attrs["host_ip"] == "localhost" and attrs["host_port"] == "0"
        res = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node",
                              f"127.0.0.1:{local_proxy.grpc_port}", "sessions", "show",
                              "--cs-id", str(c.thread_id())], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr
        assert any(ln.split() == ["host", "localhost"] for ln in res.stdout.splitlines()), \
            res.stdout


def test_socket_sessions_are_spread_over_the_io_threads(local_proxy):
    conns = [uconnect(local_proxy) for _ in range(4)]
    try:
        with uconnect(local_proxy, "admin") as admin:
            tids = {row_of(admin, c.thread_id())["tid"] for c in conns}
        assert len(tids) == 2, tids  # threads = 2, handed out in turn
        for c in conns:
            assert query(c, "SELECT 1") == ((1,),)
    finally:
        for c in conns:
            c.close()


def test_kill_of_a_socket_session_from_a_tcp_admin(local_proxy):
    victim = uconnect(local_proxy)
    running = Background(victim, "SELECT SLEEP(30)")
    try:
        admin = sandbox.connect(local_proxy.port, "admin", PASSWORDS["admin"], autocommit=True)
        with admin:
            assert sandbox.wait_until(lambda: row_of(admin, victim.thread_id())["state"]
                                      == "MCS_ACTIVE_READER", 10)
            query(admin, f"KILL PROXYSESSION {victim.thread_id()}")
        assert running.join(10), "the socket client was not released by the kill"
        assert running.error is not None
    finally:
        running.join(35)
        victim.close()


def _node(backends, path):
    return sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"),
                          {"sys": [("primary", backends["primary"])]}, default_users()[:1],
                          extra={"listen_socket": path})


def test_a_stale_socket_file_is_replaced_and_the_file_removed_at_stop(backends, sock_dir):
    path = os.path.join(sock_dir, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # a file left by a process that died without removing it
    s.close()
    assert os.path.exists(path)
    p = _node(backends, path)
    try:
        p.start()
        c = pymysql.connect(unix_socket=path, user="app", password=PASSWORDS["app"],
                            connect_timeout=10)
        c.close()
        assert p.stop() == 0
        assert not os.path.exists(path)
    finally:
        p.cleanup()


@pytest.mark.parametrize("kind", ["regular_file", "live_socket"])
def test_a_path_in_use_stops_proxyd_with_the_reason(backends, sock_dir, kind):
    path = os.path.join(sock_dir, f"{kind}.sock")
    holder = None
    if kind == "regular_file":
        open(path, "w").close()
        want = f"listen_socket {path}: exists and is not a socket"
    else:
        holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        holder.bind(path)
        holder.listen(1)
        want = f"listen_socket {path}: another process is listening on it"
    p = _node(backends, path)
    try:
        p.start(wait=False)
        rc = p.proc.wait(timeout=30)
        assert rc not in (0, None), p.log()
        assert want in p.log(), p.log()
        assert os.path.exists(path)  # not someone else's file to remove
    finally:
        p.cleanup()
        if holder is not None:
            holder.close()
        os.unlink(path)
