"""SPEC §2 prepared statements: the binary protocol through proxyd behaves as against MariaDB.

tests/tools/ps_probe prints what libmariadb sees (params of several types, long data,
metadata, a cursor with prefetch, reset, close, CALL with two result sets, errors)."""

import subprocess

from conftest import PASSWORDS
import sandbox


def probe(*args):
    res = subprocess.run([sandbox.tool_path("ps_probe"), *map(str, args)], capture_output=True,
                         text=True, errors="surrogateescape", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_binary_protocol_identical(proxy, primary):
    direct = probe("127.0.0.1", primary.port, "app", PASSWORDS["app"], "testdb")
    # Sanity: the probe really exercised the paths it is meant to.
    for needle in ("select row |1 |-42 |123.456", "cursor_again rows=13", "call_set1 row |8 |y",
                   "dup_insert error 1062 (23000)", "prepare error 1146 (42S02)", "end 0"):
        assert needle in direct, direct
    via = probe("127.0.0.1", proxy.port, "app", PASSWORDS["app"], "testdb")
    assert via.splitlines() == direct.splitlines()


def test_reprepare_after_server_session_lost(proxy, primary):
    """A statement whose server session died is prepared again transparently (SPEC §2)."""
    out = probe("--reprepare", "127.0.0.1", proxy.port, "app", PASSWORDS["app"], "testdb",
                primary.port)
    lines = dict(l.split(" ", 1) for l in out.strip().splitlines() if " " in l)
    assert lines["kill"] == "0", out
    first_value, first_id = lines["first"].split()
    second = lines["second"].split()
    assert first_value == "42", out
    assert second[0] == "42", f"execute after the backend connection died failed:\n{out}"
    assert second[1] != first_id, out
    assert lines["end"] == "0", out
