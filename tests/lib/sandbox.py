"""Real processes for tests and benchmarks: private MariaDB servers and proxyd nodes.

Everything listens on 127.0.0.1 on ports picked free at run time, lives in its own
temp dir, and every wait is bounded, so several test files can run at once. Objects
are not thread-safe: one test (or fixture) owns each object.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from typing import Iterable

import pymysql
import pymysql.converters
import pymysql.cursors

READY_TIMEOUT_S = 30.0
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer")
# Used when the environment has no TSAN_OPTIONS (test.sh sets its own): keep running
# after a report (assert_sanitizer_clean fails the test at teardown), and skip what
# tests/tsan.supp names in uninstrumented third-party libraries.
_TSAN_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tsan.supp")
TSAN_OPTIONS = f"halt_on_error=0:second_deadlock_stack=1:suppressions={os.path.normpath(_TSAN_SUPP)}"

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
MARIADB_CLI = shutil.which("mariadb") or "/usr/bin/mariadb"

# Small InnoDB files keep the datadir template (and each copy of it) cheap.
_INNODB_ARGS = ("--innodb-log-file-size=8M", "--innodb-buffer-pool-size=64M")


_PORTS_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now, and that this process
    has not handed out before: a port is only probed here, not held, so two picks in a
    row (a node's SQL and gRPC ports) could otherwise get the same one from the kernel,
    and the node then refuses its config ("same address as listen")."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port
    raise RuntimeError("no TCP port on 127.0.0.1 that this test has not used yet")


def wait_until(pred, timeout: float = 5.0, step: float = 0.05):
    """Polls pred until it returns something true or `timeout` seconds pass; returns its
    last value, so `assert wait_until(...)` fails with what was seen last."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """True if something accepts TCP on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def env_path(var: str) -> str:
    """The binary named by an env var (set by ctest); fails loudly when missing."""
    path = os.environ.get(var, "")
    if not path or not os.path.exists(path):
        raise RuntimeError(f"{var} is not set to an existing file (got {path!r}); "
                           "run through ctest or export it")
    return path


def tool_path(name: str) -> str:
    """A tests/tools binary from $OBP_TOOLS_DIR."""
    d = os.environ.get("OBP_TOOLS_DIR", "")
    path = os.path.join(d, name)
    if not d or not os.path.exists(path):
        raise RuntimeError(f"{name} not found in OBP_TOOLS_DIR={d!r}")
    return path


def _user_args() -> list[str]:
    # mariadbd refuses to run as root unless told to.
    return ["--user=root"] if os.geteuid() == 0 else []


def _kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _mariadb_version() -> str:
    out = subprocess.run([MARIADBD, "--version"], capture_output=True, text=True, timeout=30)
    return hashlib.sha1(out.stdout.encode()).hexdigest()[:12]


def _template_datadir() -> str:
    """A pristine datadir made once per machine/version, shared under a file lock."""
    root = os.path.join(tempfile.gettempdir(), f"obp-mariadb-tpl-{os.geteuid()}-{_mariadb_version()}")
    ready = os.path.join(root, "READY")
    if os.path.exists(ready):
        return os.path.join(root, "data")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(ready):
            data = os.path.join(root, "data")
            shutil.rmtree(data, ignore_errors=True)
            res = subprocess.run(
                [INSTALL_DB, "--no-defaults", *_user_args(), f"--datadir={data}",
                 "--auth-root-authentication-method=socket", "--skip-test-db",
                 *_INNODB_ARGS],
                capture_output=True, text=True, timeout=120)
            if res.returncode != 0:
                raise RuntimeError(f"mariadb-install-db failed:\n{res.stdout}\n{res.stderr}")
            open(ready, "w").close()
    return os.path.join(root, "data")


