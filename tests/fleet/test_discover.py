"""obpctl --discover dns:NAME:PORT against a real DNS server (SPEC §5): every A record of NAME
is a node, as a Kubernetes headless Service gives.

The fleet's gRPC addresses are 127.0.0.1:P, 127.0.0.2:P, 127.0.0.3:P (one port P), and a
private dnsmasq serves fleet.test with those three A records. obpctl resolves with the system
resolver (getaddrinfo) and has no option for another DNS server or port, and resolv.conf cannot
name a port, so dnsmasq listens on port 53 of a loopback address nobody uses (127.0.0.N), and
obpctl runs in a private mount namespace (`unshare --mount`) where /etc/resolv.conf is a
bind-mounted temp file naming 127.0.0.N. The system's own resolv.conf is never changed.
"""

import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import conn_id, parse_table, query

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
NAME = "fleet.test"
DEAD_NAME = "withdead.test"  # the three nodes plus 127.0.0.9, where nothing listens


def _free_53(ip):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((ip, 53))
            except OSError:
                return False
    return True


def _dns_query_a(server, name, timeout=1.0):
    """A records of `name` asked straight from server (ip, port) over UDP: a raw DNS query."""
    qid = random.randrange(1 << 16)
    q = qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, server)
        data, _ = s.recvfrom(4096)
    assert int.from_bytes(data[:2], "big") == qid
    answers = int.from_bytes(data[6:8], "big")
    pos = len(q)  # the question is echoed back unchanged
    out = []
    for _ in range(answers):
        pos += 2  # compressed name pointer (dnsmasq answers with one)
        rtype = int.from_bytes(data[pos:pos + 2], "big")
        rdlen = int.from_bytes(data[pos + 8:pos + 10], "big")
        if rtype == 1:
            out.append(socket.inet_ntoa(data[pos + 10:pos + 14]))
        pos += 10 + rdlen
    return sorted(out)


class Dnsmasq:
    """A private dnsmasq on 127.0.0.N:53 answering only from its command line."""

    def __init__(self, records):
        self.dir = tempfile.mkdtemp(prefix="obp-dns-")
        self.ip = next((f"127.0.0.{n}" for n in random.sample(range(60, 250), 40)
                        if _free_53(f"127.0.0.{n}")), None)
        assert self.ip, "no 127.0.0.N with port 53 free"
        self.resolv = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write(f"nameserver {self.ip}\noptions timeout:1 attempts:2\n")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        args = [DNSMASQ, "--no-daemon", "--conf-file=/dev/null", "--port=53",
                f"--listen-address={self.ip}", "--bind-interfaces", "--no-resolv", "--no-hosts",
                f"--pid-file={os.path.join(self.dir, 'pid')}"]
        args += [f"--address=/{name}/{ip}" for name, ips in records.items() for ip in ips]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError):
                if _dns_query_a((self.ip, 53), NAME, 0.3):
                    break
            assert self.proc.poll() is None, self.log()
            assert time.monotonic() < deadline, f"dnsmasq not answering:\n{self.log()}"
            time.sleep(0.1)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wrap(self):
        """The command prefix that runs a program with this server as its resolver."""
        return ("unshare", "--mount", "sh", "-c",
                'mount --bind "$0" /etc/resolv.conf && exec "$@"', self.resolv)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def dns(fleet):
    ips = [a.rsplit(":", 1)[0] for a in fleet.grpc.values()]
    d = Dnsmasq({NAME: ips, DEAD_NAME: ips + ["127.0.0.9"]})
    yield d
    d.stop()


def discover(obpctl, dns, name, *args, **kw):
    spec = f"dns:{name}:{obpctl.fleet.grpc_port}"
    return obpctl.run(*args, fleet_args=["--discover", spec], wrap=dns.wrap(), **kw)


def test_dnsmasq_serves_every_node(dns, fleet):
    want = sorted(a.rsplit(":", 1)[0] for a in fleet.grpc.values())
    assert _dns_query_a((dns.ip, 53), NAME) == want


def test_nodes_by_discovery(dns, fleet, obpctl):
    r = discover(obpctl, dns, NAME, "nodes")
    assert r.returncode == 0, (r.stdout, r.stderr)
    rows = parse_table(r.stdout)
    # Ids are learned from the nodes themselves (GetNodeInfo).
    assert [(int(x["NODE"]), x["ADDRESS"], x["STATE"]) for x in rows] == [
        (i, fleet.grpc[i], "ok") for i in (1, 2, 3)]


def test_sessions_list_by_discovery(dns, opener, obpctl):
    mine = {n: opener(n, "bob") for n in (1, 2, 3)}
    r = discover(obpctl, dns, NAME, "sessions", "list", "--user", "bob")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert [(int(x["NODE"]), int(x["CS_ID"])) for x in parse_table(r.stdout)] == [
        (n, mine[n].thread_id()) for n in (1, 2, 3)]


def test_kill_by_cs_id_by_discovery(dns, opener, obpctl):
    victim = opener(3, "alice")
    other = opener(2, "alice")
    conn_id(victim)
    r = discover(obpctl, dns, NAME, "kill", "--cs-id", victim.thread_id())
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert f"killed cs_id {victim.thread_id()}" in r.stdout
    with pytest.raises(Exception):
        query(victim, "SELECT 1")
    assert query(other, "SELECT 1") == ((1,),)


def test_discovered_dead_address_is_partial(dns, fleet, obpctl):
    r = discover(obpctl, dns, DEAD_NAME, "--timeout", "1s", "nodes")
    assert r.returncode == 3, (r.stdout, r.stderr)
    rows = parse_table(r.stdout)
    assert [x["STATE"] for x in rows[:3]] == ["ok"] * 3
    dead = f"127.0.0.9:{fleet.grpc_port}"
    assert rows[3]["NODE"] == "?" and rows[3]["ADDRESS"] == dead, rows
    assert f"obpctl: node {dead}:" in r.stderr, r.stderr


def test_unknown_name_fails_clearly(dns, obpctl):
    r = discover(obpctl, dns, "nosuch.test", "nodes")
    assert r.returncode != 0
    assert "cannot resolve nosuch.test" in r.stderr, r.stderr
