"""The measured workloads: sysbench OLTP runs, the connect-rate client, idle
sessions and kill latency. Each returns a plain dict that goes into the JSON
results unchanged.

Thread rule: call from the harness's main thread; kill_latency() starts and
joins its own short-lived threads.
"""
import json
import re
import socket
import statistics
import subprocess
import threading
import time

from . import procstat
from .targets import BENCH_DB, BENCH_PASSWORD, BENCH_USER

# ---- sysbench -----------------------------------------------------------


def _sysbench_common(target, tables, table_size):
    return [f"--mysql-host={target.host}", f"--mysql-port={target.port}",
            f"--mysql-user={BENCH_USER}", f"--mysql-password={BENCH_PASSWORD}",
            f"--mysql-db={BENCH_DB}", "--db-driver=mysql",
            f"--tables={tables}", f"--table-size={table_size}",
            *(["--mysql-ssl=on"] if target.ssl_dir else [])]


def sysbench_prepare(target, tables, table_size):
    cmd = ["sysbench", "oltp_common", *_sysbench_common(target, tables, table_size),
           f"--threads={min(tables, 4)}", "prepare"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sysbench prepare failed: {r.stdout[-2000:]}{r.stderr[-2000:]}")


_QUERIES = re.compile(r"^\s*queries:\s+(\d+)\s+\(([\d.]+) per sec", re.M)
_P95 = re.compile(r"^\s*95th percentile:\s+([\d.]+)", re.M)
_ERRS = re.compile(r"^\s*ignored errors:\s+(\d+)", re.M)
_RECONN = re.compile(r"^\s*reconnects:\s+(\d+)", re.M)


def parse_sysbench(text):
    """Pulls the numbers we report out of sysbench's run summary."""
    q, p95 = _QUERIES.search(text), _P95.search(text)
    if not q or not p95:
        return None
    errs, rec = _ERRS.search(text), _RECONN.search(text)
    return {"queries": int(q.group(1)), "qps": float(q.group(2)),
            "p95_ms": float(p95.group(1)),
            "ignored_errors": int(errs.group(1)) if errs else None,
            "reconnects": int(rec.group(1)) if rec else None}


def sysbench_run(target, workload, ps_mode, threads, seconds, tables, table_size,
                 db_pid):
    """One bounded sysbench run; measures proxy and MariaDB CPU around it."""
    cmd = ["sysbench", workload, *_sysbench_common(target, tables, table_size),
           f"--threads={threads}", f"--time={seconds}", "--events=0",
           f"--db-ps-mode={ps_mode}", "--mysql-ignore-errors=none",
           "--percentile=95", "run"]
    meter = procstat.CpuMeter({"proxy": target.proxy_pid, "db": db_pid})
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60,
                           cwd=target.ssl_dir)
        out, rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = f"timeout: {e}", -1
    cpu = meter.delta()
    res = {"wall_s": round(time.monotonic() - t0, 3), "rc": rc}
    parsed = parse_sysbench(out) if rc == 0 else None
    if parsed is None:
        res["error"] = _tail(out)
        return res
    res.update(parsed)
    _add_cpu(res, cpu, parsed["queries"])
    return res


def _add_cpu(res, cpu, count):
    """CPU per unit of work in microseconds, for the proxy and for MariaDB."""
    for who in ("proxy", "db"):
        if who in cpu:
            res[f"{who}_cpu_s"] = round(cpu[who], 3)
            res[f"{who}_cpu_us_per_op"] = round(cpu[who] * 1e6 / count, 3) if count else None
        if f"{who}_sys" in cpu and count:
            res[f"{who}_sys_us_per_op"] = round(cpu[f"{who}_sys"] * 1e6 / count, 3)


def _tail(text, n=1200):
    return text[-n:].strip()

# ---- connect rate -------------------------------------------------------


def connrate_run(tool, target, threads, seconds, db_pid):
    cmd = [tool, "connrate", "--host", target.host, "--port", str(target.port),
           "--user", BENCH_USER, "--password", BENCH_PASSWORD, "--db", BENCH_DB,
           "--threads", str(threads), "--seconds", str(seconds)]
    meter = procstat.CpuMeter({"proxy": target.proxy_pid, "db": db_pid})
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired as e:
        return {"rc": -1, "error": f"timeout: {e}"}
    cpu = meter.delta()
    try:
        data = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"rc": r.returncode, "error": _tail(r.stdout + r.stderr)}
    res = {"rc": r.returncode, **data}
    if data.get("errors") and not data.get("connections"):
        res["error"] = data.get("first_error") or "all connections failed"
    _add_cpu(res, cpu, data.get("connections", 0))
    return res

# ---- idle sessions ------------------------------------------------------


