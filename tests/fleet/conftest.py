"""Fleet fixtures: two MariaDB backends, three proxyd nodes (node_id 1, 2, 3) sharing one
fleet file, and a runner for the real obpctl binary (module scope: each test file gets a
fleet of its own, so ctest can run the files in parallel).

Backends "primary" and "replica1" both have users app, alice, bob, admin, carol (password
<name>_pw) and a database testdb. Every node has tenant sys = [primary, replica1]; users
app, alice, bob and admin (admin = true) in sys.

The nodes' gRPC addresses are 127.0.0.1:P, 127.0.0.2:P, 127.0.0.3:P with ONE port P (all of
127.0.0.0/8 reaches loopback on Linux), so a DNS name with three A records names the same
fleet for `obpctl --discover dns:NAME:P`. Objects here are used from the test's thread only.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pymysql
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402
from backend_report import pytest_runtest_makereport  # noqa: E402,F401  (a hook)
from sandbox import wait_until  # noqa: E402,F401  (re-exported to the tests)
from thread_ids import collide, conn_id  # noqa: E402,F401  (re-exported to the tests)

PASSWORDS = {u: f"{u}_pw" for u in ("app", "alice", "bob", "admin", "carol")}
NODE_IDS = (1, 2, 3)
HINT_REPLICA = "/*+ proxyd: backend=replica1 */ "
OBPCTL_TIMEOUT_S = 30  # no obpctl call in these tests may take longer than this
DEAD_ERRORS = (pymysql.err.OperationalError, pymysql.err.InterfaceError)


def users() -> list:
    return [
        {"tenant": "sys", "name": "app", "password": PASSWORDS["app"]},
        {"tenant": "sys", "name": "alice", "password": PASSWORDS["alice"]},
        {"tenant": "sys", "name": "bob", "password": PASSWORDS["bob"]},
        {"tenant": "sys", "name": "admin", "password": PASSWORDS["admin"], "admin": True},
    ]


def _port_free_on(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((ip, port))
            return True
        except OSError:
            return False


def shared_port(ips, attempts: int = 50) -> int:
    """A TCP port free on every one of `ips` right now (bounded tries)."""
    for _ in range(attempts):
        p = sandbox.free_port()
        if all(_port_free_on(ip, p) for ip in ips):
            return p
    raise RuntimeError(f"no port free on all of {ips} after {attempts} tries")


def node_grpc_ip(node_id: int) -> str:
    return f"127.0.0.{node_id}"


class Backends:
    """primary and replica1, each with the test users and a testdb."""

    def __init__(self):
        self.dbs = {}

    def start(self) -> "Backends":
        for name in ("primary", "replica1"):
            db = sandbox.MariaDB(name)
            self.dbs[name] = db
            db.start()
            for user, pw in PASSWORDS.items():
                db.create_user(user, pw)
            db.sql("CREATE DATABASE testdb")
            db.sql("CREATE DATABASE otherdb")
        return self

    def __getitem__(self, name):
        return self.dbs[name]

    def stop(self):
        for db in self.dbs.values():
            db.stop()


class Fleet:
    """Three proxyd nodes with ids NODE_IDS, one fleet file naming all of them.

    nodes[id] is the sandbox.Proxyd of node `id`; grpc[id] its "ip:port". With
    metrics=True each node also serves /metrics on 127.0.0.1:metrics_port[id]. `extra`
    adds config keys to every node (history_size = 3, say).
    """

    def __init__(self, backends: Backends, node_ids=NODE_IDS, metrics: bool = False,
                 extra: dict | None = None):
        self.backends = backends
        self.dir = tempfile.mkdtemp(prefix="obp-fleet-")
        self.fleet_file = os.path.join(self.dir, "fleet.toml")
        self.grpc_port = shared_port([node_grpc_ip(i) for i in node_ids])
        self.grpc = {i: f"{node_grpc_ip(i)}:{self.grpc_port}" for i in node_ids}
        self.nodes = {}
        self.metrics_port = {i: sandbox.free_port() for i in node_ids} if metrics else {}
        self.stopped = set()  # pids SIGSTOPped by a test, resumed at teardown
        tenants = {"sys": [("primary", backends["primary"]), ("replica1", backends["replica1"])]}
        for i in node_ids:
            keys = {**(extra or {}), "grpc_listen": self.grpc[i]}
            if metrics:
                keys["metrics_listen"] = f"127.0.0.1:{self.metrics_port[i]}"
            self.nodes[i] = sandbox.Proxyd(
                sandbox.env_path("PROXYD_BIN"), tenants, users(), node_id=i, cluster="test",
                fleet_file=self.fleet_file, extra=keys)
        with open(self.fleet_file, "w") as f:
            for i, p in self.nodes.items():
                f.write(f'[[node]]\nid = {i}\ngrpc = "{self.grpc[i]}"\n'
                        f'sql = "127.0.0.1:{p.port}"\n\n')

    def start(self) -> "Fleet":
        for p in self.nodes.values():
            p.start()
        for i in self.nodes:
            self.wait_grpc(i)
        return self

    def wait_grpc(self, node_id: int, timeout: float = 30.0) -> None:
        ip, port = self.grpc[node_id].rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sandbox.port_open(int(port), host=ip):
                return
            time.sleep(0.05)
        raise RuntimeError(f"node {node_id}: gRPC {self.grpc[node_id]} not listening in "
                           f"{timeout}s:\n{self.nodes[node_id].log()[-4000:]}")

    def sigstop(self, node_id: int) -> None:
        pid = self.nodes[node_id].pid
        self.stopped.add(pid)
        os.kill(pid, signal.SIGSTOP)

    def sigcont(self, node_id: int) -> None:
        pid = self.nodes[node_id].pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
        self.stopped.discard(pid)

    def close(self) -> None:
        for pid in list(self.stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        errors = []
        for i, p in self.nodes.items():
            rc = p.stop()
            try:
                p.assert_sanitizer_clean()
            except AssertionError as e:
                errors.append(f"node {i}: {e}")
            if rc not in (0, None):
                errors.append(f"node {i}: proxyd exited {rc} on SIGTERM:\n{p.log()[-3000:]}")
            p.cleanup()
        with contextlib.suppress(OSError):
            os.remove(self.fleet_file)
            os.rmdir(self.dir)
        assert not errors, "\n".join(errors)

    # ---- SQL sessions --------------------------------------------------------------------

    def connect(self, node_id: int, user: str = "app", database: str | None = None,
                **kw) -> pymysql.Connection:
        kw.setdefault("autocommit", True)
        return sandbox.connect(self.nodes[node_id].port, user, PASSWORDS[user], database, **kw)


class Opener:
    """Opens pymysql sessions on fleet nodes and closes whatever is left at teardown."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self.conns = []

    def __call__(self, node_id: int, user: str = "app", database: str | None = None, **kw):
        c = self.fleet.connect(node_id, user, database, **kw)
        self.conns.append(c)
        return c

    def close(self):
        for c in self.conns:
            with contextlib.suppress(Exception):
                c.close()
        self.conns.clear()


