"""SPEC §9 memory: what remembering 10,000 ended sessions costs a node.

The same short-connection load (connect, one statement, quit) goes through two fresh
proxyd nodes, one with history_size = 0 and one with history_size = ENTRIES; the
difference of their RSS growth is the history's cost, with everything else a
connection leaves behind (allocator caches, pools) cancelled out."""

import time

from benchlib import procstat, targets, workloads

ENTRIES = 10000
MAX_ROUNDS = 20      # connrate rounds per node, each `seconds` long: the load is bounded
ROUND_SECONDS = 3


def _count_history(target) -> int:
    conn = workloads._connect(target)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW PROXYSESSION HISTORY")
            return len(cur.fetchall())
    finally:
        conn.close()


def one_node(bench, history_size: int) -> dict:
    proc = None
    r = {"history_size": history_size}
    try:
        proc, note = targets.start_proxyd(bench.sandbox, bench.proxyd_bin, bench.db.port,
                                          bench.args.proxy_threads,
                                          extra_keys={"history_size": history_size})
        if note:
            bench.note(note)
        t = targets.Target("proxyd", "127.0.0.1", proc.port, proc.pid)
        workloads.connrate_run(bench.tool, t, 4, 1, bench.db_pid)  # first-use setup
        time.sleep(0.5)
        r["rss_before_kib"] = procstat.rss_kib(proc.pid)
        connections = 0
        for _ in range(MAX_ROUNDS):
            run = workloads.connrate_run(bench.tool, t, 8, ROUND_SECONDS, bench.db_pid)
            if run.get("error"):
                r["error"] = run["error"][:300]
                return r
            connections += run.get("connections", 0)
            if connections >= ENTRIES + 2000:
                break
        time.sleep(1.0)
        r["connections"] = connections
        r["rss_after_kib"] = procstat.rss_kib(proc.pid)
        r["entries"] = _count_history(t)
        if r["rss_before_kib"] is not None and r["rss_after_kib"] is not None:
            r["growth_kib"] = r["rss_after_kib"] - r["rss_before_kib"]
    except Exception as e:  # noqa: BLE001  (one node's failure must not stop the run)
        r["error"] = str(e)[:300]
    finally:
        if proc is not None:
            proc.cleanup()
    return r


def run(bench) -> list:
    rows = [one_node(bench, 0), one_node(bench, ENTRIES)]
    off, on = rows
    if "growth_kib" in off and "growth_kib" in on:
        on["history_cost_kib"] = on["growth_kib"] - off["growth_kib"]
    return rows
