"""Connection limits as a client sees them: max_connections refuses with MySQL's 1040,
and a proxyd out of file descriptors keeps serving the sessions it has, without
spinning a core on the accept it cannot complete, and recovers when fds free up."""

import subprocess
import time

import pymysql
import pytest

from conftest import pconnect, query
from procfs import cpu_seconds, fd_count
from sandbox import wait_until


def set_fd_limit(pid, soft):
    """Sets the soft RLIMIT_NOFILE of a running process; the hard limit stays."""
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)


def fd_soft_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no 'Max open files' in /proc/<pid>/limits")


def _connect_when_free(node):
    """pconnect, retried while refused with 1040: a session that just ended (the
    start-up probe's, one this test closed) holds its slot until its teardown,
    which is asynchronous, has run."""
    conns = []
    assert wait_until(lambda: _try_connect(node, conns)), "no slot freed within the wait"
    return conns[0]


def _try_connect(node, out):
    try:
        out.append(pconnect(node))
        return True
    except pymysql.err.OperationalError as e:
        if e.args[0] != 1040:
            raise
        return False


def test_max_connections_refuses_with_1040(proxy_factory):
    node = proxy_factory.start(extra={"max_connections": 3})
    held = []
    try:
        for _ in range(3):
            held.append(_connect_when_free(node))
        with pytest.raises(pymysql.err.OperationalError) as e:
            pconnect(node)
        assert e.value.args[0] == 1040, e.value.args
        assert "Too many connections" in e.value.args[1]
        assert query(held[0], "SELECT 1") == ((1,),)  # the others are untouched
        held.pop().close()
        held.append(_connect_when_free(node))  # the slot a quit freed is reused
    finally:
        for c in held:
            c.close()
        node.stop()
        node.assert_sanitizer_clean()


def test_out_of_fds_pauses_accepts_and_recovers(proxy_factory):
    node = proxy_factory.start(extra={"threads": 1, "pool_max_idle_per_backend": 0})
    first = pconnect(node)
    assert query(first, "SELECT 1") == ((1,),)  # its backend connection is open too
    # Room for exactly one more client fd: the next client's backend connection
    # (or the one after it) cannot get an fd.
    original = fd_soft_limit(node.pid)
    set_fd_limit(node.pid, fd_count(node.pid) + 1)
    stuck = []
    try:
        for _ in range(3):
            try:
                stuck.append(pconnect(node, connect_timeout=2, read_timeout=2))
                query(stuck[-1], "SELECT 1")
            except pymysql.err.MySQLError:
                pass  # refused one way or another: what we wanted to reach
        # A connection now waits in the listen queue that proxyd cannot accept.
        pending = _PendingConnect(node.port)
        before = cpu_seconds(node.pid)
        time.sleep(1.5)
        used = cpu_seconds(node.pid) - before
        assert used < 0.5, f"proxyd used {used:.2f} s of CPU in 1.5 s with an accept it can't complete"
        assert "pausing accepts" in node.log()
        assert query(first, "SELECT 2") == ((2,),)  # the sessions it has still work
        for c in stuck:
            c.close()
        stuck.clear()
        first.close()
        set_fd_limit(node.pid, original)
        assert pending.greeted(timeout=5), "the queued connection was never accepted"
        again = pconnect(node)
        assert query(again, "SELECT 3") == ((3,),)
        again.close()
    finally:
        for c in stuck:
            c.close()
        node.stop()
        node.assert_sanitizer_clean()


class _PendingConnect:
    """A raw TCP connection that waits for the server's greeting."""

    def __init__(self, port):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def greeted(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return len(self.sock.recv(4)) == 4
        except OSError:
            return False
        finally:
            self.sock.close()
