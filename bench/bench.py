#!/usr/bin/python3
"""Benchmark harness: direct MariaDB vs haproxy (TCP) vs proxyd.

Runs sysbench OLTP, a connect-rate test, idle-session memory and kill latency
against each target, interleaving targets and repeating runs, and writes
bench/results/<date>-<host>.{md,json}. See bench/README.md for how to read it.

Run with Debian's python: /usr/bin/python3 bench/bench.py [--smoke|--quick]
"""
import argparse
import datetime
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import history_mem, report, targets, tls_setup, workloads  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
TOOL_SRC = os.path.join(BENCH_DIR, "tools", "connload.c")

SB_ALL = [(wl, ps, thr) for wl in ("oltp_point_select", "oltp_read_only")
          for ps in ("disable", "auto") for thr in (1, 8, 32)]
PLANS = {
    # ~25 min on 2 cores: 15 combos x 3 targets x 3 reps x ~11 s, plus idle/kill.
    "full": dict(reps=3, seconds=10, sysbench=SB_ALL, connrate=(1, 8, 32),
                 idle=(1000, 10000), kills=1000, tables=4, table_size=10000, tls=(8, 32)),
    "quick": dict(reps=3, seconds=10,
                  sysbench=[("oltp_point_select", "disable", t) for t in (1, 8, 32)]
                  + [("oltp_point_select", "auto", 8), ("oltp_read_only", "disable", 8)],
                  connrate=(8, 32), idle=(1000,), kills=100, tables=4, table_size=10000,
                  tls=(8, 32)),
    # Checks the harness works; numbers from it mean nothing.
    "smoke": dict(reps=1, seconds=2,
                  sysbench=[(wl, ps, 2) for wl in ("oltp_point_select", "oltp_read_only")
                            for ps in ("disable", "auto")],
                  connrate=(2,), idle=(20,), kills=20, tables=2, table_size=1000, tls=(2,)),
}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="every part once, tiny and fast")
    mode.add_argument("--quick", action="store_true", help="fewer combinations (~12 min)")
    ap.add_argument("--proxyd", help="proxyd binary (default: $PROXYD_BIN, build/proxyd/proxyd, "
                    "newest build*/proxyd/proxyd)")
    ap.add_argument("--proxyd-b", help="a second proxyd binary, measured as target 'proxyd-b' "
                    "in the same interleaved run (A/B of two builds; not in the ratios)")
    ap.add_argument("--proxyd-b-metrics", action="store_true",
                    help="run proxyd-b with metrics_listen on (SPEC §8) and scrape it once at "
                    "the end, to A/B the cost of metrics")
    ap.add_argument("--targets", default="direct,haproxy,proxyd", help="comma list")
    ap.add_argument("--parts", default="sysbench,connrate,kill,idle,tls,history",
                    help="comma list of sysbench, connrate, kill, idle, tls, history")
    ap.add_argument("--reps", type=int, help="repetitions per combination (>= 3 for real numbers)")
    ap.add_argument("--time", type=int, dest="seconds", help="seconds per run")
    ap.add_argument("--threads", help="override sysbench/connect thread counts, e.g. 1,8,32")
    ap.add_argument("--workloads", help="only these sysbench runs, e.g. "
                    "oltp_point_select:disable,oltp_read_only (all ps modes when none given)")
    ap.add_argument("--proxy-threads", type=int, default=1,
                    help="worker threads for haproxy (nbthread) and proxyd (threads); same for both")
    ap.add_argument("--kills", type=int)
    ap.add_argument("--idle", help="idle session counts, e.g. 1000,10000")
    ap.add_argument("--out", help="results dir (default bench/results; smoke: bench/results/tmp-smoke)")
    return ap.parse_args(argv)


def make_plan(args):
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    plan = dict(PLANS[name], name=name)
    for k in ("reps", "seconds", "kills"):
        if getattr(args, k):
            plan[k] = getattr(args, k)
    if args.threads:
        thr = [int(x) for x in args.threads.split(",")]
        plan["sysbench"] = sorted({(w, p, t) for w, p, _ in plan["sysbench"] for t in thr},
                                  key=lambda c: (c[0], c[1] != "disable", c[2]))
        plan["connrate"] = tuple(thr)
        plan["tls"] = tuple(thr)
    if args.workloads:
        wanted = [w.split(":") for w in args.workloads.split(",") if w]
        plan["sysbench"] = [c for c in plan["sysbench"]
                            if any(c[0] == w[0] and (len(w) == 1 or c[1] == w[1]) for w in wanted)]
    if args.idle:
        plan["idle"] = tuple(int(x) for x in args.idle.split(","))
    plan["targets"] = [t for t in args.targets.split(",") if t]
    plan["parts"] = set(args.parts.split(","))
    return plan


