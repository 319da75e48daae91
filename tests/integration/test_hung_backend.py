"""SPEC §3 "Kills against a hung backend": a backend that stops answering (SIGSTOP:
its socket accepts, nothing replies) can't make a kill hang or lie. The kill answers
within backend_kill_timeout_ms plus a little; a KILL whose backend KILL was not
confirmed still closes the session and says so in its OK info text and a `partial`
audit line; a KILL QUERY that can't reach the backend gets 1105 and a `failed` line
naming its target."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import pymysql
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from background import Background  # noqa: E402
import sandbox  # noqa: E402

KILL_TIMEOUT_MS = 500
# What a kill may take beyond backend_kill_timeout_ms: generous, because the suite also
# runs under sanitizers on 2 busy cores; without the bound a kill would wait for the
# stopped backend (the clients' 60 s read timeout), so this still tells the two apart.
SLACK_S = 4.0


def sleeping_on(db, statement):
    """True once statement runs on db. A root connection of ours that the
    server drops (seen once in CI, in the setup after a SIGSTOP/SIGCONT of this server;
    cause unknown) is retried, not taken as the answer; what the server said about it
    is kept on stderr, which pytest prints if the test fails."""
    try:
        return any(p.get("INFO") == statement for p in db.processlist())
    except pymysql.err.OperationalError as e:
        print(f"processlist on {db.name}: {e}\n{sandbox.servers_report()}", file=sys.stderr)
        if db.proc.poll() is not None:
            raise  # the server is gone: no retry brings it back
        return False


@pytest.fixture
def hung(proxy_factory, primary, tmp_path):
    """A node with an audit log, and a session running SLEEP on the primary, which is
    then SIGSTOPped (resumed at teardown)."""
    audit = tmp_path / "audit.jsonl"
    node = proxy_factory.start(extra={"audit_log": str(audit),
                                      "backend_kill_timeout_ms": KILL_TIMEOUT_MS})
    victim = pconnect(node, "app", read_timeout=60)
    admin = pconnect(node, "admin")
    vid = victim.thread_id()
    # Named uniquely: the previous test's SLEEP may still run on the primary (a kill
    # that never reached it leaves it there), and stopping the server on that one
    # would stop it before this victim's statement arrived.
    statement = f"SELECT SLEEP(30) AS victim_{secrets.token_hex(4)}"
    running = Background(victim, statement)
    # Stopped only once the statement runs there, so the kill finds it busy.
    assert sandbox.wait_until(lambda: sleeping_on(primary, statement), timeout=10), \
        "the victim's SLEEP never showed in the primary's processlist"
    primary.proc.send_signal(signal.SIGSTOP)
    try:
        yield node, admin, vid, running, audit
    finally:
        primary.proc.send_signal(signal.SIGCONT)
        running.join(40)
        admin.close()


def audit_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_kill_connection_is_partial_not_a_lie(hung):
    node, admin, vid, running, audit = hung
    with admin.cursor() as cur:
        t0 = time.monotonic()
        cur.execute(f"KILL {vid}")
        took = time.monotonic() - t0
        info = cur._result.message.decode()
    assert took < KILL_TIMEOUT_MS / 1000 + SLACK_S, f"took {took:.2f}s"
    assert "Backend KILL of connection" in info and "not confirmed" in info, node.log()[-3000:]
    assert "on 'primary'" in info, info
    # The client session is gone at once, whatever the backend does.
    assert running.join(5), "the killed session's statement is still waiting"
    assert running.error is not None
    rows = query(admin, "SHOW PROXYSESSION")
    assert vid not in [r[1] for r in rows]
    [line] = [rec for rec in audit_lines(audit) if rec["id"] == vid]
    assert line["result"] == "partial", line
    assert "not confirmed" in line["detail"], line
    assert line["cs_id"] == vid


def test_kill_query_that_cannot_reach_the_backend_fails_truthfully(hung):
    node, admin, vid, running, audit = hung
    t0 = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError) as failed:
        query(admin, f"KILL QUERY {vid}")
    took = time.monotonic() - t0
    assert took < KILL_TIMEOUT_MS / 1000 + SLACK_S, f"took {took:.2f}s"
    assert failed.value.args[0] == 1105
    assert "Backend KILL QUERY of connection" in failed.value.args[1], failed.value.args
    [line] = [rec for rec in audit_lines(audit) if rec["id"] == vid]
    assert line["result"] == "failed" and line["mode"] == "QUERY", line
    assert line["cs_id"] == vid, line
    assert running.is_alive(), "KILL QUERY must not end the session"


def test_kills_on_healthy_backends_are_not_delayed(proxy_factory, replica1):
    # A long kill timeout, so "not delayed" is told apart from "waited for it" with room
    # to spare on a loaded machine.
    node = proxy_factory.start(extra={"backend_kill_timeout_ms": 8000})
    victim = pconnect(node, "app@t2", read_timeout=30)  # t2's backend is replica1, not stopped
    admin = pconnect(node, "admin")
    vid = victim.thread_id()
    running = Background(victim, "SELECT SLEEP(30)")
    assert sandbox.wait_until(lambda: any(r[1] == vid and r[9] == "MCS_ACTIVE_READER"
                                          for r in query(admin, "SHOW PROXYSESSION")), timeout=10)
    with admin.cursor() as cur:
        t0 = time.monotonic()
        cur.execute(f"KILL {vid}")
        took = time.monotonic() - t0
        info = cur._result.message
    assert not info, info
    assert took < 4.0, f"took {took:.2f}s"
    assert running.join(5)
    admin.close()


def test_obpctl_kill_on_a_hung_backend_is_done_with_a_warning(hung):
    node, admin, vid, running, audit = hung
    t0 = time.monotonic()
    r = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node", f"127.0.0.1:{node.grpc_port}",
                        "kill", "--cs-id", str(vid)], capture_output=True, text=True, timeout=30)
    took = time.monotonic() - t0
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert f"killed cs_id {vid}" in r.stdout, r.stdout
    assert "not confirmed" in r.stderr, r.stderr
    assert took < KILL_TIMEOUT_MS / 1000 + SLACK_S + 1.0, f"took {took:.2f}s"  # + obpctl start
    assert running.join(5)
    [line] = [rec for rec in audit_lines(audit) if rec["id"] == vid]
    assert line["result"] == "partial" and line["actor"].startswith("grpc "), line