class MariaDB:
    """A private mariadbd on 127.0.0.1 with its own temp datadir; root logs in via the socket."""

    def __init__(self, name: str = "db", port: int | None = None, extra_args: Iterable[str] = ()):
        self.name = name
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix=f"obp-{name}-")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "sock")
        self.log_path = os.path.join(self.dir, "error.log")
        self.proc: subprocess.Popen | None = None
        _servers.add(self)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "MariaDB":
        if not os.path.exists(self.datadir):
            shutil.copytree(_template_datadir(), self.datadir, symlinks=True)
        cmd = [MARIADBD, "--no-defaults", *_user_args(), f"--datadir={self.datadir}",
               f"--port={self.port}", "--bind-address=127.0.0.1", f"--socket={self.socket}",
               f"--pid-file={os.path.join(self.dir, 'mariadbd.pid')}",
               f"--log-error={self.log_path}", "--max-allowed-packet=64M", "--skip-log-bin",
               "--skip-name-resolve", "--max-connections=1000",
               "--innodb-flush-log-at-trx-commit=2", *_INNODB_ARGS, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()
        self.sql("DELETE FROM mysql.global_priv WHERE User=''")
        self.sql("FLUSH PRIVILEGES")
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd {self.name} exited {self.proc.returncode}:\n"
                                   f"{self.error_log()[-4000:]}")
            if os.path.exists(self.socket) and port_open(self.port):
                with contextlib.suppress(pymysql.err.MySQLError):
                    self.sql("SELECT 1")
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mariadbd {self.name} not ready in {READY_TIMEOUT_S}s:\n"
                           f"{self.error_log()[-4000:]}")

    def error_log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self, remove: bool = True) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 20 s); removes its dir unless told not to."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait(timeout=10)
        self.proc = None
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        """Kills the server hard (a crash, as seen by its clients); keeps the datadir."""
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.proc)
            self.proc.wait(timeout=10)

    def root(self, database: str | None = None, **kw) -> pymysql.Connection:
        """A root connection over the unix socket."""
        return pymysql.connect(unix_socket=self.socket, user="root", database=database,
                               connect_timeout=5, read_timeout=60, autocommit=True, **kw)

    def sql(self, stmt: str, database: str | None = None) -> list[tuple]:
        """Runs one statement as root; returns its rows (empty for none)."""
        conn = self.root(database)
        try:
            with conn.cursor() as cur:
                cur.execute(stmt)
                return list(cur.fetchall() or [])
        finally:
            conn.close()

    def create_user(self, name: str, password: str, grants: str = "ALL PRIVILEGES ON *.*") -> None:
        pw = pymysql.converters.escape_string(password)
        self.sql(f"CREATE OR REPLACE USER '{name}'@'%' "
                 f"IDENTIFIED VIA mysql_native_password USING PASSWORD('{pw}')")
        self.sql(f"GRANT {grants} TO '{name}'@'%'")

    def processlist(self) -> list[dict]:
        conn = self.root(cursorclass=pymysql.cursors.DictCursor)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM information_schema.PROCESSLIST")
                return list(cur.fetchall())
        finally:
            conn.close()


_servers: "weakref.WeakSet[MariaDB]" = weakref.WeakSet()


def servers_report(lines: int = 30) -> str:
    """For a failed test's report: each MariaDB still started, whether it is alive, and
    the end of its error log (a backend crash or a killed thread shows there, not in the
    client's 'Lost connection')."""
    out = []
    for db in sorted(_servers, key=lambda d: d.name):
        if db.proc is None:
            continue
        rc = db.proc.poll()
        state = "running" if rc is None else f"EXITED with {rc}"
        log = db.error_log().splitlines()
        crash = [i for i, l in enumerate(log) if "got signal" in l]
        # A crash report is longer than a tail: from its first line, with its stack.
        tail = log[crash[-1] - 2:crash[-1] + 60] if crash else log[-lines:]
        out.append(f"--- MariaDB {db.name} ({db.address}, pid {db.proc.pid}): {state}")
        out.extend(tail)
    return "\n".join(out)


def password_hash(password: str) -> str:
    """The `*HEX` value MariaDB stores for mysql_native_password: '*' + SHA1(SHA1(pw))."""
    inner = hashlib.sha1(password.encode()).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {v!r}")


def _backend_entry(b) -> dict:
    """A backend given as {'name','address'}, (name, address) or (name, MariaDB)."""
    if isinstance(b, dict):
        return b
    name, where = b
    return {"name": name, "address": where.address if isinstance(where, MariaDB) else where}


DRAIN_TIMEOUT_S = 3  # tests that drain set their own


