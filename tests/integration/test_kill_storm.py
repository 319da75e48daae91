"""SPEC §3 kills under load: 16 clients run short statements and transactions through
proxyd while an admin kills random sessions in random ways every ~50 ms for 10 s.
Afterwards nothing is left over: no sessions, no backend threads, no extra fds, no
sanitizer reports, and proxyd still answers.

Everything is bounded: each client stops after STORM_S seconds or MAX_STATEMENTS
statements, every statement has a read timeout, every wait has a deadline.
"""

import os
import random
import threading
import time

import pymysql
import pytest

from conftest import pconnect, query
from procfs import fd_count
from sandbox import wait_until

CLIENTS = 16
STORM_S = 10.0
MAX_STATEMENTS = 200
KILL_EVERY_S = 0.05
SETTLE_S = 5.0
FD_SLACK = 8
USERS = ("app", "alice", "bob", "app@t2")
BACKEND_USERS = {"app", "alice", "bob"}
HINT_REPLICA = "/*+ proxyd: backend=replica1 */ "
# What a client may see when its session, statement or server session is killed.
CLIENT_KILLED = {1317, 2006, 2013}
KILL_FORMS = ("KILL PROXYSESSION {}", "KILL {}", "KILL CONNECTION {}", "COM_PROCESS_KILL",
              "KILL QUERY {}", "SS")


def listed(admin):
    return {int(r[1]) for r in query(admin, "SHOW PROXYSESSION")}


def leftover_threads(backends):
    return [(name, r["ID"], r["USER"], r["INFO"]) for name, db in backends.items()
            for r in db.processlist() if r["USER"] in BACKEND_USERS]


def open_transactions(backends, threads):
    """Those of `threads` (as leftover_threads lists them) with an InnoDB transaction open."""
    ids = {(name, tid) for name, tid, *_ in threads}
    return [(name, r[0]) for name, db in backends.items()
            for r in db.sql("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX")
            if (name, r[0]) in ids]


class Client(threading.Thread):
    """One user looping on short statements; reconnects when its connection is killed."""

    def __init__(self, proxy, index, deadline):
        super().__init__(daemon=True)
        self.proxy, self.index, self.deadline = proxy, index, deadline
        self.user = USERS[index % len(USERS)]
        self.rng = random.Random(1000 + index)
        self.done = self.reconnects = self.interrupted = 0
        self.unexpected = []
        self.conn = None

    def run(self):
        n = 0
        while n < MAX_STATEMENTS and time.monotonic() < self.deadline:
            n += 1
            try:
                if self.conn is None:
                    self.conn = pconnect(self.proxy, self.user, read_timeout=10,
                                         write_timeout=10, connect_timeout=5)
                self.step(n)
                self.done += 1
                time.sleep(self.rng.uniform(0.01, 0.05))  # think time: spread over the storm
            except pymysql.err.InterfaceError:
                self.drop()
            except pymysql.err.MySQLError as e:
                code = e.args[0] if e.args else None
                if code not in CLIENT_KILLED:
                    self.unexpected.append((self.user, repr(e)))
                if code == 1317:
                    self.interrupted += 1
                else:
                    self.drop()
            except OSError as e:
                self.unexpected.append((self.user, repr(e)))
                self.drop()
        self.drop(lost=False)

    def step(self, n):
        op = self.rng.randrange(4)
        if op == 0:
            assert query(self.conn, "SELECT 1") == ((1,),)
        elif op == 1:
            query(self.conn, "SELECT SLEEP(0.05)")
        elif op == 2:
            query(self.conn, "BEGIN")
            query(self.conn, "INSERT INTO testdb.storm VALUES (%s, %s)",
                  (self.index * 100000 + n, n))
            query(self.conn, "COMMIT")
        elif self.user == "app@t2":
            query(self.conn, "SELECT COUNT(*) FROM testdb.storm")
        else:
            query(self.conn, HINT_REPLICA + "SELECT CONNECTION_ID()")

    def drop(self, lost=True):
        """Closes the connection; lost=True counts it as ended by a kill."""
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - a killed socket may fail to close cleanly
                pass
            self.conn = None
            self.reconnects += lost


def kill_one(admin, rng, me):
    """Kills a random session other than the admin's, a random way; returns the form."""
    ids = sorted(listed(admin) - {me})
    if not ids:
        return None
    victim = rng.choice(ids)
    form = rng.choice(KILL_FORMS)
    if form == "COM_PROCESS_KILL":
        admin.kill(victim)
    elif form == "SS":
        rows = query(admin, f"SHOW PROXYSESSION ATTRIBUTE {victim} LIKE 'ss_id'")
        if not rows:
            return None
        query(admin, f"KILL PROXYSESSION {victim} {rng.choice(rows)[1]}")
    else:
        query(admin, form.format(victim))
    return form


