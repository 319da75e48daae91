"""SPEC §8 logs: `log_format = "json"` writes one JSON object per line (time, level,
thread, msg) for collectors; events, not packets: a backend going up (info) and down
(warn) is one line each, a login is one debug line, queries add none; SIGUSR1 reopens
the file in the same format; a bad log_format is refused with file, line and key."""

import json
import os
import re
import signal
import sys

import pymysql
import pytest

from conftest import PASSWORDS, default_users, pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402


def records(path) -> list:
    with open(path) as f:
        lines = f.read().splitlines()
    out = [json.loads(line) for line in lines]  # every line is one JSON object
    for r in out:
        assert set(r) == {"time", "level", "thread", "msg"}, r
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["time"]), r
    return out


def test_json_lines_one_per_event(proxy_factory, primary, tmp_path):
    log = tmp_path / "proxyd.log"
    dead = f"127.0.0.1:{sandbox.free_port()}"  # nothing listens there
    users = [u for u in default_users() if u["tenant"] == "sys"] + [
        {"tenant": "dead", "name": "ghost", "password": "ghost_pw"}]
    node = proxy_factory.start(
        tenants={"sys": [("primary", primary)], "dead": [("gone", dead)]}, users=users,
        extra={"log_format": "json", "log_file": str(log), "log_level": "debug"})
    assert sandbox.wait_until(lambda: log.exists() and "ready" in log.read_text(), timeout=10)
    conn = pconnect(node, "app")
    for _ in range(20):
        query(conn, "SELECT 1")
    for _ in range(2):  # the second failure is no change: no second line
        with pytest.raises(pymysql.err.OperationalError) as refused:
            pymysql.connect(host="127.0.0.1", port=node.port, user="ghost@dead",
                            password="ghost_pw", connect_timeout=10)
        assert refused.value.args[0] == 2003, refused.value.args

    recs = records(log)
    msgs = [(r["level"], r["msg"]) for r in recs]
    assert any(lvl == "info" and "ready" in m for lvl, m in msgs), msgs
    assert msgs.count(("info", "backend sys/primary up")) == 1, msgs
    down = [m for lvl, m in msgs if lvl == "warning" and m.startswith("backend dead/gone down")]
    assert len(down) == 1, msgs
    assert sum("logged in as app@sys" in m for _, m in msgs) == 1, msgs
    assert not any("SELECT 1" in m for _, m in msgs), msgs  # no per-statement line

    # SIGUSR1 after logrotate's rename: a new file, still JSON.
    os.rename(log, tmp_path / "proxyd.log.1")
    node.proc.send_signal(signal.SIGUSR1)
    assert sandbox.wait_until(lambda: log.exists() and "reopened" in log.read_text(), timeout=10)
    assert any("reopened" in r["msg"] for r in records(log))
    conn.close()


def test_text_is_the_default(proxy_factory, tmp_path):
    log = tmp_path / "proxyd.log"
    node = proxy_factory.start(extra={"log_file": str(log)})
    assert sandbox.wait_until(lambda: log.exists() and "ready" in log.read_text(), timeout=10)
    first = log.read_text().splitlines()[0]
    assert not first.startswith("{") and "[info]" in first, first
    assert node.stop() == 0


def test_a_bad_log_format_is_refused_with_file_line_and_key(proxy_factory):
    node = sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"),
                          {"sys": [("primary", proxy_factory.backends["primary"])]},
                          [{"tenant": "sys", "name": "app", "password": PASSWORDS["app"]}],
                          extra={"log_format": "yaml"})
    try:
        node.start(wait=False)
        assert node.proc.wait(timeout=30) == 2
        assert re.search(r'proxyd\.toml:\d+:\d+: log_format: expected text\|json, got "yaml"',
                         node.log()), node.log()
    finally:
        node.cleanup()