class Obpctl:
    """Runs the real obpctl against the fleet file; every call bounded in time."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self.binary = sandbox.env_path("OBPCTL_BIN")

    def run(self, *args, fleet_args=None, timeout: float = OBPCTL_TIMEOUT_S,
            wrap=()) -> subprocess.CompletedProcess:
        """`obpctl --fleet F ARGS`; fleet_args replaces `--fleet F` when given."""
        where = ["--fleet", self.fleet.fleet_file] if fleet_args is None else list(fleet_args)
        cmd = [*wrap, self.binary, *where, *map(str, args)]
        env = dict(os.environ)
        env.pop("OBPCTL_FLEET", None)
        env.pop("OBPCTL_TOKEN", None)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)

    def ok(self, *args, **kw) -> str:
        r = self.run(*args, **kw)
        assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r.stdout

    def json(self, *args, **kw):
        return json.loads(self.ok(*args, "-o", "json", **kw))


def parse_table(text: str) -> list[dict]:
    """An obpctl aligned table -> one dict per row keyed by the header's column names.

    Columns are cut at the header's column starts, so empty or spaced cells survive."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [i for i, ch in enumerate(header) if ch != " " and (i == 0 or header[i - 1] == " ")]
    names = header.split()
    assert len(starts) == len(names), header
    rows = []
    for ln in lines[1:]:
        cells = [ln[s:e].strip() for s, e in zip(starts, starts[1:] + [len(ln) + 1])]
        rows.append(dict(zip(names, cells)))
    return rows


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def node_of(cs_id: int) -> int:
    return (cs_id >> 18) & 0x1FFF


def assert_dead(conn):
    """proxyd closed this client connection: the next use fails at the socket."""
    with pytest.raises(DEAD_ERRORS) as info:
        query(conn, "SELECT 1")
    if isinstance(info.value, pymysql.err.OperationalError):
        assert info.value.args[0] in (2006, 2013, 1317), info.value.args


def listed_ids(admin_conn) -> set[int]:
    """cs_ids SHOW PROXYSESSION lists on the node of admin_conn."""
    return {int(r[1]) for r in query(admin_conn, "SHOW PROXYSESSION")}


@pytest.fixture(scope="module")
def backends():
    b = Backends()
    try:
        yield b.start()
    finally:
        b.stop()


@pytest.fixture(scope="module")
def fleet(backends):
    f = Fleet(backends)
    try:
        f.start()
        yield f
    finally:
        f.close()


@pytest.fixture(scope="module")
def obpctl(fleet):
    return Obpctl(fleet)


@pytest.fixture
def opener(fleet):
    o = Opener(fleet)
    yield o
    o.close()