@pytest.fixture(scope="module")
def storm_tables(backends):
    for db in backends.values():
        db.sql("CREATE TABLE IF NOT EXISTS testdb.storm (id INT PRIMARY KEY, v INT) "
               "ENGINE=InnoDB")


def warm_up(proxy, admin, primary):
    """One kill of a busy session first, so lazily made things (control connections,
    pools) are there before the fd baseline is taken."""
    victim = pconnect(proxy, "app")
    cid = query(victim, "SELECT CONNECTION_ID()")[0][0]
    done = threading.Event()

    def sleep():
        try:
            query(victim, "SELECT SLEEP(5)")
        except pymysql.err.MySQLError:
            pass
        done.set()
    threading.Thread(target=sleep, daemon=True).start()
    assert wait_until(lambda: any(r["ID"] == cid and r["INFO"] for r in primary.processlist()),
                      5)
    query(admin, f"KILL {victim.thread_id()}")
    assert done.wait(5)
    victim.close()
    other = pconnect(proxy, "app@t2")
    query(other, "SELECT 1")  # opens (and closes) one on replica1
    other.close()


def test_kill_storm(proxy, backends, primary, storm_tables):
    admin = pconnect(proxy, "admin", read_timeout=10)
    me = admin.thread_id()
    warm_up(proxy, admin, primary)
    assert wait_until(lambda: listed(admin) == {me}, SETTLE_S)
    time.sleep(0.5)
    baseline = fd_count(proxy.pid) - len(leftover_threads(backends))  # minus pooled ones

    start = time.monotonic()
    clients = [Client(proxy, i, start + STORM_S) for i in range(CLIENTS)]
    for c in clients:
        c.start()
    rng = random.Random(7)
    kills = {}
    refused = []
    next_kill = time.monotonic()
    while time.monotonic() < start + STORM_S:
        time.sleep(max(0.0, next_kill - time.monotonic()))
        next_kill += KILL_EVERY_S
        try:
            form = kill_one(admin, rng, me)
            if form:
                kills[form] = kills.get(form, 0) + 1
        except pymysql.err.MySQLError as e:
            if e.args[0] != 1094:  # the victim went away between SHOW and KILL
                refused.append(repr(e))
    for c in clients:
        c.join(STORM_S + 30)
    hung = [c.index for c in clients if c.is_alive()]
    assert not hung, f"clients still running long after the storm: {hung}"
    assert proxy.proc.poll() is None, f"proxyd died during the storm:\n{proxy.log()[-8000:]}"

    print(f"kills {kills}; statements {sum(c.done for c in clients)}; "
          f"reconnects {sum(c.reconnects for c in clients)}; "
          f"interrupted {sum(c.interrupted for c in clients)}; fd baseline {baseline}")
    unexpected = [u for c in clients for u in c.unexpected]
    assert not unexpected, unexpected[:20]
    assert not refused, refused[:20]
    assert sum(kills.values()) >= 50, kills
    assert len(kills) == len(KILL_FORMS), kills
    assert sum(c.done for c in clients) >= 500, [c.done for c in clients]
    assert sum(c.reconnects for c in clients) >= 10, "kills ended (almost) no sessions"

    # Aftermath: only the admin is left, on the node and on the backends.
    assert query(admin, "SELECT 1") == ((1,),)
    assert wait_until(lambda: listed(admin) == {me}, SETTLE_S), query(admin, "SHOW PROXYSESSION")
    # What is left on the backends is the node's pool: idle connections, none running a
    # statement or holding a transaction (a kill never pools a busy one).
    assert wait_until(lambda: all(info is None for *_, info in leftover_threads(backends)),
                      SETTLE_S), leftover_threads(backends)
    assert not open_transactions(backends, leftover_threads(backends))
    pooled = len(leftover_threads(backends))
    assert wait_until(lambda: fd_count(proxy.pid) <= baseline + pooled + FD_SLACK, SETTLE_S), \
        (baseline, pooled, fd_count(proxy.pid), sorted(os.listdir(f"/proc/{proxy.pid}/fd")))

    fresh = pconnect(proxy, "app")
    assert query(fresh, "SELECT 1") == ((1,),)
    fresh.close()
    admin.close()
    assert proxy.proc.poll() is None, "proxyd exited"
    # Stopping the node closes the pool too: nothing is left on the backends.
    assert proxy.stop() == 0
    assert wait_until(lambda: not leftover_threads(backends), SETTLE_S), leftover_threads(backends)
    proxy.assert_sanitizer_clean()
