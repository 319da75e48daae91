#!/usr/bin/python3
"""System calls per query: haproxy (TCP) and proxyd under the same sysbench run.

On a 2-core machine most of a forwarder's CPU per query is in the kernel (two
recv, two send and the epoll waits per round trip), which callgrind does not see.
This attaches `strace -c -f` to each proxy in turn while sysbench runs a fixed
number of oltp_point_select events through it, and prints calls per query by
system call. strace slows the traced proxy a lot; only the counts are meaningful.

With --workload connrate it counts calls per connection instead, under
`connload connrate` (connect, authenticate, SELECT 1, close).

Run: /usr/bin/python3 bench/syscalls.py [--proxyd build/proxyd/proxyd]
     [--events 20000] [--threads 8] [--workload point_select|connrate]
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the harness that starts MariaDB, haproxy and proxyd)
from benchlib import workloads  # noqa: E402

_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)?\s*(\w+)\s*$")


def parse_strace_summary(text):
    """{syscall: (calls, errors)} from `strace -c` output."""
    out = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m and m.group(3) != "total":
            out[m.group(3)] = (int(m.group(1)), int(m.group(2) or 0))
    return out


def _point_select(target, events, threads, tables, table_size):
    cmd = ["sysbench", "oltp_point_select", *workloads._sysbench_common(target, tables, table_size),
           f"--threads={threads}", "--time=0", f"--events={events}", "--db-ps-mode=disable",
           "--mysql-ignore-errors=none", "run"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    m = re.search(r"^\s*queries:\s+(\d+)", r.stdout, re.M)
    return int(m.group(1)) if m else 0


def _connrate(tool, target, threads, seconds=5):
    r = workloads.connrate_run(tool, target, threads, seconds, None)
    return r.get("connections", 0)


def traced_run(target, load):
    """Runs load(target) -> units of work with strace counting the proxy's calls."""
    with tempfile.NamedTemporaryFile("r", suffix=".strace", delete=False) as f:
        path = f.name
    tracer = subprocess.Popen(["strace", "-c", "-f", "-q", "-o", path, "-p", str(target.proxy_pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # attached to every thread before the load starts
        queries = load(target)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    with open(path) as f:
        summary = parse_strace_summary(f.read())
    os.unlink(path)
    return queries, summary


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxyd")
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workload", choices=["point_select", "connrate"], default="point_select")
    mine = ap.parse_args(argv)
    args = bench.parse_args(["--targets", "haproxy,proxyd", "--parts", "sysbench"]
                            + (["--proxyd", mine.proxyd] if mine.proxyd else []))
    plan = bench.make_plan(args)
    plan.update(tables=2, table_size=1000)
    h = bench.Harness(plan, args)
    results = {}
    try:
        h.start()
        if mine.workload == "connrate":
            unit, what = "conn", f"connect + SELECT 1 + close, {mine.threads} threads"
            load = lambda t: _connrate(h.tool, t, mine.threads)  # noqa: E731
        else:
            unit, what = "q", f"oltp_point_select, {mine.threads} threads, {mine.events} events"
            load = lambda t: _point_select(t, mine.events, mine.threads, 2, 1000)  # noqa: E731
        for t in h.targets:
            queries, summary = traced_run(t, load)
            results[t.name] = (queries, summary)
            bench.log(f"{t.name}: {queries} queries traced")
    finally:
        h.stop()
    names = sorted({s for _, summary in results.values() for s in summary},
                   key=lambda s: -max(summary.get(s, (0, 0))[0] / max(q, 1)
                                      for q, summary in results.values()))
    targets = list(results)
    print(f"\n## System calls per {'connection' if unit == 'conn' else 'query'} ({what}, strace -c -f)\n")
    print("| syscall | " + " | ".join(f"{t} calls/{unit} (errors/{unit})" for t in targets) + " |")
    print("|---|" + "---|" * len(targets))
    totals = {t: 0.0 for t in targets}
    for name in names:
        cells = []
        for t in targets:
            q, summary = results[t]
            calls, errors = summary.get(name, (0, 0))
            per = calls / max(q, 1)
            totals[t] += per
            cells.append(f"{per:.2f} ({errors / max(q, 1):.2f})")
        if any(summary.get(name, (0, 0))[0] / max(q, 1) >= 0.01 for q, summary in results.values()):
            print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **total** | " + " | ".join(f"{totals[t]:.2f}" for t in targets) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
