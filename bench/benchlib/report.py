"""Turns raw run records into medians, spreads, ratios and the goal table,
and writes them as Markdown and JSON.

Thread rule: pure functions over the results dict.
"""
import collections
import json

from .workloads import median

TARGET_ORDER = ("direct", "haproxy", "proxyd", "proxyd-b")


def _fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def _group(records, keys):
    groups = collections.OrderedDict()
    for r in records:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def _stats(runs, field):
    vals = [r[field] for r in runs if r.get(field) is not None]
    if not vals:
        return None, None, None
    return median(vals), min(vals), max(vals)


def summarize_sysbench(records):
    rows = []
    for (wl, ps, thr, tgt), runs in _group(records, ("workload", "ps_mode", "threads", "target")).items():
        qps, lo, hi = _stats(runs, "qps")
        rows.append({"workload": wl, "ps_mode": ps, "threads": thr, "target": tgt,
                     "qps": qps, "qps_min": lo, "qps_max": hi,
                     "p95_ms": _stats(runs, "p95_ms")[0],
                     "proxy_cpu_us_per_q": _stats(runs, "proxy_cpu_us_per_op")[0],
                     "proxy_sys_us_per_q": _stats(runs, "proxy_sys_us_per_op")[0],
                     "db_cpu_us_per_q": _stats(runs, "db_cpu_us_per_op")[0],
                     "runs": len(runs), "failed": sum(1 for r in runs if "error" in r)})
    return rows


def summarize_connrate(records):
    rows = []
    for (thr, tgt), runs in _group(records, ("threads", "target")).items():
        cps, lo, hi = _stats(runs, "per_sec")
        rows.append({"threads": thr, "target": tgt, "conn_per_s": cps, "min": lo, "max": hi,
                     "p95_ms": _stats(runs, "p95_ms")[0],
                     "proxy_cpu_us_per_conn": _stats(runs, "proxy_cpu_us_per_op")[0],
                     "db_cpu_us_per_conn": _stats(runs, "db_cpu_us_per_op")[0],
                     "errors": sum(r.get("errors") or 0 for r in runs),
                     "runs": len(runs), "failed": sum(1 for r in runs if "error" in r)})
    return rows


def _by_target(rows, keys):
    out = collections.OrderedDict()
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), {})[r["target"]] = r
    return out


def sysbench_ratios(rows):
    out = []
    for key, t in _by_target(rows, ("workload", "ps_mode", "threads")).items():
        p, d, h = t.get("proxyd", {}), t.get("direct", {}), t.get("haproxy", {})
        out.append({"workload": key[0], "ps_mode": key[1], "threads": key[2],
                    "qps_proxyd_direct": _ratio(p.get("qps"), d.get("qps")),
                    "qps_proxyd_haproxy": _ratio(p.get("qps"), h.get("qps")),
                    "p95_proxyd_haproxy": _ratio(p.get("p95_ms"), h.get("p95_ms")),
                    "cpu_proxyd_haproxy": _ratio(p.get("proxy_cpu_us_per_q"),
                                                 h.get("proxy_cpu_us_per_q"))})
    return out


def connrate_ratios(rows):
    out = []
    for key, t in _by_target(rows, ("threads",)).items():
        p, d, h = t.get("proxyd", {}), t.get("direct", {}), t.get("haproxy", {})
        out.append({"threads": key[0],
                    "proxyd_direct": _ratio(p.get("conn_per_s"), d.get("conn_per_s")),
                    "proxyd_haproxy": _ratio(p.get("conn_per_s"), h.get("conn_per_s"))})
    return out


def tls_ratios(rows):
    """Per thread count: what TLS costs proxyd (proxyd-tls/proxyd, the SPEC §2 bench's
    target), against what it costs MariaDB itself (direct-tls/direct)."""
    out = []
    for key, t in _by_target(rows, ("workload", "ps_mode", "threads")).items():
        q = {name: r.get("qps") for name, r in t.items()}
        out.append({"workload": key[0], "ps_mode": key[1], "threads": key[2],
                    "proxyd_tls_proxyd": _ratio(q.get("proxyd-tls"), q.get("proxyd")),
                    "direct_tls_direct": _ratio(q.get("direct-tls"), q.get("direct")),
                    "proxyd_tls_direct_tls": _ratio(q.get("proxyd-tls"), q.get("direct-tls")),
                    "backend_tls_proxyd": _ratio(q.get("proxyd-tls-backend"), q.get("proxyd"))})
    return out


def _check(value, goal, op):
    if value is None:
        return "n/a"
    return "yes" if (value >= goal if op == ">=" else value <= goal) else "NO"


