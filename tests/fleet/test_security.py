"""SPEC §6 through the real interfaces: bearer tokens with viewer/operator roles on the
gRPC SessionService (driven with the real obpctl), refused and granted kills in the audit
log under the token's name, SQL KILL forwarded to a token-protected peer with
peer_token_file (and refused without it), TLS and mTLS on the gRPC port, and proxyd
refusing to start on a bad tokens file, peer token file or TLS key.
"""

import shutil

import grpc
import pymysql
import pytest

from conftest import assert_dead, conn_id, query
from fleet_wire import kill_session_request
from security_fixtures import (SecureFleet, make_fleet, peer_token_file, pki,  # noqa: F401
                               secret, tokens_file)

REFUSED = 2  # obpctl's exit code for refused (permission, authentication)


@pytest.fixture
def secured(make_fleet, tokens_file, peer_token_file):
    """Two nodes with tokens; both show the fleet-peer token to each other."""
    both = {"tokens_file": tokens_file, "peer_token_file": peer_token_file}
    return make_fleet({1: both, 2: both})


def sql_error(fn):
    with pytest.raises(pymysql.err.MySQLError) as info:
        fn()
    return info.value.args


# ---- tokens on the gRPC API ----------------------------------------------------------------

def test_no_token_is_unauthenticated(secured):
    r = secured.ctl("sessions", "list")
    assert r.returncode == REFUSED, (r.returncode, r.stdout, r.stderr)
    for i in (1, 2):
        assert f"node {i} ({secured.grpc[i]}): unauthenticated: missing bearer token" in r.stderr, \
            r.stderr
    r = secured.ctl("nodes")
    assert r.returncode == REFUSED and "unauthenticated" in r.stderr, (r.returncode, r.stderr)


def test_wrong_token_is_unauthenticated(secured):
    r = secured.ctl("sessions", "list", token="not-a-token-of-this-fleet-0000")
    assert r.returncode == REFUSED, (r.returncode, r.stdout, r.stderr)
    assert "unauthenticated: invalid bearer token" in r.stderr, r.stderr


def test_malformed_authorization_is_unauthenticated_and_health_stays_open(secured):
    channel = grpc.insecure_channel(secured.grpc[1])
    try:
        node_info = channel.unary_unary("/obproxy.fleet.v1.SessionService/GetNodeInfo")
        with pytest.raises(grpc.RpcError) as e:
            node_info(b"", timeout=5, metadata=[("authorization", "Basic dXNlcjpwdw==")])
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "expected 'Bearer <token>'" in e.value.details()
        # Probes carry no token: grpc.health.v1 answers SERVING (field 1 = 1).
        health = channel.unary_unary("/grpc.health.v1.Health/Check")
        assert health(b"", timeout=5) == b"\x08\x01"
    finally:
        channel.close()


def test_viewer_lists_but_cannot_kill(secured):
    victim = secured.connect(2, "app")
    cs_id = victim.thread_id()
    conn_id(victim)
    r = secured.ctl("sessions", "list", "-o", "json", token=secret("ops-view"))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert f'"cs_id":{cs_id}' in r.stdout.replace(" ", ""), r.stdout

    r = secured.ctl("kill", "--cs-id", cs_id, "--reason", "viewer try", token=secret("ops-view"))
    assert r.returncode == REFUSED, (r.returncode, r.stdout, r.stderr)
    assert "permission denied" in r.stderr and "needs an operator token" in r.stderr, r.stderr
    assert query(victim, "SELECT 1") == ((1,),)  # still alive
    refused = [a for a in secured.audit_lines(2) if a["id"] == cs_id]
    assert len(refused) == 1, secured.audit_lines(2)
    assert refused[0]["actor"] == "token:ops-view"
    assert refused[0]["reason"] == "viewer try"
    assert refused[0]["result"] == "token 'ops-view' has role viewer: KillSession needs an operator token"
    victim.close()


def test_unauthenticated_kill_is_refused_and_audited(secured):
    victim = secured.connect(1, "app")
    cs_id = victim.thread_id()
    r = secured.ctl("kill", "--cs-id", cs_id, token="wrong-token-for-this-fleet-000")
    assert r.returncode == REFUSED, (r.returncode, r.stderr)
    assert query(victim, "SELECT 1") == ((1,),)
    # And a raw KillSession with no authorization at all.
    channel = grpc.insecure_channel(secured.grpc[1])
    try:
        kill = channel.unary_unary("/obproxy.fleet.v1.SessionService/KillSession")
        with pytest.raises(grpc.RpcError) as e:
            kill(kill_session_request(cs_id), timeout=5)
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()
    assert query(victim, "SELECT 1") == ((1,),)
    lines = [a for a in secured.audit_lines(1) if a["id"] == cs_id]
    assert len(lines) == 2, lines  # both refusals are audited, under the caller's address
    assert all(a["actor"].startswith("grpc ipv4:127.0.0.1:") for a in lines), lines
    assert all(a["actor"].endswith(" (no valid token)") for a in lines), lines
    assert lines[0]["result"].startswith("invalid bearer token"), lines
    assert lines[1]["result"].startswith("missing bearer token"), lines
    victim.close()


