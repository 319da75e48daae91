"""SPEC §8 signals: what logrotate and operators commonly send must not kill proxyd
silently. SIGHUP (a configuration reload, see test_reload.py), SIGUSR1 and SIGUSR2
leave a session mid-transaction working (it then commits); SIGUSR1 reopens the log file by name after logrotate renamed it;
SIGQUIT stops the node cleanly (exit 0)."""

import os
import signal
import sys
import time

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402


def test_hup_usr1_usr2_leave_a_transaction_running(proxy_factory, primary):
    node = proxy_factory.start()
    conn = pconnect(node, "app", database="testdb")
    query(conn, "CREATE TABLE IF NOT EXISTS sig (id INT PRIMARY KEY)")
    query(conn, "BEGIN")
    query(conn, "INSERT INTO sig VALUES (1)")
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        node.proc.send_signal(sig)
        time.sleep(0.2)
        assert node.proc.poll() is None, f"proxyd died on {sig.name}: {node.log()[-2000:]}"
        query(conn, f"INSERT INTO sig VALUES ({int(sig) + 100})")
    query(conn, "COMMIT")
    assert query(conn, "SELECT COUNT(*) FROM sig") == ((4,),)
    assert primary.sql("SELECT COUNT(*) FROM testdb.sig") == [(4,)]
    log = node.log()
    assert "reload ok" in log and "SIGUSR2: ignored" in log, log[-2000:]
    conn.close()


def test_usr1_reopens_a_rotated_log_file(proxy_factory, tmp_path):
    log = tmp_path / "proxyd.log"
    node = proxy_factory.start(extra={"log_file": str(log)})
    sandbox.wait_until(lambda: log.exists() and "ready" in log.read_text(), timeout=10)
    rotated = tmp_path / "proxyd.log.1"
    os.rename(log, rotated)
    node.proc.send_signal(signal.SIGUSR1)
    # The reopen is logged into the new file, and later lines follow it there.
    sandbox.wait_until(lambda: log.exists() and "log file reopened" in log.read_text(),
                       timeout=10)
    admin = pconnect(node, "admin")
    victim = pconnect(node, "app")
    query(admin, f"KILL {victim.thread_id()}")
    sandbox.wait_until(lambda: f"cs_id {victim.thread_id()}: killed" in log.read_text(),
                       timeout=10)
    assert "ready" in rotated.read_text() and "ready" not in log.read_text()
    admin.close()


def test_quit_stops_the_node_cleanly(proxy_factory):
    node = proxy_factory.start()
    conn = pconnect(node, "app")
    assert query(conn, "SELECT 1") == ((1,),)
    assert node.stop(sig=signal.SIGQUIT) == 0