def idle_sessions(tool, target, count, settle_s=1.0, max_seconds=300):
    """Opens `count` idle logged-in sessions and reports the proxy's RSS growth
    per session. The proxy should be fresh so freed memory from earlier runs
    does not hide the cost."""
    pid = target.proxy_pid
    before = procstat.rss_kib(pid)
    cmd = [tool, "idle", "--host", target.host, "--port", str(target.port),
           "--user", BENCH_USER, "--password", BENCH_PASSWORD,
           "--count", str(count), "--threads", "16", "--max-seconds", str(max_seconds)]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    res = {"count": count, "rss_before_kib": before}
    try:
        line = _readline_bounded(p, max_seconds)
        m = re.match(r"READY opened=(\d+) errors=(\d+) open_seconds=([\d.]+) first_error=(.*)",
                     line or "")
        if not m:
            res["error"] = f"idle client said {line!r}: {_tail(p.stderr.read() if p.poll() is not None else '')}"
            return res
        opened, errors = int(m.group(1)), int(m.group(2))
        time.sleep(settle_s)  # let the proxy finish post-login work
        after = procstat.rss_kib(pid)
        res.update({"opened": opened, "errors": errors, "open_seconds": float(m.group(3)),
                    "rss_after_kib": after, "proxy_fds": procstat.fd_count(pid)})
        if errors:
            res["first_error"] = m.group(4)
        if opened and before is not None and after is not None:
            res["kib_per_session"] = round((after - before) / opened, 2)
        return res
    finally:
        try:
            p.stdin.close()
            p.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()


def _readline_bounded(p, timeout):
    box = []
    t = threading.Thread(target=lambda: box.append(p.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    if not box:
        p.kill()
        return None
    return box[0].strip()

# ---- kill latency -------------------------------------------------------


def _connect(target, timeout=5):
    import pymysql  # Debian's, under /usr/bin/python3
    return pymysql.connect(host=target.host, port=target.port, user=BENCH_USER,
                           password=BENCH_PASSWORD, connect_timeout=timeout,
                           read_timeout=timeout, write_timeout=timeout, autocommit=True)


def _wait_closed(sock, box, ready, timeout):
    """Blocks in recv until the peer closes; whatever the server sends first
    (an error packet) is read and skipped. Records when EOF/error arrived."""
    sock.settimeout(timeout)
    ready.set()
    try:
        while sock.recv(4096):
            pass
        box["closed_ns"] = time.perf_counter_ns()
    except socket.timeout:
        box["timeout"] = True
    except OSError:  # reset counts as closed
        box["closed_ns"] = time.perf_counter_ns()


class _GrpcKiller:
    def __init__(self, target, timeout):
        import grpc  # Debian's python3-grpcio
        self.channel = grpc.insecure_channel(f"{target.host}:{target.grpc_port}")
        self.call = self.channel.unary_unary(
            "/obproxy.fleet.v1.SessionService/KillSession",
            request_serializer=lambda b: b, response_deserializer=lambda b: b)
        self.timeout = timeout

    def kill(self, cs_id):
        from fleet_wire import kill_session_request  # tests/lib, on the path via targets
        self.call(kill_session_request(cs_id, mode=1, reason="bench"), timeout=self.timeout)

    def close(self):
        self.channel.close()


class _SqlKiller:
    def __init__(self, target):
        self.admin = _connect(target)

    def kill(self, vid):
        with self.admin.cursor() as c:
            c.execute(f"KILL {vid}")

    def close(self):
        self.admin.close()


def kill_latency(target, kills, timeout=5.0, max_seconds=120, via="sql"):
    """`kills` times: open a victim, kill it (SQL `KILL <id>` from an admin
    connection, or a gRPC KillSession call with its cs_id), time until the
    victim's blocked recv sees the close."""
    admin = _SqlKiller(target) if via == "sql" else _GrpcKiller(target, timeout)
    close_ms, reply_ms, errors, first_error = [], [], 0, None
    failures_in_row = 0
    deadline = time.monotonic() + max_seconds
    try:
        for _ in range(kills):
            if time.monotonic() > deadline:
                break
            try:
                victim = _connect(target)
            except Exception as e:  # noqa: BLE001
                errors += 1
                first_error = first_error or f"victim connect: {e}"
                continue
            vid, box, ready = victim.thread_id(), {}, threading.Event()
            t = threading.Thread(target=_wait_closed, args=(victim._sock, box, ready, timeout))
            t.start()
            ready.wait()
            t0 = time.perf_counter_ns()
            try:
                admin.kill(vid)
                reply_ms.append((time.perf_counter_ns() - t0) / 1e6)
                kill_failed = False
            except Exception as e:  # noqa: BLE001
                errors += 1
                first_error = first_error or f"KILL {vid}: {e}"
                kill_failed = True
                try:
                    victim._sock.shutdown(socket.SHUT_RDWR)  # wakes the waiter now
                except OSError:
                    pass
            t.join(timeout + 1)
            if kill_failed:
                failures_in_row += 1
                if failures_in_row >= 3:  # KILL not supported: stop early
                    break
            elif "closed_ns" in box:
                failures_in_row = 0
                close_ms.append((box["closed_ns"] - t0) / 1e6)
            else:
                errors += 1
                first_error = first_error or f"victim {vid} still open after {timeout}s"
            try:
                victim._sock.close()
            except OSError:
                pass
    finally:
        admin.close()
    return {"kills": kills, "measured": len(close_ms), "errors": errors,
            "first_error": first_error,
            "close_p50_ms": _pct(close_ms, 50), "close_p99_ms": _pct(close_ms, 99),
            "close_max_ms": round(max(close_ms), 3) if close_ms else None,
            "reply_p50_ms": _pct(reply_ms, 50), "reply_p99_ms": _pct(reply_ms, 99)}


def _pct(values, p):
    """Nearest-rank percentile; None for no data."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))
    return round(s[int(k)], 3)


def median(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None
