"""SPEC §8 Metrics: `metrics_listen` serves GET /metrics in the Prometheus text format.

curl scrapes it, `promtool check metrics` accepts what it serves, and the counters move
as the test acts (logins, statements, a failed login, kills from SQL and gRPC, a
refused connection); the gauges show live sessions by tenant and state and the
backends. A real Prometheus server scrapes a node and answers a query for
proxyd_client_sessions. A metrics address that cannot be bound stops the start."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse

import pymysql
import pytest

from conftest import pconnect, query

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sandbox  # noqa: E402

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
CURL = shutil.which("curl") or "/usr/bin/curl"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape_text(port: int) -> str:
    res = subprocess.run([CURL, "-sS", "--fail", "--max-time", "10",
                          f"http://127.0.0.1:{port}/metrics"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout


def parse(text: str) -> dict:
    """{(name, frozenset(labels.items())): value} for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples: dict, name: str, **labels) -> float:
    """The sample `name` with exactly these labels; 0 when it is absent."""
    return samples.get((name, frozenset(labels.items())), 0.0)


class Scraper:
    def __init__(self, port: int):
        self.port = port

    def __call__(self) -> dict:
        return parse(scrape_text(self.port))


@pytest.fixture
def metered(proxy_factory):
    """A node with metrics on, room for three client sessions and no reserved admin slot."""
    port = sandbox.free_port()
    node = proxy_factory.start(extra={"metrics_listen": f"127.0.0.1:{port}",
                                      "max_connections": 3, "admin_reserved_connections": 0})
    yield node, Scraper(port)
    node.stop()
    node.assert_sanitizer_clean()


def test_metrics_are_off_by_default(node):
    sandbox.wait_until(lambda: "ready" in node.log(), timeout=10)
    ready = [line for line in node.log().splitlines() if "ready" in line]
    assert ready and " metrics " not in ready[-1], ready


def test_promtool_accepts_the_scrape(metered):
    node, scrape = metered
    conn = pconnect(node, "app")
    assert query(conn, "SELECT 1") == ((1,),)
    text = scrape_text(scrape.port)
    res = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, (res.stdout, res.stderr, text)
    for family in ("proxyd_client_sessions", "proxyd_server_sessions", "proxyd_pooled_connections",
                   "proxyd_connections_accepted_total", "proxyd_connections_refused_total",
                   "proxyd_commands_total", "proxyd_statement_duration_seconds",
                   "proxyd_client_bytes_total", "proxyd_kills_total",
                   "proxyd_kills_forwarded_total", "proxyd_backend_up",
                   "proxyd_login_failures_total", "proxyd_config_reloads_total",
                   "proxyd_draining"):
        assert f"# TYPE {family} " in text, family
    conn.close()


def test_counters_move_as_sessions_act(metered):
    node, scrape = metered
    before = scrape()
    app = pconnect(node, "app", database="testdb")
    for _ in range(5):
        assert query(app, "SELECT 1") == ((1,),)
    app.ping(reconnect=False)
    with pytest.raises(pymysql.err.OperationalError) as denied:
        pconnect(node, "app", password="wrong")
    assert denied.value.args[0] == 1045
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("proxyd_connections_accepted_total") == 2
    assert delta("proxyd_commands_total", command="query") >= 5
    assert delta("proxyd_commands_total", command="ping") == 1
    assert delta("proxyd_statement_duration_seconds_count") >= 5
    assert delta("proxyd_statement_duration_seconds_bucket", le="+Inf") >= 5
    assert delta("proxyd_login_failures_total", reason="access_denied") == 1
    assert delta("proxyd_client_bytes_total", direction="in") > 0
    assert delta("proxyd_client_bytes_total", direction="out") > 0
    # Gauges read at scrape time: the live session, its server session, the backend.
    assert value(after, "proxyd_client_sessions", tenant="sys", state="MCS_KEEP_ALIVE") == 1
    assert value(after, "proxyd_server_sessions", tenant="sys", backend="primary") == 1
    assert value(after, "proxyd_backend_up", tenant="sys", backend="primary") == 1
    assert value(after, "proxyd_draining") == 0
    assert value(after, "proxyd_config_reloads_total", result="ok") == 0
    app.close()
    # The session is gone from the gauge; its bytes stay in the counter.
    gone = sandbox.wait_until(
        lambda: (lambda s: s if value(s, "proxyd_client_sessions", tenant="sys",
                                      state="MCS_KEEP_ALIVE") == 0 else None)(scrape()),
        timeout=10)
    assert gone, "the closed session still counts as live"
    assert value(gone, "proxyd_client_bytes_total", direction="in") >= \
        value(after, "proxyd_client_bytes_total", direction="in")


