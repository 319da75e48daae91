#!/usr/bin/python3
"""Control-plane benchmark: how obpctl's fan-out scales with the fleet.

Starts one MariaDB and 32 proxyd nodes on 127.0.0.1 (one worker thread each). The first 8
nodes each hold 2,000 idle logged-in sessions (bench/tools/connload idle). Then, in one run,
interleaved and repeated (median of 5):

  list     `obpctl sessions list -o json` over the 8 loaded nodes vs over node 1 alone
  resolve  `obpctl sessions show --conn-id X` (ask every node, one owner) over all 32 nodes
           vs over node 1 alone; X is a session of node 1 holding a backend connection

Prints a table and writes bench/results/fleet-<date>-<time>.md. Bounded: every wait has a
deadline and the whole run stops after --max-seconds (default 280). Not part of ctest.

Run: /usr/bin/python3 bench/fleet_bench.py [--smoke] [--proxyd BIN] [--obpctl BIN]
"""
import argparse
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
from benchlib import targets  # noqa: E402

import bench as harness  # noqa: E402  (build_tool: compiles connload on demand)

OBPCTL_TIMEOUT = "30s"  # per-node deadline; generous so the timing is the work, not a cut-off
PLANS = {
    "full": dict(list_nodes=8, sessions=2000, resolve_nodes=32, reps=5),
    # Checks the script works; numbers from it mean nothing.
    "smoke": dict(list_nodes=2, sessions=50, resolve_nodes=4, reps=1),
}


