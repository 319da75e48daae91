#!/usr/bin/env python3
"""MariaDB's own regression suite (mysql-test) run directly and through proxyd.

`mariadb-test` (Debian's mariadb-test package; the cases are in mariadb-test-data) runs
each case of a list twice, over TCP, with the same options: once against a MariaDB sandbox,
once through a proxyd node in front of a second sandbox started the same way. The two runs
go in parallel (one sandbox each, so neither sees the other's tables). A case passes when
mariadb-test's output matches the case's .result file; it is skipped when the case says so
(a missing feature of this server build). What passes directly must pass through proxyd;
the cases where it cannot, by design, are in EXCLUDED with the reason.

mysql-test-run.pl is not used: it starts and restarts its own servers, which a proxy in
between does not fit. This runner does what it does that the cases need: mtr's server
options (include/default_mysqld.cnf), the `test` and `mtr` databases, root@localhost over
TCP, the environment variables the cases read, and a clean `test` database and user table
before each case (mtr's check-testcase, reduced to what the chosen cases touch).

Usage (ctest runs test_mtr.py, which calls run()):
  mtr.py [--cases FILE] [--protocol text|ps|cursor] [--only direct|proxyd] [CASE...]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import sandbox  # noqa: E402
import pymysql  # noqa: E402

MTR_DIR = "/usr/share/mysql/mysql-test"
MARIADB_TEST = shutil.which("mariadb-test") or "/usr/bin/mariadb-test"
CASE_TIMEOUT_S = int(os.environ.get("MTR_CASE_TIMEOUT_S", "120"))

# Options of include/default_mysqld.cnf that change what the chosen cases print.
# Name resolution stays on (MariaDB maps 127.0.0.1 to "localhost" without DNS), so a TCP
# login as root is root@localhost, as in mtr's own runs.
SERVER_ARGS = (
    "--skip-name-resolve=0", "--character-set-server=latin1", "--collation-server=latin1_swedish_ci",
    "--log-bin-trust-function-creators=1", "--key-buffer-size=1M", "--sort-buffer-size=256K",
    "--max-heap-table-size=1M", "--local-infile", "--connect-timeout=60",
    "--loose-performance-schema=OFF", "--max-connections=200", "--open-files-limit=1024",
    "--default-storage-engine=myisam", "--use-stat-tables=preferably", "--histogram-type=json_hb",
    "--binlog-direct-non-transactional-updates", "--log-bin=mysqld-bin", "--log-basename=mysqld",
)

# Why a case that passes directly cannot pass through proxyd, by design (mtr_excluded.txt
# names the cases). A bug is never a reason: it is fixed in proxyd.
REASONS = {
    "users": "logs in as (or changes to) a user the case creates: proxyd authenticates "
             "against its own user table (its config), not the backend's, as ProxySQL's "
             "mysql_users do",
    "failed_change_user": "a COM_CHANGE_USER that fails: proxyd closes the connection after "
                          "the error (SPEC §2, README 'Choices'); MariaDB keeps it and "
                          "answers 1047 to the next attempts",
    "self_kill": "KILL CONNECTION_ID(): SPEC §3 answers a kill of one's own session with "
                 "1317 (70100) and closes it; MariaDB 10.11 answers 1927",
    "lazy_login": "expects the backend's max_connections to refuse a login: proxyd logs a "
                  "client in against its own user table and reaches the backend on the first "
                  "statement, which then gets the backend's error",
}


def read_excluded(path: str) -> dict[str, str]:
    """`main.case reason-key` per line; the reason must be one of REASONS."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                case, key = line.split()
                out[case] = REASONS[key]
    return out


EXCLUDED = read_excluded(os.path.join(HERE, "mtr_excluded.txt"))


@dataclasses.dataclass
class Outcome:
    case: str
    status: str          # pass, fail, skip, timeout
    seconds: float
    detail: str = ""


def read_cases(path: str) -> list[str]:
    """One case per line (`main.name`), `#` starts a comment."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def case_files(case: str) -> tuple[str, str]:
    suite, name = case.split(".", 1)
    base = os.path.join(MTR_DIR, suite) if suite == "main" else os.path.join(MTR_DIR, "suite", suite)
    return os.path.join(base, name + ".test"), os.path.join(base, name + ".result")


def prepare_backend(db: sandbox.MariaDB, vardir: str) -> None:
    """What mtr's bootstrap leaves on a fresh server and the cases rely on."""
    db.sql("ALTER USER root@localhost IDENTIFIED VIA unix_socket OR "
           "mysql_native_password USING PASSWORD('')")
    db.sql(f"CREATE USER {HARNESS_USER}@localhost IDENTIFIED BY '{HARNESS_PW}'")
    db.sql(f"GRANT ALL ON *.* TO {HARNESS_USER}@localhost WITH GRANT OPTION")
    db.sql("CREATE DATABASE IF NOT EXISTS test")
    db.sql("CREATE DATABASE IF NOT EXISTS mtr")
    db.sql("CREATE TABLE IF NOT EXISTS mtr.test_suppressions (pattern VARCHAR(255)) ENGINE=MyISAM")
    db.sql("CREATE OR REPLACE PROCEDURE mtr.add_suppression(pattern VARCHAR(255)) "
           "INSERT INTO mtr.test_suppressions (pattern) VALUES (pattern)")
    db.sql("CREATE OR REPLACE PROCEDURE mtr.check_warnings(OUT result INT) SET result = 0")
    db.sql("CREATE OR REPLACE PROCEDURE mtr.force_restart() SET @mtr_force_restart = 1")
    os.makedirs(os.path.join(vardir, "tmp"), exist_ok=True)
    os.makedirs(os.path.join(vardir, "log"), exist_ok=True)