class Proxyd:
    """One proxyd node with a generated TOML config in its own temp dir.

    tenants: {"sys": [("primary", db1), ("replica1", "127.0.0.1:3307")], ...}
    users:   [{"name": "app", "password": "pw", "tenant": "sys", "admin": False}, ...]
    extra:   more top-level keys (log_level, threads, audit_log, ...); dict values become tables.
    """

    def __init__(self, binary: str, tenants: dict, users: list, node_id: int = 1,
                 cluster: str = "test", default_tenant: str = "sys", extra: dict | None = None,
                 fleet_file: str | None = None, port: int | None = None,
                 grpc_port: int | None = None):
        self.binary = binary
        self.node_id = node_id
        self.cluster = cluster
        self.port = port or free_port()
        self.grpc_port = grpc_port or free_port()
        self.dir = tempfile.mkdtemp(prefix=f"obp-proxyd{node_id}-")
        self.config_path = os.path.join(self.dir, "proxyd.toml")
        self.log_path = os.path.join(self.dir, "proxyd.log")
        self.proc: subprocess.Popen | None = None
        self._write_config(tenants, users, default_tenant, extra or {}, fleet_file)

    def _write_config(self, tenants, users, default_tenant, extra, fleet_file) -> None:
        top = {"node_id": self.node_id, "cluster": self.cluster, "default_tenant": default_tenant,
               "listen": f"127.0.0.1:{self.port}", "grpc_listen": f"127.0.0.1:{self.grpc_port}",
               # stop() sends SIGTERM, which drains (SPEC §8): a test's session left in a
               # transaction holds the stop this long, not the default 30 s.
               "drain_timeout_s": DRAIN_TIMEOUT_S}
        if fleet_file:
            top["fleet_file"] = fleet_file
        tables = {}
        for k, v in extra.items():
            (tables if isinstance(v, dict) else top)[k] = v
        # Where gRPC really listens (a fleet gives each node its own 127.0.0.N address).
        host, _, port = str(top["grpc_listen"]).rpartition(":")
        self._grpc_ready_at = (host.strip("[]") or "127.0.0.1", int(port))
        lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
        for name, body in tables.items():
            lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in body.items()]
        for name, backends in tenants.items():
            lines += ["", "[[tenant]]", f"name = {_toml_value(name)}",
                      f"backends = {_toml_value([_backend_entry(b) for b in backends])}"]
        for u in users:
            lines += ["", "[[user]]"] + [f"{k} = {_toml_value(v)}" for k, v in u.items()]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, wait: bool = True, args: Iterable[str] = ()) -> "Proxyd":
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:print_stacktrace=1:alloc_dealloc_mismatch=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        env.setdefault("TSAN_OPTIONS", TSAN_OPTIONS)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([self.binary, "--config", self.config_path, *args],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, env=env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"proxyd exited {self.proc.returncode} before listening:\n"
                                   f"{self.log()[-4000:]}")
            # Both ports: proxyd binds the SQL port before it starts the gRPC server,
            # so under TSan a test once called gRPC while it still refused connections.
            if port_open(self.port) and port_open(self._grpc_ready_at[1],
                                                  self._grpc_ready_at[0]):
                return
            time.sleep(0.05)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"proxyd not listening on {self.port} within {timeout}s:\n"
                           f"{self.log()[-4000:]}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 10) -> int | None:
        """Signals proxyd and waits; kills its process group if it does not exit in time.

        Returns the exit code (negative = killed by that signal), None if never started.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def cleanup(self) -> None:
        """Stops if running, then removes the temp dir."""
        self.stop(signal.SIGKILL, timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def sanitizer_report(self) -> str:
        """The first sanitizer report in the log, whole (up to 30,000 characters: both
        stacks of a race are what tells it), or "" if there is none."""
        text = self.log()
        starts = [text.find(m) for m in SANITIZER_MARKERS if m in text]
        if not starts:
            return ""
        # From the start of the line that holds the first marker (TSan's "WARNING:" line).
        start = text.rfind("\n", 0, min(starts)) + 1
        return text[start:start + 30000]

    def assert_sanitizer_clean(self) -> None:
        report = self.sanitizer_report()
        assert not report, f"sanitizer report in {self.log_path}:\n{report}"


def connect(port: int, user: str, password: str, database: str | None = None,
            **kw) -> pymysql.Connection:
    """A pymysql connection to 127.0.0.1:port with bounded timeouts."""
    kw.setdefault("connect_timeout", 10)
    kw.setdefault("read_timeout", 60)
    kw.setdefault("write_timeout", 60)
    return pymysql.connect(host="127.0.0.1", port=port, user=user, password=password,
                           database=database, **kw)


def mariadb_cli(port: int, user: str, password: str, sql: str, *args: str,
                timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the `mariadb` CLI against 127.0.0.1:port; extra args go before -e."""
    cmd = [MARIADB_CLI, "--no-defaults", "--protocol=tcp", "-h127.0.0.1", f"-P{port}",
           f"-u{user}", f"-p{password}", *args, "-e", sql]
    return subprocess.run(cmd, capture_output=True, text=True, errors="surrogateescape",
                          timeout=timeout,
                          stdin=subprocess.DEVNULL)
