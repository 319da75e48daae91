"""SPEC §4 and §6 limits on the control plane, tried as an attacker and a careless
script would: the proto's rules on requests (INVALID_ARGUMENT), tokenless kill floods
that can't grow the audit log without bound, and a flood of ListSessions calls that
slows the control plane, not the data plane."""

import concurrent.futures
import json
import os
import statistics
import sys
import time

import grpc
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fleet_wire  # noqa: E402
import procfs  # noqa: E402

SERVICE = "/obproxy.fleet.v1.SessionService/"


def call(node, method, request: bytes, metadata=(), timeout=10):
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as ch:
        return ch.unary_unary(SERVICE + method)(request, metadata=metadata, timeout=timeout)


def code_of(fn) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as e:
        fn()
    return e.value.code()


def test_malformed_requests_are_invalid_arguments(proxy_factory):
    node = proxy_factory.start()
    assert code_of(lambda: call(node, "ListSessions", fleet_wire.list_sessions_request(-1))) \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: call(node, "GetAttributes", fleet_wire.get_attributes_request(0))) \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert code_of(lambda: call(node, "KillSession", fleet_wire.kill_session_request(0))) \
        == grpc.StatusCode.INVALID_ARGUMENT
    conn = pconnect(node)
    long_reason = fleet_wire.kill_session_request(conn.thread_id(), reason="r" * 1025)
    assert code_of(lambda: call(node, "KillSession", long_reason)) \
        == grpc.StatusCode.INVALID_ARGUMENT
    assert query(conn, "SELECT 1") == ((1,),)  # nothing was killed
    # Another node's cs_id: NOT_FOUND, naming the owner.
    other = (2 << 18) | 5
    with pytest.raises(grpc.RpcError) as e:
        call(node, "GetAttributes", fleet_wire.get_attributes_request(other))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    assert "node 2" in e.value.details(), e.value.details()
    # page_size above the proto's cap is served as the cap.
    reply = fleet_wire.decode(call(node, "ListSessions", fleet_wire.list_sessions_request(5000)))
    assert len(reply.get(1, [])) == 1
    conn.close()


def test_tokenless_kill_floods_cannot_fill_the_audit_log(proxy_factory, tmp_path):
    tokens = tmp_path / "tokens.toml"
    tokens.write_text("[[token]]\nname = \"ops\"\nrole = \"operator\"\ntoken = \"secret-ops-0123456789\"\n")
    audit = tmp_path / "audit.jsonl"
    node = proxy_factory.start(extra={"tokens_file": str(tokens), "audit_log": str(audit)})
    victim = pconnect(node)
    huge = fleet_wire.kill_session_request(victim.thread_id(), reason="x" * (3 << 20))
    for _ in range(30):
        assert code_of(lambda: call(node, "KillSession", huge)) in (
            grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAUTHENTICATED)
    small = fleet_wire.kill_session_request(victim.thread_id(), reason="y" * 1000)
    for _ in range(60):
        assert code_of(lambda: call(node, "KillSession", small)) == \
            grpc.StatusCode.UNAUTHENTICATED
    size = audit.stat().st_size if audit.exists() else 0
    assert size < 1 << 20, f"audit log grew to {size} bytes"
    time.sleep(1.1)
    assert code_of(lambda: call(node, "KillSession", small)) == grpc.StatusCode.UNAUTHENTICATED
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    refusals = [rec for rec in lines if rec["result"] != "suppressed"]
    summaries = [rec for rec in lines if rec["result"] == "suppressed"]
    assert len(refusals) < 60, len(refusals)
    assert summaries and "were not logged" in summaries[0]["detail"], lines[-3:]
    assert all(len(rec.get("reason", "")) <= 1024 for rec in lines)
    assert query(victim, "SELECT 1") == ((1,),)
    victim.close()


def _select1_p99(conn, seconds: float) -> float:
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        query(conn, "SELECT 1")
        samples.append(time.perf_counter() - t0)
    return statistics.quantiles(samples, n=100)[98]


def test_list_flood_does_not_stall_the_data_plane(proxy_factory):
    node = proxy_factory.start(extra={"grpc_max_concurrent_calls": 16})
    conn = pconnect(node)
    idle_sessions = [pconnect(node) for _ in range(50)]
    idle_p99 = _select1_p99(conn, 2.0)
    rss_before = procfs.rss_kib(node.pid)
    peak = [rss_before]
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as ch:
        list_sessions = ch.unary_unary(SERVICE + "ListSessions")
        futures = [list_sessions.future(b"", timeout=30) for _ in range(2000)]
        flood_p99 = _select1_p99(conn, 2.0)
        outcomes = {"ok": 0, "busy": 0}
        for f in futures:
            try:
                f.result()
                outcomes["ok"] += 1
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
                outcomes["busy"] += 1
            peak.append(procfs.rss_kib(node.pid))
    print(f"SELECT 1 p99 idle {idle_p99 * 1e3:.2f} ms, under flood {flood_p99 * 1e3:.2f} ms; "
          f"calls {outcomes}; RSS {rss_before} KiB -> peak {max(peak)} KiB")
    assert outcomes["ok"] > 0
    if os.environ.get("OBP_SANITIZE") != "ON":
        # Measured on the build operators run. Under ASan the gRPC handlers (our code,
        # instrumented) cost several times more CPU than the data path they are
        # compared with, and freed memory sits in ASan's 256 MB quarantine, so neither
        # figure says anything about proxyd there.
        assert flood_p99 <= 3 * idle_p99 + 0.002, (idle_p99, flood_p99)
        assert max(peak) - rss_before < 16 * 1024, (rss_before, max(peak))
    for c in idle_sessions + [conn]:
        c.close()
