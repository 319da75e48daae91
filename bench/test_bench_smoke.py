"""Runs `bench.py --smoke` and checks every part of the harness produced
numbers for every target it could start. Speed is not checked.

With PROXYD_BIN set (ctest sets it), proxyd must have been measured too.
Run: /usr/bin/python3 -m pytest -q bench/test_bench_smoke.py
"""
import glob
import json
import os
import subprocess
import sys

BENCH = os.path.dirname(os.path.abspath(__file__))


def run_smoke(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(BENCH, "bench.py"), "--smoke",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=540)
    assert r.returncode == 0, r.stderr[-4000:]
    files = glob.glob(str(tmp_path / "*.json"))
    assert len(files) == 1, files
    assert len(glob.glob(str(tmp_path / "*.md"))) == 1
    with open(files[0]) as f:
        return json.load(f)


def test_smoke_measures_every_part(tmp_path):
    data = run_smoke(tmp_path)
    res = data["results"]
    expected = ["direct", "haproxy"] + (["proxyd"] if os.environ.get("PROXYD_BIN") else [])
    measured = [t.strip() for t in res["meta"]["targets"].split(",")]
    assert measured == expected, res["notes"]

    for name in expected:
        sb = [r for r in res["sysbench"] if r["target"] == name]
        assert len(sb) == 4, sb  # 2 workloads x 2 ps modes
        for r in sb:
            assert "error" not in r, r
            assert r["qps"] > 0 and r["p95_ms"] > 0 and r["queries"] > 0
            assert r["db_cpu_us_per_op"] > 0
            if name != "direct":
                assert r["proxy_cpu_us_per_op"] > 0
        cr = [r for r in res["connrate"] if r["target"] == name]
        assert len(cr) == 1 and cr[0]["connections"] > 0 and cr[0]["errors"] == 0, cr
        kill = [r for r in res["kill"] if r["target"] == name]
        assert len(kill) == 1 and kill[0]["measured"] == 20 and kill[0]["errors"] == 0, kill
        assert kill[0]["close_p99_ms"] > 0
    # proxyd is also killed through gRPC KillSession, the operators' path.
    kill = [r for r in res["kill"] if r["target"] == "proxyd (gRPC KillSession)"]
    assert len(kill) == 1 and kill[0]["measured"] == 20 and kill[0]["errors"] == 0, kill

    for name in expected[1:]:
        idle = [r for r in res["idle"] if r["target"] == name]
        assert len(idle) == 1 and idle[0].get("opened") == 20, idle
        assert idle[0]["kib_per_session"] is not None

    # The TLS part (SPEC §2): MariaDB's own TLS, and proxyd's TLS legs beside plaintext.
    tls_names = ["direct", "direct-tls"] + (
        ["proxyd", "proxyd-tls", "proxyd-tls-backend"] if os.environ.get("PROXYD_BIN") else [])
    for name in tls_names:
        runs = [r for r in res["tls"] if r["target"] == name]
        assert len(runs) == 1 and "error" not in runs[0] and runs[0]["qps"] > 0, (name, runs)

    goals = {g["goal"]: g for g in data["summary"]["goals"]}
    assert any(k.startswith("QPS proxyd/haproxy") for k in goals)
    if os.environ.get("PROXYD_BIN"):
        assert any(k.startswith("TLS QPS proxyd-tls/proxyd") and g["measured"] is not None
                   for k, g in goals.items())


def test_syscalls_reads_strace_summary():
    """bench/syscalls.py's parser against the layout strace 6.1 prints for -c."""
    sys.path.insert(0, BENCH)
    import syscalls
    text = """% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 41.02    0.123456           3     40000           sendto
 30.00    0.090000           2     52000     12000 recvfrom
  0.50    0.001500           1      5000           epoll_wait
------ ----------- ----------- --------- --------- ----------------
100.00    0.214956           2     97000     12000 total
"""
    assert syscalls.parse_strace_summary(text) == {
        "sendto": (40000, 0), "recvfrom": (52000, 12000), "epoll_wait": (5000, 0)}
