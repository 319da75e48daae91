"""Fixtures for SPEC §6 security tests: a throwaway PKI made with the openssl CLI, a tokens
file, and small fleets whose nodes carry per-node security settings (tokens_file,
peer_token_file, [grpc_tls], audit_log). Used by test_security.py; objects here belong
to the test's thread.

Every node listens for gRPC on 127.0.0.1 with its own free port; certificates name
127.0.0.1 (and .2, .3) as IP SANs, so obpctl and peers verify them by address.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile

import pytest

from conftest import PASSWORDS, OBPCTL_TIMEOUT_S, sandbox, users
from pki import throwaway_pki

# name -> (role, secret). "fleet-peer" is what nodes show each other.
TOKENS = {
    "ops-view": ("viewer", "view-" + secrets.token_hex(16)),
    "ops-alice": ("operator", "oper-" + secrets.token_hex(16)),
    "fleet-peer": ("operator", "peer-" + secrets.token_hex(16)),
}


def secret(name: str) -> str:
    return TOKENS[name][1]


def write_tokens_file(path: str) -> str:
    with open(path, "w") as f:
        for name, (role, tok) in TOKENS.items():
            f.write(f'[[token]]\nname = "{name}"\nrole = "{role}"\ntoken = "{tok}"\n\n')
    os.chmod(path, 0o600)
    return path


class SecureFleet:
    """Nodes 1..n sharing one fleet file; node_extra[i] adds config keys to node i (a dict
    value becomes a table, e.g. grpc_tls). Each node has its own audit log."""

    def __init__(self, backends, node_extra: dict):
        self.dir = tempfile.mkdtemp(prefix="obp-secfleet-")
        self.fleet_file = os.path.join(self.dir, "fleet.toml")
        self.nodes, self.grpc, self.audit = {}, {}, {}
        tenants = {"sys": [("primary", backends["primary"]), ("replica1", backends["replica1"])]}
        for i, extra in node_extra.items():
            self.grpc[i] = f"127.0.0.1:{sandbox.free_port()}"
            self.audit[i] = os.path.join(self.dir, f"audit{i}.jsonl")
            conf = {"grpc_listen": self.grpc[i], "audit_log": self.audit[i], **extra}
            self.nodes[i] = sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"), tenants, users(),
                                           node_id=i, cluster="test",
                                           fleet_file=self.fleet_file, extra=conf)
        with open(self.fleet_file, "w") as f:
            for i, p in self.nodes.items():
                f.write(f'[[node]]\nid = {i}\ngrpc = "{self.grpc[i]}"\n'
                        f'sql = "127.0.0.1:{p.port}"\n\n')

    def start(self) -> "SecureFleet":
        for i, p in self.nodes.items():
            p.start()
            port = int(self.grpc[i].rsplit(":", 1)[1])
            if not _wait(lambda: sandbox.port_open(port), 30):
                raise RuntimeError(f"node {i}: gRPC not listening:\n{p.log()[-3000:]}")
        return self

    def connect(self, node_id: int, user: str = "app", **kw):
        kw.setdefault("autocommit", True)
        return sandbox.connect(self.nodes[node_id].port, user, PASSWORDS[user], None, **kw)

    def audit_lines(self, node_id: int) -> list:
        import json
        try:
            with open(self.audit[node_id]) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def ctl(self, *args, token: str | None = None, tls=(), node: int | None = None,
            timeout: float = OBPCTL_TIMEOUT_S) -> subprocess.CompletedProcess:
        """The real obpctl: `obpctl (--fleet F | --node ADDR) [--token T] [TLS flags] ARGS`.
        The per-node deadline is 10 s: these tests are about refusals, not slowness, and
        the machine may be busy."""
        where = ["--node", self.grpc[node]] if node else ["--fleet", self.fleet_file]
        where += ["--timeout", "10s"]
        cmd = [sandbox.env_path("OBPCTL_BIN"), *where, *(["--token", token] if token else []),
               *tls, *map(str, args)]
        env = {k: v for k, v in os.environ.items() if k not in ("OBPCTL_FLEET", "OBPCTL_TOKEN")}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)

    def close(self) -> None:
        errors = []
        for i, p in self.nodes.items():
            rc = p.stop()
            with contextlib.suppress(AssertionError):
                p.assert_sanitizer_clean()
            if rc not in (0, None):
                detail = p.sanitizer_report() or p.log()[-3000:]
                errors.append(f"node {i}: proxyd exited {rc}:\n{detail}")
            p.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
        assert not errors, "\n".join(errors)


def _wait(pred, timeout: float, step: float = 0.05) -> bool:
    import time
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
    return True


@pytest.fixture(scope="module")
def pki():
    with throwaway_pki() as made:
        yield made


@pytest.fixture(scope="module")
def tokens_file():
    d = tempfile.mkdtemp(prefix="obp-tokens-")
    try:
        yield write_tokens_file(os.path.join(d, "tokens.toml"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def peer_token_file():
    d = tempfile.mkdtemp(prefix="obp-peertok-")
    path = os.path.join(d, "peer.token")
    with open(path, "w") as f:
        f.write(secret("fleet-peer") + "\n")
    try:
        yield path
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_fleet(backends):
    """make_fleet({1: {...}, 2: {...}}) -> a started SecureFleet, closed at teardown."""
    made = []

    def make(node_extra: dict) -> SecureFleet:
        f = SecureFleet(backends, node_extra)
        made.append(f)
        return f.start()

    yield make
    for f in made:
        f.close()