def log(msg):
    print(f"[fleet-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def check(self, what):
        if time.monotonic() > self.end:
            raise TimeoutError(f"time budget used up before {what}")


def find_obpctl(explicit):
    for c in (explicit, os.environ.get("OBPCTL_BIN"),
              os.path.join(targets.REPO, "build", "obpctl", "obpctl")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    import glob
    found = [p for p in glob.glob(os.path.join(targets.REPO, "build*", "obpctl", "obpctl"))
             if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


class Fleet:
    """The MariaDB, the proxyd nodes and the idle-session holders of one run."""

    def __init__(self, sandbox, proxyd_bin, n_nodes):
        self.sandbox = sandbox
        self.proxyd_bin = proxyd_bin
        self.n_nodes = n_nodes
        self.dir = tempfile.mkdtemp(prefix="obp-fleet-bench-")
        self.db = None
        self.nodes = []
        self.holders = []

    def start(self, deadline):
        self.db = targets.start_mariadb(self.sandbox, max_connections=500)
        users = [{"tenant": "sys", "name": targets.BENCH_USER,
                  "password": targets.BENCH_PASSWORD, "admin": True}]
        tenants = {"sys": [("primary", self.db.address)]}
        for i in range(1, self.n_nodes + 1):
            deadline.check("starting proxyd nodes")
            p = self.sandbox.Proxyd(self.proxyd_bin, tenants, users, node_id=i, cluster="bench",
                                    extra={"threads": 1, "log_level": "warn"})
            self.nodes.append(p)
            p.start()
        for p in self.nodes:
            if not targets.wait_port(p.grpc_port, timeout=20):
                raise RuntimeError(f"node {p.node_id}: gRPC port not listening:\n{p.log()[-2000:]}")

    def fleet_file(self, name, node_ids):
        path = os.path.join(self.dir, f"{name}.toml")
        with open(path, "w") as f:
            for p in self.nodes:
                if p.node_id in node_ids:
                    f.write(f'[[node]]\nid = {p.node_id}\ngrpc = "127.0.0.1:{p.grpc_port}"\n'
                            f'sql = "127.0.0.1:{p.port}"\n\n')
        return path

    def hold_idle(self, tool, node, count, deadline):
        """Starts a connload holding `count` idle sessions on node; returns once they are open."""
        cmd = [tool, "idle", "--host", "127.0.0.1", "--port", str(node.port),
               "--user", targets.BENCH_USER, "--password", targets.BENCH_PASSWORD,
               "--count", str(count), "--threads", "8",
               "--max-seconds", str(max(10, int(deadline.end - time.monotonic()) + 30))]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.holders.append(p)
        line = harness.workloads._readline_bounded(p, max(5, deadline.end - time.monotonic()))
        if not line or not line.startswith("READY"):
            raise RuntimeError(f"connload on node {node.node_id} said {line!r}")
        fields = dict(kv.split("=", 1) for kv in line.split()[1:4])
        return int(fields["opened"]), int(fields["errors"]), float(fields["open_seconds"])

    def stop(self):
        for p in self.holders:
            try:
                p.stdin.close()
                p.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()
                p.wait()
        dirty = []
        for p in self.nodes:
            p.stop()
            if any(m in p.log() for m in self.sandbox.SANITIZER_MARKERS):
                dirty.append(p.node_id)
            p.cleanup()
        if self.db is not None:
            self.db.stop()
        subprocess.run(["rm", "-rf", self.dir], timeout=60)
        return dirty


def run_obpctl(obpctl, fleet_file, args):
    """One timed obpctl call: (seconds, exit code, stdout bytes)."""
    cmd = [obpctl, "--fleet", fleet_file, "--timeout", OBPCTL_TIMEOUT, *args]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    took = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.decode()[-500:]}")
    return took, r.stdout


def measure(obpctl, cases, reps, deadline):
    """cases: {label: (fleet_file, args, check)}; runs them interleaved `reps` times.
    Returns {label: [seconds...]}; check(stdout) validates every answer."""
    times = {label: [] for label in cases}
    for rep in range(reps):
        for label, (fleet_file, args, check) in cases.items():
            deadline.check(f"{label} rep {rep + 1}")
            took, out = run_obpctl(obpctl, fleet_file, args)
            check(out)
            times[label].append(took)
    return times


def session_count_check(want):
    import json

    def check(out):
        doc = json.loads(out)
        if doc["errors"] or len(doc["sessions"]) != want:
            raise RuntimeError(f"expected {want} sessions and no errors, got "
                               f"{len(doc['sessions'])} and {doc['errors']}")
    return check


def show_check(cs_id):
    def check(out):
        if f'"cs_id":{cs_id}' not in out.decode().replace(" ", ""):
            raise RuntimeError(f"sessions show did not find cs_id {cs_id}: {out[:300]!r}")
    return check


def fmt_ms(values):
    return f"{statistics.median(values) * 1000:.0f}"


def spread(values):
    return f"{min(values) * 1000:.0f}..{max(values) * 1000:.0f}"


def report(plan, meta, times, notes):
    rows = [
        ("sessions list -o json", f"{plan['list_nodes']} nodes", meta["sessions_total"],
         times["list_many"]),
        ("sessions list -o json", "1 node", meta["sessions_node1"], times["list_one"]),
        ("sessions show --conn-id", f"{plan['resolve_nodes']} nodes", meta["sessions_total"],
         times["resolve_many"]),
        ("sessions show --conn-id", "1 node", meta["sessions_node1"], times["resolve_one"]),
    ]
    lines = ["| command | fleet | sessions in fleet | median ms | spread ms | runs |",
             "|---|---|---:|---:|---:|---:|"]
    for cmd, fleet, sessions, t in rows:
        lines.append(f"| `{cmd}` | {fleet} | {sessions} | {fmt_ms(t)} | {spread(t)} | {len(t)} |")
    ratio_list = statistics.median(times["list_many"]) / statistics.median(times["list_one"])
    ratio_res = statistics.median(times["resolve_many"]) / statistics.median(times["resolve_one"])
    lines += ["", f"- list: {plan['list_nodes']} nodes / 1 node = {ratio_list:.2f}x time for "
              f"{plan['list_nodes']}x the sessions "
              f"({meta['list_bytes_many'] / 1e6:.1f} MB vs {meta['list_bytes_one'] / 1e6:.1f} MB "
              "of JSON).",
              f"- resolve: {plan['resolve_nodes']} nodes / 1 node = {ratio_res:.2f}x."]
    md = [f"# Fleet control-plane benchmark ({meta['plan']})", "",
          f"- when: {meta['when']}, host {meta['host']}, {meta['cpus']} CPUs, "
          f"loadavg start {meta['load_start']} end {meta['load_end']}",
          f"- proxyd: `{meta['proxyd']}`{' (sanitizer build: numbers not meaningful)' if meta['sanitized'] else ''}",
          f"- obpctl: `{meta['obpctl']}`, per-node deadline --timeout {OBPCTL_TIMEOUT}",
          f"- nodes: {plan['resolve_nodes']} proxyd (threads = 1 each), one MariaDB; the first "
          f"{plan['list_nodes']} hold {plan['sessions']} idle sessions each "
          f"(opened in {meta['open_seconds']:.1f} s, {meta['open_errors']} errors)",
          "- each obpctl call is a fresh process (start-up, channel set-up, fan-out, JSON); "
          "cases are interleaved and repeated; times are wall clock", "",
          *lines, ""]
    if notes:
        md += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(md)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; checks the script only")
    ap.add_argument("--proxyd")
    ap.add_argument("--obpctl")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--sessions", type=int, help="idle sessions per loaded node")
    ap.add_argument("--max-seconds", type=float, default=280.0)
    ap.add_argument("--out", help="results dir (default bench/results; smoke: tmp-smoke)")
    args = ap.parse_args(argv)
    plan = dict(PLANS["smoke" if args.smoke else "full"], plan="smoke" if args.smoke else "full")
    for k in ("reps", "sessions"):
        if getattr(args, k):
            plan[k] = getattr(args, k)
    deadline = Deadline(args.max_seconds)
    proxyd = targets.find_proxyd(args.proxyd)
    obpctl = find_obpctl(args.obpctl)
    if not proxyd or not obpctl:
        log("need proxyd and obpctl binaries (--proxyd/--obpctl or PROXYD_BIN/OBPCTL_BIN)")
        return 2
    soft = harness.raise_fd_limit()
    need = plan["list_nodes"] * plan["sessions"] + 1000
    notes = []
    if soft < need:
        notes.append(f"open-files limit {soft} < {need}: fewer sessions may open")
    tool = harness.build_tool()
    meta = {"plan": plan["plan"], "when": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(), "cpus": os.cpu_count(), "proxyd": proxyd, "obpctl": obpctl,
            "sanitized": targets.is_sanitized(proxyd),
            "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    fleet = Fleet(targets.load_sandbox(), proxyd, plan["resolve_nodes"])
    try:
        log(f"starting MariaDB and {plan['resolve_nodes']} proxyd nodes")
        fleet.start(deadline)
        log(f"opening {plan['sessions']} idle sessions on each of {plan['list_nodes']} nodes")
        opened = errors = 0
        t0 = time.monotonic()
        per_node = []
        for node in fleet.nodes[:plan["list_nodes"]]:
            deadline.check("opening idle sessions")
            o, e, _ = fleet.hold_idle(tool, node, plan["sessions"], deadline)
            opened, errors = opened + o, errors + e
            per_node.append(o)
        meta.update(open_seconds=time.monotonic() - t0, open_errors=errors)
        # The resolve target: one session of node 1 with a backend connection.
        conn = fleet.sandbox.connect(fleet.nodes[0].port, targets.BENCH_USER,
                                     targets.BENCH_PASSWORD, autocommit=True)
        with conn.cursor() as cur:
            cur.execute("SELECT CONNECTION_ID()")
            conn_id = cur.fetchone()[0]
        cs_id = conn.thread_id()
        meta["sessions_total"] = opened + 1
        meta["sessions_node1"] = per_node[0] + 1
        f_list = fleet.fleet_file("list", range(1, plan["list_nodes"] + 1))
        f_all = fleet.fleet_file("all", range(1, plan["resolve_nodes"] + 1))
        f_one = fleet.fleet_file("one", [1])
        meta["list_bytes_many"] = len(run_obpctl(obpctl, f_list, ["sessions", "list", "-o",
                                                                  "json"])[1])
        meta["list_bytes_one"] = len(run_obpctl(obpctl, f_one, ["sessions", "list", "-o",
                                                                "json"])[1])
        show = ["sessions", "show", "--conn-id", str(conn_id), "-o", "json"]
        log(f"timing, {plan['reps']} interleaved repetitions")
        times = measure(obpctl, {
            "list_many": (f_list, ["sessions", "list", "-o", "json"],
                          session_count_check(meta["sessions_total"])),
            "list_one": (f_one, ["sessions", "list", "-o", "json"],
                         session_count_check(meta["sessions_node1"])),
            "resolve_many": (f_all, show, show_check(cs_id)),
            "resolve_one": (f_one, show, show_check(cs_id)),
        }, plan["reps"], deadline)
        # The same listing with obpctl's default per-node deadline (2 s): does it still fit?
        r = subprocess.run([obpctl, "--fleet", f_list, "sessions", "list", "-o", "json"],
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        notes.append(f"`sessions list` over {plan['list_nodes']} loaded nodes with the default "
                     f"--timeout 2s: exit {r.returncode}"
                     + (f" ({r.stderr.decode().strip()[:300]})" if r.returncode else ""))
        conn.close()
    finally:
        dirty = fleet.stop()
    if dirty:
        notes.append(f"sanitizer reports in the logs of nodes {dirty}")
    if errors:
        notes.append(f"{errors} idle sessions failed to open")
    meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report(plan, meta, times, notes)
    print(text)
    out_dir = args.out or os.path.join(BENCH_DIR, "results",
                                       "tmp-smoke" if args.smoke else "")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"fleet-{datetime.datetime.now():%Y-%m-%d-%H%M%S}.md")
    with open(path, "w") as f:
        f.write(text)
    log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