def test_operator_kills_and_is_the_audit_actor(secured):
    victim = secured.connect(2, "app")
    cs_id = victim.thread_id()
    conn_id(victim)
    r = secured.ctl("kill", "--cs-id", cs_id, "--reason", "ops", token=secret("ops-alice"))
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert f"killed cs_id {cs_id}" in r.stdout, r.stdout
    assert_dead(victim)
    lines = [a for a in secured.audit_lines(2) if a["id"] == cs_id]
    assert len(lines) == 1, secured.audit_lines(2)
    assert lines[0]["actor"] == "token:ops-alice" and lines[0]["result"] == "ok", lines


# ---- SQL KILL forwarded to a token-protected peer ------------------------------------------

def test_sql_kill_crosses_nodes_with_peer_token(secured):
    victim = secured.connect(2, "app")
    conn_id(victim)
    admin1 = secured.connect(1, "admin")
    assert query(admin1, f"KILL {victim.thread_id()}") == ()
    assert_dead(victim)
    on_peer = [a for a in secured.audit_lines(2) if a["id"] == victim.thread_id()]
    assert len(on_peer) == 1 and on_peer[0]["result"] == "ok", on_peer
    assert on_peer[0]["actor"].startswith("admin@sys"), on_peer
    assert on_peer[0]["actor"].endswith("via node 1 (token:fleet-peer)"), on_peer
    # A backend connection id is asked of every peer (GetAttributes) with the token too.
    victim2 = secured.connect(2, "app")
    cid = conn_id(victim2)
    assert query(admin1, f"KILL {cid}") == ()
    assert_dead(victim2)
    # The SQL caller's own rights still decide on the peer: alice may not kill app's session.
    victim3 = secured.connect(2, "app")
    alice1 = secured.connect(1, "alice")
    code, msg = sql_error(lambda: query(alice1, f"KILL {victim3.thread_id()}"))
    assert (code, msg) == (1095, f"You are not owner of thread {victim3.thread_id()}")
    assert query(victim3, "SELECT 1") == ((1,),)
    for c in (admin1, alice1, victim3):
        c.close()


def test_peer_token_must_be_an_operator(make_fleet, tokens_file, tmp_path):
    viewer_token = tmp_path / "viewer.token"
    viewer_token.write_text(secret("ops-view") + "\n")
    f = make_fleet({1: {"tokens_file": tokens_file, "peer_token_file": str(viewer_token)},
                    2: {"tokens_file": tokens_file}})
    victim = f.connect(2, "app")
    admin1 = f.connect(1, "admin")
    code, msg = sql_error(lambda: query(admin1, f"KILL {victim.thread_id()}"))
    assert (code, msg) == (1095, "token 'ops-view' has role viewer: KillSession needs an "
                                 "operator token"), (code, msg)
    assert query(victim, "SELECT 1") == ((1,),)
    refused = [a for a in f.audit_lines(2) if a["id"] == victim.thread_id()]
    assert len(refused) == 1 and refused[0]["actor"] == "token:ops-view", refused
    for c in (victim, admin1):
        c.close()


def test_sql_kill_to_protected_peer_is_refused_without_peer_token(make_fleet, tokens_file):
    f = make_fleet({1: {"tokens_file": tokens_file}, 2: {"tokens_file": tokens_file}})
    assert "peer_token_file is not: cross-node KILL to peers that require tokens will be " \
           "refused" in f.nodes[1].log()
    victim = f.connect(2, "app")
    conn_id(victim)
    admin1 = f.connect(1, "admin")
    code, msg = sql_error(lambda: query(admin1, f"KILL {victim.thread_id()}"))
    assert code == 1095, (code, msg)
    assert msg.startswith(f"Node 2 ({f.grpc[2]}) refused the forwarded kill: missing bearer "
                          "token"), msg
    assert msg.endswith("(this node has no peer_token_file)"), msg
    assert query(victim, "SELECT 1") == ((1,),)   # nothing was killed
    assert query(admin1, "SELECT 1") == ((1,),)   # the caller's session carries on
    mine = [a for a in f.audit_lines(1) if a["id"] == victim.thread_id()]
    assert len(mine) == 1 and mine[0]["result"] == msg, mine
    # A connection id is asked of every peer; the refusal is reported the same way.
    code, msg = sql_error(lambda: query(admin1, f"KILL {conn_id(victim) + 1000000}"))
    assert code == 1095 and "refused the forwarded kill" in msg, (code, msg)
    for c in (victim, admin1):
        c.close()


# ---- TLS and mTLS --------------------------------------------------------------------------

