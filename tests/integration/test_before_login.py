"""SPEC §2 "Before login", as an attacker without a password would try it: every
connection must finish its login within login_timeout_s, may send at most 64 KiB
before that, counts against max_connections (with admin_reserved_connections kept for
admins), and is visible to admins (MCS_INIT) and killable. wait_timeout_s closes idle
sessions."""

import os
import socket
import struct
import sys
import time

import pymysql
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402
from procfs import rss_kib  # noqa: E402
from change_user import change_user  # noqa: E402


def greeted_socket(node) -> tuple[socket.socket, int]:
    """A connection that reads the greeting and then says nothing; and its cs_id."""
    s = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    header = s.recv(4, socket.MSG_WAITALL)
    payload = s.recv(header[0] | header[1] << 8 | header[2] << 16, socket.MSG_WAITALL)
    return s, struct.unpack_from("<I", payload, payload.index(b"\0", 1) + 1)[0]


def closed_by_peer(s: socket.socket, within: float) -> bool:
    """True if the peer closes `s` within `within` seconds (EOF or reset)."""
    s.settimeout(within)
    try:
        while True:
            if s.recv(65536) == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_silent_and_half_header_connections_are_closed_after_login_timeout(proxy_factory):
    node = proxy_factory.start(extra={"login_timeout_s": 1})
    silent = [greeted_socket(node)[0] for _ in range(20)]
    half, _ = greeted_socket(node)
    half.sendall(b"\x20\x00")  # two bytes of a packet header, then nothing
    t0 = time.monotonic()
    for s in silent + [half]:
        assert closed_by_peer(s, within=5), "a connection outlived login_timeout_s"
    took = time.monotonic() - t0
    assert 0.5 < took < 4, f"closed after {took:.1f}s, login_timeout_s = 1"
    for s in silent + [half]:
        s.close()
    # The node is none the worse for it.
    conn = pconnect(node)
    assert query(conn, "SELECT 1") == ((1,),)
    conn.close()


def test_a_huge_header_before_login_is_never_buffered(proxy_factory):
    node = proxy_factory.start()
    before = rss_kib(node.pid)
    socks = []
    for _ in range(40):
        s, _ = greeted_socket(node)
        # A handshake response claiming 16 MiB - 1, a first 60 KiB of it, then a stall.
        s.sendall(struct.pack("<I", 0xFFFFFF)[:3] + b"\x01" + b"x" * 60000)
        socks.append(s)
    for s in socks:
        assert closed_by_peer(s, within=3), "an oversized pre-login packet was not refused"
        s.close()
    grown = rss_kib(node.pid) - before
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB for 40 refused 16 MiB headers"
    conn = pconnect(node)
    assert query(conn, "SELECT 1") == ((1,),)
    conn.close()


def test_admin_logs_in_when_silent_sockets_fill_max_connections(proxy_factory):
    node = proxy_factory.start(extra={"max_connections": 5, "admin_reserved_connections": 2,
                                      "login_timeout_s": 30})
    # The start-up probe's connection may still hold a slot for a moment.
    sandbox.wait_until(lambda: _session_count(node) == 0, timeout=5)
    silent = [greeted_socket(node)[0] for _ in range(5)]
    try:
        with pytest.raises(pymysql.err.OperationalError) as refused:
            pconnect(node, "app")
        assert refused.value.args[0] == 1040, refused.value.args
        admin = pconnect(node, "admin")
        rows = query(admin, "SHOW PROXYSESSION")
        pending = [r for r in rows if r[9] == "MCS_INIT"]
        assert len(pending) == 5, rows
        assert all(r[4] == "" for r in pending)
        # A logging-in connection is killable like any session.
        query(admin, f"KILL {pending[0][1]}")
        closed = [s for s in silent if closed_by_peer(s, within=0.5)]
        assert len(closed) == 1
        # Users other than admins see no logging-in connection.
        for s in silent:
            s.close()
        sandbox.wait_until(lambda: len(query(admin, "SHOW PROXYSESSION")) == 1, timeout=5)
        silent = [greeted_socket(node)[0]]
        app = pconnect(node, "app")
        assert len(query(admin, "SHOW PROXYSESSION")) == 3
        assert [r[9] for r in query(app, "SHOW PROXYSESSION")] == ["MCS_ACTIVE_READER"]
        app.close()
        admin.close()
    finally:
        for s in silent:
            s.close()


def test_change_user_in_an_admin_reserved_slot_stays_an_admin(proxy_factory):
    """A session let in on a slot kept for admins may not become another user's session."""
    node = proxy_factory.start(extra={"max_connections": 1, "admin_reserved_connections": 1})
    app = _connect_once_slots_free(node, "app")      # the one ordinary slot
    admin = _connect_once_slots_free(node, "admin")  # the reserved one
    change_user(admin, "admin", "admin_pw")
    with pytest.raises(pymysql.err.OperationalError) as refused:
        change_user(admin, "bob", "bob_pw")
    assert refused.value.args == (1040, "Too many connections")
    with pytest.raises(pymysql.err.OperationalError):
        query(admin, "SELECT 1")
    # An ordinary slot's session may become anyone's, an admin's too.
    change_user(app, "admin", "admin_pw")
    change_user(app, "bob", "bob_pw")
    assert query(app, "SELECT CURRENT_USER()") == (("bob@%",),)
    app.close()


def _connect_once_slots_free(node, user):
    """Logs in as `user`, retrying 1040 for a few seconds: a connection that just ended
    (the start-up probe's, or a login refused with 1040 a moment ago) holds its slot
    until proxyd has seen it close, which may be after its client tries again."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return pconnect(node, user)
        except pymysql.err.OperationalError as e:
            if e.args[0] != 1040 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _session_count(node) -> int:
    admin = pconnect(node, "admin")
    try:
        return len([r for r in query(admin, "SHOW PROXYSESSION") if r[1] != admin.thread_id()])
    finally:
        admin.close()


def test_wait_timeout_closes_idle_sessions(proxy_factory):
    node = proxy_factory.start(extra={"wait_timeout_s": 1})
    idle = pconnect(node)
    busy = pconnect(node)
    assert query(busy, "SELECT SLEEP(1.5)") == ((0,),)  # a long statement is not idleness
    time.sleep(2)
    with pytest.raises(pymysql.err.OperationalError) as gone:
        query(idle, "SELECT 1")
    assert gone.value.args[0] in (2006, 2013), gone.value.args
    idle.close()
    busy.close()


def test_a_stalled_packet_after_login_is_bounded_in_time_and_memory(proxy_factory):
    """After login a client may send big statements, but one that starts a 16 MiB
    packet and stalls holds what it sent only until net_read_timeout_s."""
    node = proxy_factory.start(extra={"net_read_timeout_s": 1})
    before = rss_kib(node.pid)
    conns = [pconnect(node) for _ in range(20)]
    for c in conns:
        # COM_QUERY announcing 16 MiB - 1, its first MiB, then nothing.
        c._sock.sendall(b"\xff\xff\xff\x00\x03" + b"x" * (1 << 20))
    # What is held is what was sent (20 MiB), not what was announced (320 MiB).
    held = rss_kib(node.pid) - before
    assert held < 48 * 1024, f"RSS grew by {held} KiB for 20 stalled 1 MiB packets"
    t0 = time.monotonic()
    for c in conns:
        assert closed_by_peer(c._sock, within=5), "a stalled packet outlived net_read_timeout_s"
    took = time.monotonic() - t0
    assert took < 4, f"took {took:.1f}s"
    ok = pconnect(node)
    assert query(ok, "SELECT 1") == ((1,),)
    ok.close()