def test_kills_and_refusals_are_counted(metered):
    node, scrape = metered
    before = scrape()
    admin = pconnect(node, "admin")
    victim = pconnect(node, "app")
    other = pconnect(node, "bob")
    # A fourth connection is past max_connections = 3.
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pconnect(node, "app")
    assert refused.value.args[0] == 1040
    query(admin, f"KILL {victim.thread_id()}")
    with pytest.raises(pymysql.err.OperationalError):
        query(admin, "KILL 987654")  # no such session
    # gRPC (obpctl): an operator's kill.
    res = subprocess.run([sandbox.env_path("OBPCTL_BIN"), "--node", f"127.0.0.1:{node.grpc_port}",
                          "kill", "--cs-id", str(other.thread_id()), "--reason", "metrics test"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, (res.stdout, res.stderr)
    after = sandbox.wait_until(
        lambda: (lambda s: s if value(s, "proxyd_kills_total", source="grpc", mode="connection",
                                      result="ok") > 0 else None)(scrape()),
        timeout=10)
    assert after, "the gRPC kill was not counted"

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("proxyd_connections_refused_total", reason="max_connections") == 1
    assert delta("proxyd_kills_total", source="sql", mode="connection", result="ok") == 1
    assert delta("proxyd_kills_total", source="sql", mode="connection", result="not_found") == 1
    assert delta("proxyd_kills_total", source="grpc", mode="connection", result="ok") == 1
    admin.close()


def test_metrics_listen_in_use_stops_the_start(proxy_factory):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        node = sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"),
                              {"sys": [("primary", proxy_factory.backends["primary"])]},
                              [{"tenant": "sys", "name": "app", "password": "app_pw"}],
                              extra={"metrics_listen": f"127.0.0.1:{port}"})
        try:
            node.start(wait=False)
            assert node.proc.wait(timeout=30) != 0
            assert f"metrics_listen: cannot listen on 127.0.0.1:{port}" in node.log(), node.log()
        finally:
            node.cleanup()


def test_bad_metrics_listen_is_refused_with_file_line_and_key(proxy_factory):
    node = sandbox.Proxyd(sandbox.env_path("PROXYD_BIN"),
                          {"sys": [("primary", proxy_factory.backends["primary"])]},
                          [{"tenant": "sys", "name": "app", "password": "app_pw"}],
                          extra={"metrics_listen": "metrics.example:9100"})
    try:
        node.start(wait=False)
        assert node.proc.wait(timeout=30) != 0
        assert re.search(r"proxyd\.toml:\d+:\d+: metrics_listen: expected an IP address",
                         node.log()), node.log()
    finally:
        node.cleanup()


def test_prometheus_scrapes_a_node(metered, tmp_path):
    node, scrape = metered
    conn = pconnect(node, "app")  # a live session: proxyd_client_sessions has a sample
    web_port = sandbox.free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: proxyd\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{scrape.port}']\n")
    log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{web_port}"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True)
    url = (f"http://127.0.0.1:{web_port}/api/v1/query?"
           + urllib.parse.urlencode({"query": "proxyd_client_sessions"}))

    def answered():
        # -f: until it is ready, Prometheus answers 503 "Service Unavailable" in plain
        # text, which is not an answer yet.
        res = subprocess.run([CURL, "-fsS", "--max-time", "5", url], capture_output=True,
                             text=True, timeout=30)
        if res.returncode != 0:
            return None
        body = json.loads(res.stdout)
        results = body.get("data", {}).get("result", [])
        return results if body.get("status") == "success" and results else None

    try:
        results = sandbox.wait_until(answered, timeout=90, step=0.5)
        assert results, (tmp_path / "prometheus.log").read_text()[-3000:]
        mine = [r for r in results if r["metric"].get("tenant") == "sys"]
        assert mine and mine[0]["metric"]["job"] == "proxyd", results
        assert float(mine[0]["value"][1]) >= 1
    finally:
        os.killpg(prom.pid, signal.SIGTERM)
        try:
            prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(prom.pid, signal.SIGKILL)
            prom.wait(timeout=10)
        log.close()
        conn.close()


def test_reloads_and_the_drain_are_counted(metered):
    node, scrape = metered
    before = scrape()
    assert value(before, "proxyd_draining") == 0
    assert value(before, "proxyd_config_reloads_total", result="ok") == 0
    node.proc.send_signal(signal.SIGHUP)
    assert sandbox.wait_until(
        lambda: value(scrape(), "proxyd_config_reloads_total", result="ok") == 1, timeout=10)
    with open(node.config_path, "a") as f:
        f.write("this is not toml\n")
    node.proc.send_signal(signal.SIGHUP)
    assert sandbox.wait_until(
        lambda: value(scrape(), "proxyd_config_reloads_total", result="failed") == 1, timeout=10)
    holder = pconnect(node, "app")
    query(holder, "BEGIN")  # keeps the drain (and the metrics endpoint) going
    node.proc.send_signal(signal.SIGTERM)
    assert sandbox.wait_until(lambda: value(scrape(), "proxyd_draining") == 1, timeout=10)
    query(holder, "COMMIT")
    assert node.proc.wait(timeout=15) == 0