# The grant tables a case may change (users, roles, grants), restored after each case.
GRANT_TABLES = ("global_priv", "db", "tables_priv", "columns_priv", "procs_priv",
                "proxies_priv", "roles_mapping")
HARNESS_USER, HARNESS_PW = "mtr_harness", "mtr_harness_pw"


def harness_conn(db: sandbox.MariaDB):
    """The runner's own login (a case may drop or change root)."""
    return pymysql.connect(unix_socket=db.socket, user=HARNESS_USER, password=HARNESS_PW,
                           connect_timeout=10, read_timeout=60, autocommit=True)


def snapshot_grants(db: sandbox.MariaDB) -> dict[str, tuple]:
    conn = harness_conn(db)
    try:
        with conn.cursor() as cur:
            out = {}
            for t in GRANT_TABLES:
                cur.execute(f"SELECT * FROM mysql.{t}")
                out[t] = tuple(sorted(cur.fetchall(), key=repr))
            return out
    finally:
        conn.close()


# Global variables that move by themselves (positions, counters), never restored.
MOVING_GLOBALS = {"GTID_BINLOG_POS", "GTID_CURRENT_POS", "GTID_BINLOG_STATE", "GTID_SLAVE_POS",
                  "TIMESTAMP", "INNODB_BUFFER_POOL_LOAD_NOW", "INNODB_BUFFER_POOL_DUMP_NOW"}


