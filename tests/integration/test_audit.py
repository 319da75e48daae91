"""SPEC §6 audit: every kill, granted or refused, writes one JSON line with time, node,
actor, target, mode, reason and result to the configured audit log."""

import json
import os

import pymysql
import pytest

from conftest import pconnect, query


def test_kills_granted_and_refused_are_audited(proxy_factory, tmp_path):
    log = tmp_path / "audit.jsonl"
    node = proxy_factory.start(extra={"audit_log": str(log)})
    victim = pconnect(node, "bob")
    victim_id = victim.thread_id()
    alice = pconnect(node, "alice")
    with pytest.raises(pymysql.err.OperationalError) as refused:
        query(alice, f"KILL {victim_id}")
    assert refused.value.args[0] == 1095
    admin = pconnect(node, "admin")
    query(admin, f"KILL QUERY {victim_id}")
    query(admin, f"KILL PROXYSESSION {victim_id}")

    assert os.path.exists(log)
    lines = [json.loads(l) for l in log.read_text().splitlines()]
    assert len(lines) == 3, lines
    for rec in lines:
        assert rec["node"] == 1 and rec["id"] == victim_id and rec["time"]
    assert lines[0]["actor"].startswith("alice@sys from 127.0.0.1:")
    assert lines[0]["result"] == f"You are not owner of thread {victim_id}"
    assert lines[1]["mode"] == "QUERY" and lines[1]["result"] == "ok"
    assert lines[2]["mode"] == "CONNECTION" and lines[2]["result"] == "ok"
    assert lines[2]["cs_id"] == victim_id and lines[2]["actor"].startswith("admin@sys")
    for c in (alice, admin):
        c.close()
