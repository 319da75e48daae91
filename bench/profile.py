#!/usr/bin/python3
"""Profiles proxyd (or haproxy, for comparison) during a short sysbench
oltp_point_select run and prints the top symbols, so a missed benchmark goal
comes with a profile.

Uses `perf record -g` when perf can count instructions here, otherwise runs the
proxy under `valgrind --tool=callgrind` (much slower; the sysbench numbers of
that run mean nothing). Output is kept in bench/results/tmp-profile-<stamp>/.
"""
import argparse
import datetime
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import targets, workloads  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))


def perf_usable():
    """perf is used when it can count instructions (hardware counters); VMs
    often lack them, and then callgrind gives exact instruction counts."""
    try:
        r = subprocess.run(["perf", "stat", "-e", "instructions", "true"],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    out = r.stdout + r.stderr
    return r.returncode == 0 and "not supported" not in out and "instructions" in out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--proxyd", help="proxyd binary (default as bench.py)")
    ap.add_argument("--target", choices=("proxyd", "haproxy"), default="proxyd")
    ap.add_argument("--tool", choices=("auto", "perf", "callgrind"), default="auto")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8, help="sysbench threads")
    ap.add_argument("--ps-mode", default="disable", choices=("disable", "auto"))
    ap.add_argument("--workload", default="point_select", choices=("point_select", "connrate"),
                    help="sysbench oltp_point_select, or connload's connect + SELECT 1 + close")
    ap.add_argument("--proxy-threads", type=int, default=1)
    ap.add_argument("--top", type=int, default=40, help="symbols to print")
    ap.add_argument("--call-graph", default="fp",
                    help="perf call-graph mode: fp (= -g) or dwarf (needs no frame pointers)")
    return ap.parse_args(argv)


def callgrind_cmd(out_dir):
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/callgrind.out"]


def callgrind_wrapper(out_dir, binary):
    """A script the sandbox can start as 'the proxyd binary' that runs the real
    one under callgrind."""
    path = os.path.join(out_dir, "proxyd-under-callgrind.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec " + " ".join(callgrind_cmd(out_dir)) + f' {binary} "$@"\n')
    os.chmod(path, 0o755)
    return path


def start_proxy(args, sandbox, db, tool, out_dir):
    if args.target == "haproxy":
        wrapper = callgrind_cmd(out_dir) if tool == "callgrind" else ()
        h = targets.HAProxy(db.port, args.proxy_threads, wrapper=wrapper)
        h.start(sandbox.free_port)
        return h
    binary = targets.find_proxyd(args.proxyd)
    if not binary:
        sys.exit("proxyd binary not found: pass --proxyd or set PROXYD_BIN")
    print(f"profiling {binary}", file=sys.stderr)
    if tool == "callgrind":
        binary = callgrind_wrapper(out_dir, binary)
    proxy, _ = targets.start_proxyd(sandbox, binary, db.port, args.proxy_threads)
    return proxy


def run_load(args, target):
    if args.workload == "connrate":
        import bench  # builds connload on first use
        r = workloads.connrate_run(bench.build_tool(), target, args.threads, args.seconds, None)
        print(f"load: {r.get('per_sec')} conn/s {r.get('error', '')}", file=sys.stderr)
        return
    r = workloads.sysbench_run(target, "oltp_point_select", args.ps_mode, args.threads,
                               args.seconds, 4, 10000, None)
    print(f"load: {r.get('qps')} qps, p95 {r.get('p95_ms')} ms {r.get('error', '')}",
          file=sys.stderr)


def profile_perf(args, target, out_dir):
    data = os.path.join(out_dir, "perf.data")
    cg = ["-g"] if args.call_graph == "fp" else ["--call-graph", args.call_graph]
    rec = subprocess.Popen(["perf", "record", *cg, "-F", "999", "-o", data,
                            "-p", str(target.proxy_pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    run_load(args, target)
    rec.send_signal(signal.SIGINT)  # perf writes its file on SIGINT
    rec.wait(timeout=60)
    flat = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                           "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.5"],
                          capture_output=True, text=True, timeout=300).stdout
    lines = [ln for ln in flat.splitlines() if ln.strip() and not ln.startswith("#")]
    print(f"\n== top symbols by self time ({data}) ==")
    print("\n".join(lines[:args.top]))
    print(f"\ncall graphs: perf report -i {data} --no-children")


def profile_callgrind(args, proxy, target, out_dir):
    # Zero the counters so start-up (dynamic linking, config) is not in the profile.
    subprocess.run(["callgrind_control", "-z", str(target.proxy_pid)],
                   capture_output=True, timeout=30)
    run_load(args, target)
    proxy.stop()  # callgrind writes its output when the program exits
    out = os.path.join(out_dir, "callgrind.out")
    ann = subprocess.run(["callgrind_annotate", out], capture_output=True, text=True,
                         timeout=300).stdout
    lines = ann.splitlines()
    # Skip callgrind_annotate's header block; the table starts after "file:function".
    start = next((i + 2 for i, ln in enumerate(lines) if ln.rstrip().endswith("file:function")), 0)
    total = next((ln for ln in lines if "PROGRAM TOTALS" in ln), "")
    print(f"\n== top functions by instructions ({out}) ==\n{total}")
    print("\n".join(lines[start:start + args.top]))


def main(argv=None):
    args = parse_args(argv)
    tool = args.tool
    if tool == "auto":
        tool = "perf" if perf_usable() else "callgrind"
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    out_dir = os.path.join(BENCH_DIR, "results", f"tmp-profile-{stamp}")
    os.makedirs(out_dir, exist_ok=True)
    sandbox = targets.load_sandbox()
    db = targets.start_mariadb(sandbox, max_connections=2000)
    proxy = None
    try:
        direct = targets.Target("direct", "127.0.0.1", db.port)
        workloads.sysbench_prepare(direct, 4, 10000)
        proxy = start_proxy(args, sandbox, db, tool, out_dir)
        target = targets.Target(args.target, "127.0.0.1", proxy.port, proxy.pid)
        print(f"tool: {tool}; {args.seconds}s {args.workload}, {args.threads} threads",
              file=sys.stderr)
        if tool == "perf":
            profile_perf(args, target, out_dir)
        else:
            profile_callgrind(args, proxy, target, out_dir)
    finally:
        if proxy is not None:
            proxy.cleanup() if hasattr(proxy, "cleanup") else proxy.stop()
        db.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
