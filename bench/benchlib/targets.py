"""Starts the things being measured: MariaDB (via tests/lib/sandbox.py),
haproxy in TCP mode, and proxyd; and describes each as a Target.

Thread rule: start/stop from one thread; Target objects are read-only after
creation.
"""
import dataclasses
import glob
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOX_DIR = os.path.join(REPO, "tests", "lib")

BENCH_USER = "bench"
BENCH_PASSWORD = "bench"
BENCH_DB = "sbtest"


def load_sandbox():
    """Imports the shared sandbox module; the harness never keeps its own copy."""
    if SANDBOX_DIR not in sys.path:
        sys.path.insert(0, SANDBOX_DIR)
    import sandbox  # noqa: E402  (path set just above)
    return sandbox


@dataclasses.dataclass
class Target:
    """One endpoint clients connect to. proxy_pid is None for direct MariaDB."""
    name: str
    host: str
    port: int
    proxy_pid: int = None
    grpc_port: int = None  # proxyd's SessionService, for kills through KillSession
    # TLS on the client leg: sysbench runs with --mysql-ssl=on in this directory, which
    # holds the client-key.pem, client-cert.pem and cacert.pem sysbench 1.0 loads.
    ssl_dir: str = None


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def mariadb_pid(db):
    """The mariadbd pid: from the sandbox object if it exposes one, else from
    the server's own pid file."""
    for attr in ("pid",):
        pid = getattr(db, attr, None)
        if isinstance(pid, int):
            return pid
    proc = getattr(db, "proc", None) or getattr(db, "process", None)
    if proc is not None and getattr(proc, "pid", None):
        return proc.pid
    try:
        path = db.sql("SELECT @@pid_file")[0][0]
        with open(path) as f:
            return int(f.read().strip())
    except Exception:  # noqa: BLE001  (a missing pid only loses a column)
        return None


def start_mariadb(sandbox, max_connections, pki=None):
    # thread_cache keeps the connect-rate test from measuring thread creation
    # in MariaDB only on the direct path; it applies to all targets alike.
    # With a PKI, MariaDB also offers TLS (plain clients are not affected).
    # (sysbench 1.0 always shows a client certificate; MariaDB resets the connection
    # unless it has the CA to check it against.)
    tls = (f"--ssl-cert={pki.server_crt}", f"--ssl-key={pki.server_key}",
           f"--ssl-ca={pki.ca}") if pki else ()
    db = sandbox.MariaDB(name="bench-db", extra_args=(*tls,
        f"--max-connections={max_connections}",
        "--thread-cache-size=256",
        "--innodb-buffer-pool-size=256M",
        "--skip-name-resolve",
        "--performance-schema=OFF",
        "--max-connect-errors=1000000000",
    ))
    db.start()
    db.sql(f"CREATE DATABASE IF NOT EXISTS {BENCH_DB}")
    db.create_user(BENCH_USER, BENCH_PASSWORD)
    return db


class HAProxy:
    """haproxy in TCP mode in front of one MariaDB; foreground, so its pid is
    ours to measure and stop."""

    def __init__(self, backend_port, threads=1, maxconn=4000, wrapper=()):
        self.backend_port = backend_port
        self.wrapper = list(wrapper)  # e.g. a valgrind command line for profiling
        self.threads = threads
        # haproxy needs two fds per connection and refuses to start otherwise.
        fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self.maxconn = min(maxconn, (fd_limit - 200) // 2)
        self.port = None
        self.proc = None
        self._dir = None

    def config_text(self):
        return "\n".join([
            "global",
            f"    nbthread {self.threads}",
            f"    maxconn {self.maxconn}",
            "    log stderr format raw local0 err",
            "defaults",
            "    mode tcp",
            "    timeout connect 5s",
            "    timeout client 1h",
            "    timeout server 1h",
            f"    maxconn {self.maxconn}",
            "frontend mysql_in",
            f"    bind 127.0.0.1:{self.port}",
            "    default_backend mariadb",
            "backend mariadb",
            f"    server db1 127.0.0.1:{self.backend_port} maxconn {self.maxconn}",
            "",
        ])

    def start(self, free_port):
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="obp-bench-haproxy-")
        cfg = os.path.join(self._dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(self.config_text())
        err = open(os.path.join(self._dir, "stderr.log"), "w")
        self.proc = subprocess.Popen([*self.wrapper, "haproxy", "-db", "-f", cfg],
                                     stdout=err, stderr=err, stdin=subprocess.DEVNULL)
        if not wait_port(self.port, timeout=60 if self.wrapper else 10):
            self.stop()
            raise RuntimeError(f"haproxy did not listen on {self.port}; see {self._dir}")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def start_proxyd(sandbox, binary, db_port, threads, max_connections=None, sql_tls=None,
                 backend_tls=None, extra_keys=None):
    """A proxyd with one tenant 'sys' whose only backend is the MariaDB.
    Returns (proxyd, note). sql_tls: a [sql_tls] table; backend_tls: the backend's
    `tls` mode; extra_keys: more top-level config keys (e.g. metrics_listen).

    --max-connections is a flag only a newer proxyd may know; if the start
    fails with it, retry without so the rest of the run still measures.
    """
    users = [{"tenant": "sys", "name": BENCH_USER, "password": BENCH_PASSWORD,
              "admin": True}]
    backend = {"name": "primary", "address": f"127.0.0.1:{db_port}"}
    if backend_tls:
        backend["tls"] = backend_tls
    tenants = {"sys": [backend]}
    extra = {"threads": threads, **(extra_keys or {})}
    if sql_tls:
        extra["sql_tls"] = sql_tls
    attempts = [[]]
    if max_connections:
        attempts.insert(0, ["--max-connections", str(max_connections)])
    errors = []
    for args in attempts:
        p = sandbox.Proxyd(binary, tenants=tenants, users=users, node_id=1,
                           cluster="bench", extra=extra)
        try:
            p.start(args=args)
            note = "" if args or not max_connections else \
                f"proxyd refused --max-connections: {errors[-1][:300]}"
            return p, note
        except Exception as e:  # noqa: BLE001  (sandbox raises RuntimeError with the log)
            errors.append(str(e))
            p.cleanup()
    raise RuntimeError("proxyd failed to start: " + " | ".join(x[:1500] for x in errors))


def find_proxyd(explicit):
    """--proxyd, then $PROXYD_BIN, then build/proxyd/proxyd, then the newest
    build*/proxyd/proxyd; None if there is none."""
    for c in (explicit, os.environ.get("PROXYD_BIN"),
              os.path.join(REPO, "build", "proxyd", "proxyd")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    found = [p for p in glob.glob(os.path.join(REPO, "build*", "proxyd", "proxyd"))
             if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


def is_sanitized(binary):
    """True if the binary carries ASan (its numbers would not be fair)."""
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "libasan" in out or "libubsan" in out