def test_tls_node_needs_a_tls_client(make_fleet, pki):
    f = make_fleet({1: {"grpc_tls": pki.server_tls()}})
    r = f.ctl("nodes", "-o", "json", tls=["--ca", pki.ca])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert '"node_id":1' in r.stdout.replace(" ", ""), r.stdout
    r = f.ctl("nodes", timeout=30)
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert f"node 1 ({f.grpc[1]}): unavailable" in r.stderr, r.stderr
    # A CA that did not sign the node's certificate is not trusted either.
    r = f.ctl("nodes", tls=["--ca", pki.rogue_ca])
    assert r.returncode != 0 and "unavailable" in r.stderr, (r.stdout, r.stderr)


def test_mtls_requires_a_client_certificate_from_the_ca(make_fleet, pki):
    f = make_fleet({1: {"grpc_tls": pki.server_tls(require_client_cert=True)}})
    r = f.ctl("nodes", tls=["--ca", pki.ca])
    assert r.returncode != 0 and "unavailable" in r.stderr, (r.returncode, r.stderr)
    r = f.ctl("nodes", tls=["--ca", pki.ca, "--cert", pki.rogue_crt, "--key", pki.rogue_key])
    assert r.returncode != 0 and "unavailable" in r.stderr, (r.returncode, r.stderr)
    r = f.ctl("nodes", "-o", "json",
              tls=["--ca", pki.ca, "--cert", pki.client_crt, "--key", pki.client_key])
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert '"node_id":1' in r.stdout.replace(" ", ""), r.stdout


def test_sql_kill_crosses_an_mtls_fleet_with_tokens(make_fleet, pki, tokens_file,
                                                    peer_token_file):
    node = {"tokens_file": tokens_file, "peer_token_file": peer_token_file,
            "grpc_tls": pki.server_tls(require_client_cert=True)}
    f = make_fleet({1: node, 2: node})
    mtls = ["--ca", pki.ca, "--cert", pki.client_crt, "--key", pki.client_key]
    victim = f.connect(2, "app")
    conn_id(victim)
    admin1 = f.connect(1, "admin")
    assert query(admin1, f"KILL {victim.thread_id()}") == ()
    assert_dead(victim)
    victim2 = f.connect(1, "app")
    r = f.ctl("kill", "--cs-id", victim2.thread_id(), token=secret("ops-alice"), tls=mtls)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    assert_dead(victim2)
    admin1.close()


# ---- refusals at start ----------------------------------------------------------------------

def _start_fails(backends, extra: dict) -> str:
    """Starts one node with `extra`; it must exit non-zero. Returns its output."""
    f = SecureFleet(backends, {1: extra})
    p = f.nodes[1]
    try:
        p.start(wait=False)
        rc = p.proc.wait(timeout=30)
        assert rc not in (0, None), p.log()
        return p.log()
    finally:
        p.cleanup()
        shutil.rmtree(f.dir, ignore_errors=True)


def test_bad_tokens_file_stops_proxyd(backends, tmp_path):
    bad = tmp_path / "tokens.toml"
    bad.write_text('[[token]]\nname = "a"\nrole = "viewer"\ntoken = "abcdefghijklmnopqr"\n\n'
                   '[[token]]\nname = "b"\nrole = "root"\ntoken = "bbcdefghijklmnopqr"\n')
    log = _start_fails(backends, {"tokens_file": str(bad)})
    assert f'proxyd: {bad}:8:8: token[1].role: unknown role "root" (viewer or operator)' in log, log
    bad.write_text('[[token]]\nname = "a"\nrole = "viewer"\ntoken = "abcdefghijklmnopqr"\n\n'
                   '[[token]]\nname = "b"\nrole = "operator"\ntoken = "abcdefghijklmnopqr"\n')
    log = _start_fails(backends, {"tokens_file": str(bad)})
    assert f"proxyd: {bad}:6:1: token[1]: duplicate token" in log, log
    bad.write_text('[[token]]\nname = "a"\ntoken = "abcdefghijklmnopqr"\n')
    log = _start_fails(backends, {"tokens_file": str(bad)})
    assert f"proxyd: {bad}:1:1: token[0].role: missing" in log, log
    log = _start_fails(backends, {"tokens_file": str(tmp_path / "nope.toml")})
    assert "nope.toml: cannot read tokens file" in log, log


def test_missing_peer_token_file_stops_proxyd(backends, tmp_path):
    log = _start_fails(backends, {"peer_token_file": str(tmp_path / "absent.token")})
    assert "absent.token: cannot read peer_token_file" in log, log


def test_tls_key_not_matching_its_certificate_stops_proxyd(backends, pki):
    tls = {"cert_file": pki.server_crt, "key_file": pki.client_key}
    log = _start_fails(backends, {"grpc_tls": tls})
    assert f"grpc_tls: key_file {pki.client_key} does not match cert_file {pki.server_crt}" in log, log