def goals(sb_ratios, cr_ratios, idle, kill, tls=()):
    """The issue's targets, each with what was measured. Reported, not asserted."""
    out = []
    for r in tls:
        out.append((f"TLS QPS proxyd-tls/proxyd >= 0.85 (point_select {r['threads']}thr)",
                    r["proxyd_tls_proxyd"], _check(r["proxyd_tls_proxyd"], 0.85, ">=")))
    for r in sb_ratios:
        combo = f"{r['workload']} {r['ps_mode']} {r['threads']}thr"
        floor = 0.9 if r["threads"] <= 1 else 1.15
        out.append((f"QPS proxyd/haproxy >= {floor} ({combo})", r["qps_proxyd_haproxy"],
                    _check(r["qps_proxyd_haproxy"], floor, ">=")))
        out.append((f"CPU/query proxyd/haproxy <= 0.5 ({combo})", r["cpu_proxyd_haproxy"],
                    _check(r["cpu_proxyd_haproxy"], 0.5, "<=")))
        out.append((f"p95 proxyd/haproxy <= 1.0 ({combo})", r["p95_proxyd_haproxy"],
                    _check(r["p95_proxyd_haproxy"], 1.0, "<=")))
    for r in cr_ratios:
        if r["threads"] >= 8:
            out.append((f"connect rate proxyd/direct >= 1.1 ({r['threads']}thr)",
                        r["proxyd_direct"], _check(r["proxyd_direct"], 1.1, ">=")))
    for r in idle:
        if r.get("target") == "proxyd":
            v = r.get("kib_per_session")
            out.append((f"idle session KiB <= 32 ({r['count']} sessions)", v, _check(v, 32, "<=")))
    for r in kill:
        if r.get("target") == "proxyd":
            v = r.get("close_p99_ms")
            out.append(("kill p99 ms <= 5 (KILL over admin SQL)", v, _check(v, 5, "<=")))
        elif r.get("target", "").startswith("proxyd (gRPC"):
            v = r.get("close_p99_ms")
            out.append(("kill p99 ms <= 5 (gRPC KillSession)", v, _check(v, 5, "<=")))
    return out