def raise_fd_limit():
    """10,000 idle sessions need ~10k fds in the client and in the proxy (which
    inherits our limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def build_tool():
    out_dir = os.path.join(targets.REPO, "build-bench", "bench-tools")
    out = os.path.join(out_dir, "connload")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(TOOL_SRC):
        return out
    os.makedirs(out_dir, exist_ok=True)
    flags = subprocess.run(["mariadb_config", "--cflags", "--libs"], capture_output=True,
                           text=True, check=True).stdout.split()
    tmp = f"{out}.{os.getpid()}"  # concurrent runs must not see a half-written binary
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", tmp, TOOL_SRC, *flags, "-lpthread"],
                   check=True, timeout=120)
    os.replace(tmp, out)
    return out


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _cmd_version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


class Harness:
    """Owns every process of one benchmark run; stop() releases them all."""

    def __init__(self, plan, args):
        self.plan, self.args = plan, args
        self.sandbox = targets.load_sandbox()
        self.tool = build_tool()
        self.db = self.haproxy = self.proxyd = self.proxyd_b = None
        self.metrics_port = None  # proxyd-b's, with --proxyd-b-metrics
        self.targets = []
        self.tls = None  # TlsSetup, when the "tls" part runs
        self.results = {"meta": {}, "sysbench": [], "connrate": [], "idle": [], "kill": [],
                        "tls": [], "notes": []}

    def note(self, msg):
        msg = " ".join(msg.split())  # one line, so the Markdown list stays a list
        log(msg)
        self.results["notes"].append(msg)

    def start(self):
        idle_max = max(self.plan["idle"]) if "idle" in self.plan["parts"] else 0
        if "tls" in self.plan["parts"]:
            self.tls = tls_setup.TlsSetup()
        self.db = targets.start_mariadb(self.sandbox, max_connections=max(2000, idle_max + 500),
                                        pki=self.tls.pki if self.tls else None)
        self.db_pid = targets.mariadb_pid(self.db)
        direct = targets.Target("direct", "127.0.0.1", self.db.port, None)
        log(f"MariaDB on {self.db.port} (pid {self.db_pid}); preparing sysbench tables")
        workloads.sysbench_prepare(direct, self.plan["tables"], self.plan["table_size"])
        wanted = self.plan["targets"]
        if "direct" in wanted:
            self.targets.append(direct)
        if "haproxy" in wanted:
            self.haproxy = targets.HAProxy(self.db.port, self.args.proxy_threads).start(
                self.sandbox.free_port)
            self.targets.append(targets.Target("haproxy", "127.0.0.1", self.haproxy.port,
                                               self.haproxy.pid))
        self.proxyd_bin = targets.find_proxyd(self.args.proxyd)
        if "proxyd" in wanted:
            self.proxyd = self._start_proxyd("proxyd", self.proxyd_bin)
        if self.args.proxyd_b:
            extra = None
            if self.args.proxyd_b_metrics:
                self.metrics_port = self.sandbox.free_port()
                extra = {"metrics_listen": f"127.0.0.1:{self.metrics_port}"}
            self.proxyd_b = self._start_proxyd("proxyd-b", self.args.proxyd_b, extra)
        self._fill_meta()

    def _start_proxyd(self, name, binary, extra_keys=None):
        """Starts one proxyd target; a note (not an abort) when it can't."""
        if not binary:
            self.note(f"{name} binary not found (--proxyd / PROXYD_BIN): {name} not measured")
            return None
        if targets.is_sanitized(binary):
            self.note(f"{binary} is built with sanitizers: its numbers are not fair")
        try:
            node, _ = targets.start_proxyd(self.sandbox, binary, self.db.port,
                                           self.args.proxy_threads, extra_keys=extra_keys)
        except RuntimeError as e:
            self.note(f"{name} not measured: {e}")
            return None
        self.targets.append(targets.Target(name, "127.0.0.1", node.port, node.pid, node.grpc_port))
        return node

    def _fill_meta(self):
        rev = subprocess.run(["git", "-C", targets.REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        self.results["meta"].update({
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "git": rev, "plan": self.plan["name"],
            "reps": self.plan["reps"], "seconds_per_run": self.plan["seconds"],
            "proxy_threads": self.args.proxy_threads, "cpus": os.cpu_count(),
            "loadavg_start": " ".join(open("/proc/loadavg").read().split()[:3]),
            "targets": ", ".join(t.name for t in self.targets),
            "proxyd": self.proxyd_bin or "not found",
            "mariadb": self.db.sql("SELECT VERSION()")[0][0],
            "haproxy": _cmd_version(["haproxy", "-v"]),
            "sysbench": _cmd_version(["sysbench", "--version"]),
            "tables": f"{self.plan['tables']} x {self.plan['table_size']} rows"})

    def run(self):
        parts = self.plan["parts"]
        if "sysbench" in parts:
            self.warm_up()
            self.run_sysbench()
        if "connrate" in parts:
            self.run_connrate()
        if "kill" in parts:
            self.run_kill()
        if "idle" in parts:
            self.run_idle()
        if "tls" in parts:
            self.run_tls()
        if "history" in parts:
            self.results["history"] = history_mem.run(self)
            for r in self.results["history"]:
                log(f"history_size={r['history_size']}: {r.get('entries')} entries, RSS growth "
                    f"{r.get('growth_kib')} KiB {r.get('error', '')}")
        self.results["meta"]["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
        if self.args.proxyd_b_metrics and self.proxyd_b is not None:
            self.scrape_proxyd_b()

    def scrape_proxyd_b(self):
        """One scrape of proxyd-b's /metrics after the runs: proves metrics were on
        while it was measured (the commands it counted are in the notes)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                text = r.read().decode()
        except OSError as e:
            self.note(f"proxyd-b metrics scrape failed: {e}")
            return
        commands = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                       if line.startswith("proxyd_commands_total{"))
        self.results["meta"]["proxyd_b_metrics"] = f"on ({url})"
        self.note(f"proxyd-b ran with metrics on: its /metrics counted {commands:.0f} commands")

    def warm_up(self):
        """One unrecorded short run per target: buffer pool, thread caches."""
        for t in self.targets:
            workloads.sysbench_run(t, "oltp_point_select", "disable", 4, 1,
                                   self.plan["tables"], self.plan["table_size"], self.db_pid)

    def run_sysbench(self):
        p = self.plan
        for wl, ps, thr in p["sysbench"]:
            for rep in range(p["reps"]):
                for t in self.targets:  # interleaved: direct, haproxy, proxyd, direct, ...
                    r = workloads.sysbench_run(t, wl, ps, thr, p["seconds"], p["tables"],
                                               p["table_size"], self.db_pid)
                    r.update(workload=wl, ps_mode=ps, threads=thr, target=t.name, rep=rep)
                    self.results["sysbench"].append(r)
                    log(f"{wl} ps={ps} thr={thr} rep={rep} {t.name}: "
                        + (f"{r['qps']:.0f} qps p95 {r['p95_ms']} ms"
                           if "qps" in r else f"FAILED {r.get('error', '')[:300]}"))

    def run_connrate(self):
        p = self.plan
        for thr in p["connrate"]:
            for rep in range(p["reps"]):
                for t in self.targets:
                    r = workloads.connrate_run(self.tool, t, thr, p["seconds"], self.db_pid)
                    r.update(threads=thr, target=t.name, rep=rep)
                    self.results["connrate"].append(r)
                    log(f"connrate thr={thr} rep={rep} {t.name}: {r.get('per_sec')} conn/s "
                        f"errors={r.get('errors')} {r.get('error', '')[:200]}")

    def run_kill(self):
        # Every target through SQL KILL; proxyd also through gRPC KillSession,
        # the operators' path (obpctl kill).
        runs = [(t, "sql") for t in self.targets]
        runs += [(t, "grpc") for t in self.targets if t.grpc_port]
        for t, via in runs:
            try:
                r = workloads.kill_latency(t, self.plan["kills"], via=via)
            except Exception as e:  # noqa: BLE001  (one target's failure must not stop the run)
                r = {"kills": self.plan["kills"], "errors": 1, "first_error": str(e)[:300]}
            r["target"] = t.name if via == "sql" else f"{t.name} (gRPC KillSession)"
            self.results["kill"].append(r)
            log(f"kill {t.name}: p50 {r.get('close_p50_ms')} ms p99 {r.get('close_p99_ms')} ms "
                f"errors={r.get('errors')} {r.get('first_error') or ''}")

    def run_tls(self):
        """SPEC §2 TLS cost: point_select with TLS on the client leg against MariaDB's own
        TLS and against proxyd plaintext, and one proxyd whose backend leg is TLS; all
        interleaved in this run."""
        tls_targets = self.tls.start_targets(self, self.sandbox)
        p = self.plan
        for thr in p["tls"]:
            for rep in range(p["reps"]):
                for t in tls_targets:
                    r = workloads.sysbench_run(t, "oltp_point_select", "disable", thr,
                                               p["seconds"], p["tables"], p["table_size"],
                                               self.db_pid)
                    r.update(workload="oltp_point_select", ps_mode="disable", threads=thr,
                             target=t.name, rep=rep)
                    self.results["tls"].append(r)
                    log(f"tls point_select thr={thr} rep={rep} {t.name}: "
                        + (f"{r['qps']:.0f} qps p95 {r['p95_ms']} ms"
                           if "qps" in r else f"FAILED {r.get('error', '')[:300]}"))

    def run_idle(self):
        """A fresh proxy per count, so memory freed by earlier runs can't hide
        the cost; haproxy at the smallest count only, for context."""
        names = {t.name for t in self.targets}
        for i, count in enumerate(self.plan["idle"]):
            if "proxyd" in names:
                self._idle_one("proxyd", count)
            if "haproxy" in names and i == 0:
                self._idle_one("haproxy", count)

    def _idle_one(self, name, count):
        proc = None
        try:
            if name == "proxyd":
                proc, note = targets.start_proxyd(self.sandbox, self.proxyd_bin, self.db.port,
                                                  self.args.proxy_threads, count + 100)
                if note:
                    self.note(note)
            else:
                proc = targets.HAProxy(self.db.port, self.args.proxy_threads,
                                       maxconn=count + 100).start(self.sandbox.free_port)
            t = targets.Target(name, "127.0.0.1", proc.port, proc.pid)
            workloads.idle_sessions(self.tool, t, 1)  # first-use setup is not per session
            r = workloads.idle_sessions(self.tool, t, count)
        except Exception as e:  # noqa: BLE001
            r = {"count": count, "error": str(e)[:300]}
        finally:
            if proc is not None:
                proc.cleanup() if hasattr(proc, "cleanup") else proc.stop()
        r["target"] = name
        self.results["idle"].append(r)
        log(f"idle {name} x{count}: {r.get('kib_per_session')} KiB/session "
            f"opened={r.get('opened')} {r.get('error') or r.get('first_error') or ''}")

    def stop(self):
        if self.tls is not None:
            self.tls.stop()
        for what in (self.proxyd, self.proxyd_b, self.haproxy):
            if what is not None:
                try:
                    what.cleanup() if hasattr(what, "cleanup") else what.stop()
                except Exception:  # noqa: BLE001
                    traceback.print_exc()
        if self.db is not None:
            self.db.stop()


def estimate_minutes(plan, n_targets):
    runs = (len(plan["sysbench"]) + len(plan["connrate"])) * plan["reps"] * n_targets
    if "tls" in plan["parts"]:
        runs += len(plan["tls"]) * plan["reps"] * 5
    return runs * (plan["seconds"] + 1.5) / 60


def main(argv=None):
    args = parse_args(argv)
    plan = make_plan(args)
    fds = raise_fd_limit()
    if max(plan["idle"]) + 1000 > fds:
        log(f"fd limit {fds} is low for {max(plan['idle'])} idle sessions")
    log(f"plan {plan['name']}: about {estimate_minutes(plan, len(plan['targets'])):.0f} min "
        "of timed runs")
    h = Harness(plan, args)
    try:
        h.start()
        h.run()
    finally:
        h.stop()
    summary = report.build_summary(h.results)
    out_dir = args.out or os.path.join(BENCH_DIR, "results",
                                       "tmp-smoke" if plan["name"] == "smoke" else "")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    base = os.path.join(out_dir, f"{stamp}-{platform.node()}")
    report.write(h.results, summary, base)
    print(report.markdown(h.results, summary))
    log(f"results: {base}.md and {base}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