def snapshot_globals(db: sandbox.MariaDB) -> dict[str, str]:
    conn = harness_conn(db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES")
            return dict(cur.fetchall())
    finally:
        conn.close()


def restore_globals(cur, globals_: dict[str, str]) -> list[str]:
    """Sets back what differs from the start; returns those names."""
    cur.execute("SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES")
    changed = []
    for name, value in cur.fetchall():
        if name in MOVING_GLOBALS or globals_.get(name) == value:
            continue
        changed.append(f"{name}={value} (was {globals_.get(name)})")
        try:
            cur.execute(f"SET GLOBAL {name} = %s", (globals_[name],))
        except (pymysql.MySQLError, KeyError):
            pass  # read-only, or the server will not take its own default back as text
    return changed


def reset_backend(db: sandbox.MariaDB, grants: dict[str, tuple],
                  globals_: dict[str, str]) -> list[str]:
    """mtr's check-testcase, reduced: the grant tables and global variables of the start,
    no leftover databases but a fresh `test`, no suppressions. Returns the global
    variables the case left changed (mtr's check-testcase fails such a case)."""
    conn = harness_conn(db)
    try:
        with conn.cursor() as cur:
            left = restore_globals(cur, globals_)
            changed = False
            for t, rows in grants.items():
                cur.execute(f"SELECT * FROM mysql.{t}")
                if tuple(sorted(cur.fetchall(), key=repr)) != rows:
                    changed = True
                    cur.execute(f"DELETE FROM mysql.{t}")
                    for row in rows:
                        marks = ", ".join(["%s"] * len(row))
                        cur.execute(f"INSERT INTO mysql.{t} VALUES ({marks})", row)
            if changed:
                cur.execute("FLUSH PRIVILEGES")
            cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
            keep = {"mysql", "information_schema", "performance_schema", "sys", "mtr"}
            for (name,) in cur.fetchall():
                if name not in keep:
                    cur.execute(f"DROP DATABASE `{name}`")
            cur.execute("CREATE DATABASE test")
            cur.execute("DELETE FROM mtr.test_suppressions")
            return left
    finally:
        conn.close()


def environment(host_port: tuple[str, int], socket_path: str, vardir: str, datadir: str) -> dict:
    """The variables mtr exports that the cases read ($MYSQL, $MYSQLTEST_VARDIR, ...)."""
    host, port = host_port
    client = (f"--no-defaults --protocol=tcp --host={host} --port={port} --user=root "
              f"--character-sets-dir={MTR_DIR}/../charsets")
    env = dict(os.environ)
    env.update({
        "MYSQL_TEST_DIR": MTR_DIR, "MYSQLTEST_VARDIR": vardir,
        "MYSQL_TMP_DIR": os.path.join(vardir, "tmp"), "MYSQL_BINDIR": "/usr/bin",
        "MYSQL_SHAREDIR": "/usr/share/mysql", "MYSQL_CHARSETSDIR": "/usr/share/mysql/charsets",
        "MASTER_MYPORT": str(port), "MASTER_MYSOCK": socket_path, "MYSQLD_DATADIR": datadir,
        "MYSQL": f"/usr/bin/mariadb {client}",
        "MYSQL_DUMP": f"/usr/bin/mariadb-dump {client}",
        "MYSQL_SHOW": f"/usr/bin/mariadb-show {client}",
        "MYSQL_CHECK": f"/usr/bin/mariadb-check {client}",
        "MYSQL_IMPORT": f"/usr/bin/mariadb-import {client}",
        "MYSQLADMIN": f"/usr/bin/mariadb-admin {client}",
        "MYSQL_BINLOG": "/usr/bin/mariadb-binlog",
        "MYSQL_CHARSETSDIR": "/usr/share/mysql/charsets",
        "DEFAULT_MASTER_PORT": str(port),
    })
    return env


def run_case(case: str, host_port: tuple[str, int], env: dict, vardir: str, protocol: str) -> Outcome:
    test, result = case_files(case)
    host, port = host_port
    cmd = [MARIADB_TEST, "--no-defaults", "--silent", "--protocol=tcp", f"--host={host}",
           f"--port={port}", "--user=root", "--database=test", f"--basedir={MTR_DIR}",
           f"--tmpdir={os.path.join(vardir, 'tmp')}", f"--logdir={os.path.join(vardir, 'log')}",
           f"--character-sets-dir=/usr/share/mysql/charsets", "--max-connect-retries=1",
           "--tail-lines=20", f"--test-file={test}", f"--result-file={result}"]
    if protocol == "ps":
        cmd.append("--ps-protocol")
    elif protocol == "cursor":
        cmd.append("--cursor-protocol")
    start = time.monotonic()
    try:
        res = subprocess.run(cmd, cwd=MTR_DIR, env=env, capture_output=True, text=True,
                             errors="replace", timeout=CASE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")[-3000:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-3000:]
        return Outcome(case, "timeout", time.monotonic() - start, f"no end in {CASE_TIMEOUT_S} s\n{out}")
    took = time.monotonic() - start
    text = res.stdout + res.stderr
    if len(text) > 8000:
        # The head names the failing line, the tail what led to it; a long query in
        # between would push out its error, which is kept on its own.
        m = re.search(r"' (failed[^\n]*|succeeded[^\n]*)", text)
        text = (text[:1500] + "\n[...]\n" + (m.group(0)[:1000] + "\n[...]\n" if m else "")
                + text[-5000:])
    if res.returncode == 0:
        return Outcome(case, "pass", took)
    if res.returncode == 62:
        return Outcome(case, "skip", took, text.strip().splitlines()[-1] if text.strip() else "")
    return Outcome(case, "fail", took, text)


class Side:
    """One run of the list: a sandbox, optionally a proxyd in front of it."""

    def __init__(self, name: str, proxyd_bin: str | None, workdir: str,
                 proxyd_extra: dict | None = None):
        self.name = name
        self.proxyd_extra = proxyd_extra or {}
        self.proxyd_bin = proxyd_bin
        self.vardir = os.path.join(workdir, name)
        for sub in ("tmp", "log"):
            os.makedirs(os.path.join(self.vardir, sub), exist_ok=True)
        self.db = sandbox.MariaDB(f"mtr-{name}", extra_args=SERVER_ARGS + (
            f"--secure-file-priv={self.vardir}", f"--tmpdir={os.path.join(self.vardir, 'tmp')}"))
        self.proxy: sandbox.Proxyd | None = None
        self.progress = False

    def fresh_backend(self) -> None:
        """A new datadir for the same port: what mtr does after a case it cannot clean up."""
        self.db.stop(remove=False)
        shutil.rmtree(self.db.datadir, ignore_errors=True)
        self.db.start()
        prepare_backend(self.db, self.vardir)

    def start(self) -> None:
        self.db.start()
        prepare_backend(self.db, self.vardir)
        self.grants = snapshot_grants(self.db)
        self.globals = snapshot_globals(self.db)
        target = (self.db.host, self.db.port)
        if self.proxyd_bin:
            self.proxy = sandbox.Proxyd(
                self.proxyd_bin, {"sys": [("primary", self.db)]},
                [{"tenant": "sys", "name": "root", "password": "", "admin": True}],
                extra={"log_level": "warn", "max_connections": 500, **self.proxyd_extra})
            self.proxy.start()
            target = ("127.0.0.1", self.proxy.port)
        self.target = target
        self.env = environment(target, self.db.socket, self.vardir, self.db.datadir)

    def run(self, cases: list[str], protocol: str) -> dict[str, Outcome]:
        out = {}
        for case in cases:
            out[case] = o = run_case(case, self.target, self.env, self.vardir, protocol)
            # As mtr does: after a failure the next case gets a new server (a case that
            # stopped half-way leaves what its own end would have undone); after a pass,
            # what the case left is checked and cleaned.
            fresh = o.status not in ("pass", "skip")
            if not fresh:
                try:
                    left = reset_backend(self.db, self.grants, self.globals)
                except pymysql.MySQLError:
                    left, fresh = [], True  # the case broke the grant tables themselves
                if left and o.status == "pass":
                    o.status = "fail"
                    o.detail += ("left global variables changed (mtr's check-testcase "
                                 f"fails such a case): {', '.join(left)}")
                    fresh = True
            if fresh:
                self.fresh_backend()
            if self.progress:
                o = out[case]
                print(f"{self.name:7} {o.case:45} {o.status:7} {o.seconds:6.2f}s", flush=True)
            if self.proxy and self.proxy.proc.poll() is not None:
                out[case].detail += f"\nproxyd exited {self.proxy.proc.returncode}"
                out[case].status = "fail"
                break
        return out

    def stop(self) -> None:
        if self.proxy:
            self.proxy.stop()
            self.proxy.cleanup()
        self.db.stop()


def run(cases: list[str], proxyd_bin: str | None, protocol: str = "text",
        only: str | None = None, progress: bool = False,
        proxyd_extra: dict | None = None) -> dict[str, dict[str, Outcome]]:
    """Runs `cases` directly and through proxyd in parallel; {side: {case: Outcome}}.
    proxyd_extra: more proxyd config keys (e.g. pooling off)."""
    workdir = tempfile.mkdtemp(prefix="obp-mtr-")
    sides = []
    if only in (None, "direct"):
        sides.append(Side("direct", None, workdir))
    if only in (None, "proxyd"):
        sides.append(Side("proxyd", proxyd_bin, workdir, proxyd_extra))
    try:
        for s in sides:
            s.progress = progress
            s.start()
        with concurrent.futures.ThreadPoolExecutor(len(sides)) as pool:
            futs = {s.name: pool.submit(s.run, cases, protocol) for s in sides}
            results = {name: f.result() for name, f in futs.items()}
        for s in sides:
            if s.proxy:
                s.proxy.assert_sanitizer_clean()
        return results
    finally:
        for s in sides:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def compare(results: dict[str, dict[str, Outcome]]) -> tuple[list[str], list[str]]:
    """The cases that pass directly and not through proxyd (excluded ones apart), and a
    one-line-per-case report."""
    direct, proxied = results["direct"], results["proxyd"]
    broken, lines = [], []
    for case, d in direct.items():
        p = proxied.get(case)
        ps = p.status if p else "not run"
        lines.append(f"{case:45} direct {d.status:7} {d.seconds:6.2f}s  proxyd {ps:7} "
                     f"{p.seconds if p else 0:6.2f}s{'  EXCLUDED' if case in EXCLUDED else ''}")
        if d.status == "pass" and ps != "pass" and case not in EXCLUDED:
            broken.append(case)
    return broken, lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=os.path.join(HERE, "mtr_cases.txt"))
    ap.add_argument("--protocol", choices=("text", "ps", "cursor"), default="text")
    ap.add_argument("--only", choices=("direct", "proxyd"))
    ap.add_argument("--proxyd", default=os.environ.get("PROXYD_BIN"))
    ap.add_argument("--show", action="store_true", help="print each failure's output")
    ap.add_argument("--progress", action="store_true", help="print each case as it ends")
    ap.add_argument("--no-pool", action="store_true", help="proxyd with pooling off")
    ap.add_argument("case", nargs="*")
    a = ap.parse_args()
    cases = a.case or read_cases(a.cases)
    results = run(cases, a.proxyd, a.protocol, a.only, a.progress,
                  {"pool_max_idle_per_backend": 0} if a.no_pool else None)
    if a.only:
        for o in results[a.only].values():
            print(f"{o.case:45} {o.status:7} {o.seconds:6.2f}s")
            if a.show and o.status not in ("pass", "skip"):
                print(o.detail)
        return 0
    broken, lines = compare(results)
    print("\n".join(lines))
    for case in broken:
        print(f"\n==== {case} through proxyd ====\n{results['proxyd'][case].detail}")
    n = sum(o.status == "pass" for o in results["direct"].values())
    print(f"\n{n} cases pass directly; {len(broken)} of them fail through proxyd")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