def build_summary(results):
    sb = summarize_sysbench(results["sysbench"])
    cr = summarize_connrate(results["connrate"])
    sbr, crr = sysbench_ratios(sb), connrate_ratios(cr)
    tls = summarize_sysbench(results.get("tls", []))
    tlsr = tls_ratios(tls)
    return {"sysbench": sb, "sysbench_ratios": sbr, "connrate": cr, "connrate_ratios": crr,
            "tls": tls, "tls_ratios": tlsr,
            "goals": [{"goal": g, "measured": v, "met": m}
                      for g, v, m in goals(sbr, crr, results["idle"], results["kill"], tlsr)]}


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results, summary):
    m = results["meta"]
    parts = [f"# Benchmark {m['date']} on {m['host']}", "",
             "\n".join(f"- {k}: {v}" for k, v in m.items()), "",
             "Medians over repetitions; spread is min..max. Ratios compare medians.",
             "CPU columns are utime+stime of that process per query (per connection",
             "for the connect test), in microseconds; \"of it kernel\" is the stime part.", "",
             "## Goals (reported, not asserted)", "",
             _table(["goal", "measured", "met"],
                    [(g["goal"], _fmt(g["measured"], 3), g["met"]) for g in summary["goals"]]),
             "", "## sysbench", "",
             _table(["workload", "ps-mode", "thr", "target", "QPS", "spread", "p95 ms",
                     "proxy CPU us/q", "of it kernel", "MariaDB CPU us/q", "runs (failed)"],
                    [(r["workload"], r["ps_mode"], r["threads"], r["target"], _fmt(r["qps"]),
                      f"{_fmt(r['qps_min'], 0)}..{_fmt(r['qps_max'], 0)}", _fmt(r["p95_ms"], 2),
                      _fmt(r["proxy_cpu_us_per_q"], 2), _fmt(r.get("proxy_sys_us_per_q"), 2),
                      _fmt(r["db_cpu_us_per_q"], 2),
                      f"{r['runs']} ({r['failed']})") for r in summary["sysbench"]]),
             "", "### Ratios", "",
             _table(["workload", "ps-mode", "thr", "QPS proxyd/direct", "QPS proxyd/haproxy",
                     "p95 proxyd/haproxy", "CPU/q proxyd/haproxy"],
                    [(r["workload"], r["ps_mode"], r["threads"], _fmt(r["qps_proxyd_direct"], 3),
                      _fmt(r["qps_proxyd_haproxy"], 3), _fmt(r["p95_proxyd_haproxy"], 3),
                      _fmt(r["cpu_proxyd_haproxy"], 3)) for r in summary["sysbench_ratios"]]),
             "", "## Connect rate (connect + auth + SELECT 1 + close)", "",
             _table(["thr", "target", "conn/s", "spread", "p95 cycle ms", "proxy CPU us/conn",
                     "MariaDB CPU us/conn", "errors", "runs (failed)"],
                    [(r["threads"], r["target"], _fmt(r["conn_per_s"]),
                      f"{_fmt(r['min'], 0)}..{_fmt(r['max'], 0)}", _fmt(r["p95_ms"], 2),
                      _fmt(r["proxy_cpu_us_per_conn"], 1), _fmt(r["db_cpu_us_per_conn"], 1),
                      r["errors"], f"{r['runs']} ({r['failed']})") for r in summary["connrate"]]),
             "", _table(["thr", "conn/s proxyd/direct", "conn/s proxyd/haproxy"],
                        [(r["threads"], _fmt(r["proxyd_direct"], 3), _fmt(r["proxyd_haproxy"], 3))
                         for r in summary["connrate_ratios"]]),
             "", "## Idle sessions (proxy RSS growth per logged-in idle session)", "",
             _table(["target", "sessions", "opened", "RSS before KiB", "RSS after KiB",
                     "KiB/session", "note"],
                    [(r["target"], r["count"], r.get("opened", "-"), r.get("rss_before_kib", "-"),
                      r.get("rss_after_kib", "-"), _fmt(r.get("kib_per_session"), 2),
                      r.get("error") or r.get("first_error") or "") for r in results["idle"]]),
             "", "## Kill latency (SQL KILL <id>, or gRPC KillSession, until the victim's recv sees EOF)", "",
             _table(["target", "kills", "measured", "close p50 ms", "close p99 ms", "close max ms",
                     "kill reply p50 ms", "errors"],
                    [(r["target"], r["kills"], r.get("measured", "-"), _fmt(r.get("close_p50_ms"), 3),
                      _fmt(r.get("close_p99_ms"), 3), _fmt(r.get("close_max_ms"), 3),
                      _fmt(r.get("reply_p50_ms"), 3),
                      f"{r.get('errors', 0)} {r.get('first_error') or ''}".strip())
                     for r in results["kill"]])]
    if results.get("history"):
        parts += ["", "## Session history memory (SPEC §9: 10,000 ended sessions, target <= 4 MiB)",
                  "", "The same short connections (connect, one statement, quit) through a fresh "
                  "proxyd with history_size 0 and one with 10000; the difference of their RSS "
                  "growth is what the history costs.", "",
                  _table(["history_size", "connections", "entries kept", "RSS before KiB",
                          "RSS after KiB", "growth KiB", "history cost KiB", "note"],
                         [(r["history_size"], r.get("connections", "-"), r.get("entries", "-"),
                           r.get("rss_before_kib", "-"), r.get("rss_after_kib", "-"),
                           r.get("growth_kib", "-"), r.get("history_cost_kib", "-"),
                           r.get("error", "")) for r in results["history"]])]
    if summary.get("tls"):
        parts += ["", "## TLS (oltp_point_select, text protocol; SPEC §2)", "",
                  "direct-tls: TLS to MariaDB itself. proxyd-tls: TLS client leg, plaintext "
                  "backend. proxyd-tls-backend: plaintext client leg, backend `tls = "
                  "\"required\"`.", "",
                  _table(["thr", "target", "QPS", "spread", "p95 ms", "proxy CPU us/q",
                          "MariaDB CPU us/q", "runs (failed)"],
                         [(r["threads"], r["target"], _fmt(r["qps"]),
                           f"{_fmt(r['qps_min'], 0)}..{_fmt(r['qps_max'], 0)}",
                           _fmt(r["p95_ms"], 2), _fmt(r["proxy_cpu_us_per_q"], 2),
                           _fmt(r["db_cpu_us_per_q"], 2), f"{r['runs']} ({r['failed']})")
                          for r in summary["tls"]]),
                  "", _table(["thr", "QPS proxyd-tls/proxyd", "QPS direct-tls/direct",
                              "QPS proxyd-tls/direct-tls", "QPS proxyd-tls-backend/proxyd"],
                             [(r["threads"], _fmt(r["proxyd_tls_proxyd"], 3),
                               _fmt(r["direct_tls_direct"], 3),
                               _fmt(r["proxyd_tls_direct_tls"], 3),
                               _fmt(r["backend_tls_proxyd"], 3)) for r in summary["tls_ratios"]])]
    errs = [f"- {e}" for e in results.get("notes", [])]
    if errs:
        parts += ["", "## Notes and errors", "", "\n".join(errs)]
    return "\n".join(parts) + "\n"


def write(results, summary, base_path):
    with open(base_path + ".json", "w") as f:
        json.dump({"results": results, "summary": summary}, f, indent=1, default=str)
    with open(base_path + ".md", "w") as f:
        f.write(markdown(results, summary))
