"""SPEC §8 metrics across the fleet: a SQL KILL typed on node 1 for a session of node 2
is counted on node 1 as a sql kill and a forwarded kill, and on node 2 as a peer kill
(the owner's audit line); an operator's obpctl kill counts as grpc on the owner."""

import re
import urllib.request

import pytest

from conftest import Fleet, Obpctl, assert_dead, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def fleet(backends):
    f = Fleet(backends, metrics=True)
    try:
        f.start()
        yield f
    finally:
        f.close()


def scrape(fleet, node_id) -> dict:
    url = f"http://127.0.0.1:{fleet.metrics_port[node_id]}/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            out[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def kills(samples, source, result="ok") -> float:
    return value(samples, "proxyd_kills_total", source=source, mode="connection", result=result)


def test_a_forwarded_sql_kill_counts_on_both_nodes(opener, fleet):
    before1, before2 = scrape(fleet, 1), scrape(fleet, 2)
    admin1 = opener(1, "admin")
    victim = opener(2, "app")
    cs = victim.thread_id()
    with admin1.cursor() as cur:
        cur.execute(f"KILL {cs}")
    assert_dead(victim)
    # The owner writes its audit line (and counts) when its kill is done.
    assert wait_until(lambda: kills(scrape(fleet, 2), "peer") > kills(before2, "peer"), 10)
    after1, after2 = scrape(fleet, 1), scrape(fleet, 2)
    assert kills(after1, "sql") - kills(before1, "sql") == 1
    assert value(after1, "proxyd_kills_forwarded_total", result="ok") - \
        value(before1, "proxyd_kills_forwarded_total", result="ok") == 1
    assert kills(after2, "peer") - kills(before2, "peer") == 1
    assert kills(after2, "sql") == kills(before2, "sql")  # not counted twice on the owner
    assert value(after2, "proxyd_kills_forwarded_total", result="ok") == \
        value(before2, "proxyd_kills_forwarded_total", result="ok")


def test_an_operators_kill_counts_as_grpc_on_the_owner(opener, fleet):
    before3 = scrape(fleet, 3)
    victim = opener(3, "app")
    Obpctl(fleet).ok("kill", "--cs-id", victim.thread_id(), "--reason", "metrics")
    assert_dead(victim)
    assert wait_until(lambda: kills(scrape(fleet, 3), "grpc") - kills(before3, "grpc") == 1, 10)
