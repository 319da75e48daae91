"""Statement selectors and the live view of `obpctl sessions list` (SPEC §9) against three
real proxyd nodes: --running-over / --statement / --command pick only sessions executing a
matching statement, `obpctl kill` with them lists (--dry-run) or kills (--yes) just those,
--query ends only the statements; --sort orders by statement time or idle time; --watch
redraws in place in a terminal (driven in tmux) and restores it on Ctrl-C.
"""

import json
import os
import re
import time

import pytest

from background import Background
from conftest import Fleet, assert_dead, conn_id, parse_table, query, wait_until
from tmux import Tmux

KILLED_S = 3.0  # bound for a killed statement to come back to its client
# A kill waits for its backend's KILL (up to backend_kill_timeout_ms, below); obpctl's per-node
# timeout must cover it.
KILL_WAIT = ("--timeout", "10")


@pytest.fixture(scope="module")
def fleet(backends):
    """The module's fleet, with backend_kill_timeout_ms 5000: these tests send several
    KILL QUERYs at once, and on a loaded machine (load average 4 on 2 cores, sanitizer
    builds side by side) a backend's answer to its KILL QUERY once took over the default
    1 s (a quiet machine answers in ~1 ms: measured over 40 kills), so the kill was
    reported unconfirmed, truthfully. What an unconfirmed kill does is tested in
    tests/integration/test_hung_backend.py."""
    f = Fleet(backends, extra={"backend_kill_timeout_ms": 5000})
    try:
        f.start()
        yield f
    finally:
        f.close()


def on_backend(backends, cid, text):
    """True once backend thread `cid` runs a statement containing `text` (either backend)."""
    return any(r["ID"] == cid and text in (r["INFO"] or "")
               for name in ("primary", "replica1") for r in backends[name].processlist())


def start(conn, sql, backends, text):
    """Runs `sql` on conn in the background; returns once the backend is executing it."""
    cid = conn_id(conn)
    job = Background(conn, sql)
    assert wait_until(lambda: on_backend(backends, cid, text), 10), f"{sql} never reached the backend"
    return job


def stop_query(obpctl, *conns):
    """Ends whatever the sessions still run (so teardown need not wait for a SLEEP)."""
    for c in conns:
        obpctl.run("kill", "--cs-id", c.thread_id(), "--query")


def listed(obpctl, *args):
    return [s["cs_id"] for s in obpctl.json("sessions", "list", *args)["sessions"]]


def test_running_over_picks_the_long_statement_and_kill_ends_it(opener, obpctl, backends):
    long = opener(2, "app", read_timeout=40)
    idle = opener(2, "app")
    short = opener(1, "bob", read_timeout=40)
    conn_id(idle)
    job = start(long, "SELECT SLEEP(30)", backends, "SLEEP(30)")
    time.sleep(5.5)  # the long statement has now run over 5 s
    quick = start(short, "SELECT SLEEP(15)", backends, "SLEEP(15)")  # running, not 5 s yet
    out = obpctl.ok("kill", "--running-over", "5s", "--dry-run")
    rows = parse_table("\n".join(out.splitlines()[:-1]))  # the table, without the count
    assert [int(r["CS_ID"]) for r in rows] == [long.thread_id()], out
    assert rows[0]["NODE"] == "2" and "SELECT SLEEP(30)" in rows[0]["STATEMENT"], out
    assert "1 session(s) would be killed" in out, out
    assert job.is_alive()

    out = obpctl.ok("kill", "--running-over", "5s", "--yes", "--reason", "over 5s", *KILL_WAIT)
    assert out.strip() == (f"node 2 ({obpctl.fleet.grpc[2]}): killed 1: cs_id "
                           f"{long.thread_id()}"), out
    assert job.join(KILLED_S), "SELECT SLEEP(30) still running after the kill"
    assert_dead(long)
    assert query(idle, "SELECT 1") == ((1,),)
    assert quick.join(20) and quick.error is None and quick.rows == ((0,),), quick.error
    assert query(short, "SELECT 2") == ((2,),)


def test_statement_query_kill_ends_only_matching_statements(opener, obpctl, backends):
    a = opener(3, "app", read_timeout=40)
    b = opener(3, "bob", read_timeout=40)
    c = opener(1, "alice", read_timeout=40)
    a_cid = conn_id(a)
    sleeper = start(a, "SELECT SLEEP(30)", backends, "SLEEP(30)")
    other = start(b, "DO SLEEP(4)", backends, "DO SLEEP(4)")
    lower = start(c, "select sleep(30)", backends, "sleep(30)")  # LIKE is case-insensitive
    assert sorted(listed(obpctl, "--statement", "SELECT SLEEP%")) == sorted(
        [a.thread_id(), c.thread_id()])
    out = obpctl.ok("kill", "--statement", "SELECT SLEEP%", "--query", "--yes", *KILL_WAIT)
    assert f"node 3 ({obpctl.fleet.grpc[3]}): killed the query of 1: cs_id {a.thread_id()}" \
        in out, out
    assert f"node 1 ({obpctl.fleet.grpc[1]}): killed the query of 1: cs_id {c.thread_id()}" \
        in out, out
    assert sleeper.join(KILLED_S) and lower.join(KILLED_S)
    # Only the statements ended: the sessions run their next query on the same connection.
    assert query(a, "SELECT 42") == ((42,),)
    assert conn_id(a) == a_cid
    assert query(c, "SELECT 43") == ((43,),)
    # DO SLEEP(4) did not match and ran to its end.
    assert other.is_alive()
    assert other.join(10) and other.error is None, other.error


def test_command_and_selectors_combine(opener, obpctl, backends):
    a = opener(2, "alice", read_timeout=40)
    b = opener(2, "bob", read_timeout=40)
    start(a, "SELECT SLEEP(20)", backends, "SLEEP(20)")
    start(b, "SELECT SLEEP(21)", backends, "SLEEP(21)")
    try:
        assert set(listed(obpctl, "--command", "COM_QUERY", "--statement", "%SLEEP(2_)")) >= {
            a.thread_id(), b.thread_id()}
        assert listed(obpctl, "--command", "Query", "--user", "alice", "--statement",
                      "%SLEEP%") == [a.thread_id()]
        assert listed(obpctl, "--command", "COM_PING", "--user", "alice") == []
        # A statement selector never matches an idle session, however long it has idled.
        idle = opener(2, "alice")
        conn_id(idle)
        assert idle.thread_id() not in listed(obpctl, "--user", "alice", "--running-over", "0.001")
    finally:
        stop_query(obpctl, a, b)


def test_selector_usage_errors(obpctl):
    for args in (("kill", "--running-over", "soon", "--dry-run"),
                 ("kill", "--statement", " ", "--dry-run"),
                 ("kill", "--cs-id", 262145, "--running-over", "1s"),
                 ("sessions", "list", "--sort", "cpu"),
                 ("sessions", "list", "--watch", "10ms"),
                 ("sessions", "list", "--count", "2")):
        r = obpctl.run(*args)
        assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith("obpctl: "), (args, r.stderr)


def test_sort_by_statement_time_and_idle_time(opener, obpctl, backends):
    runners = [opener(n, "app", read_timeout=40) for n in (3, 1, 2)]
    jobs = []
    for i, r in enumerate(runners):
        jobs.append(start(r, f"SELECT SLEEP(2{i})", backends, f"SLEEP(2{i})"))
        time.sleep(1.1)  # each has run a second longer than the next
    try:
        rows = parse_table(obpctl.ok("sessions", "list", "--sort", "time", "--user", "app"))
        ids = [int(r["CS_ID"]) for r in rows]
        assert ids[:3] == [r.thread_id() for r in runners], rows
        rest = [(int(r["NODE"]), int(r["CS_ID"])) for r in rows[3:]]
        assert rest == sorted(rest), rows  # the others: by node, then cs_id
        js = obpctl.json("sessions", "list", "--sort", "time", "--user", "app")["sessions"]
        assert [s["cs_id"] for s in js] == ids
    finally:
        stop_query(obpctl, *runners)
    older = opener(1, "bob")
    conn_id(older)
    time.sleep(1.2)
    newer = opener(3, "bob")
    conn_id(newer)
    ids = [int(r["CS_ID"]) for r in
           parse_table(obpctl.ok("sessions", "list", "--sort", "idle", "--user", "bob"))]
    assert ids.index(older.thread_id()) < ids.index(newer.thread_id()), ids
    ids = [(int(r["NODE"]), int(r["CS_ID"])) for r in
           parse_table(obpctl.ok("sessions", "list", "--sort", "id"))]
    assert ids == sorted(ids)


def test_watch_json_is_one_document_per_interval(opener, obpctl):
    s = opener(2, "alice")
    conn_id(s)
    t0 = time.monotonic()
    out = obpctl.ok("sessions", "list", "--watch", "0.3", "--count", "3", "-o", "json")
    assert time.monotonic() - t0 >= 0.6
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 3, out
    for d in docs:
        assert s.thread_id() in [x["cs_id"] for x in d["sessions"]]
        assert d["errors"] == []
    assert "\x1b" not in out


# PS1 on bash's own command line: tmux's server environment may not carry it. The
# shell must not inherit OBPCTL_* settings of the test run.
SHELL = "env PS1='prompt$ ' bash --norc --noprofile"


def shell_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("OBPCTL_")}


@pytest.fixture
def tmux():
    t = Tmux("watch")
    yield t
    t.kill()


def test_watch_redraws_in_place_and_ctrl_c_restores_the_terminal(opener, obpctl, tmux):
    tmux.start(SHELL, rows=30, cols=180, env=shell_env())
    assert "prompt$" in tmux.wait_for(lambda s: "prompt$" in s, 10)
    tmux.keys(f"{obpctl.binary} --fleet {obpctl.fleet.fleet_file} sessions list --watch 0.5 "
              f"--user alice", "Enter")
    header = re.compile(r"Every 500ms: obpctl sessions list   (\d\d:\d\d:\d\d)   "
                        r"(\d+) sessions?, 3 of 3 nodes answered")
    screen = tmux.wait_for(header.search, 10)
    assert header.search(screen), screen
    assert "prompt$" not in screen, screen  # cleared, drawn from the top
    assert tmux.cursor_visible() == "0", "cursor not hidden while watching"
    # A session that starts now shows up in a later frame.
    s = opener(2, "alice")
    conn_id(s)
    screen = tmux.wait_for(lambda t: str(s.thread_id()) in t, 5)
    assert str(s.thread_id()) in screen, screen
    # In place: one header on the screen, never a scrolled-up older frame.
    assert len(header.findall(screen)) == 1, screen
    first_time = header.search(screen).group(1)
    screen = tmux.wait_for(lambda t: header.search(t) and header.search(t).group(1) != first_time,
                           5)
    assert header.search(screen).group(1) != first_time, screen

    tmux.keys("C-c")
    screen = tmux.wait_for(lambda t: t.rstrip().endswith("prompt$"), 5)
    assert screen.rstrip().endswith("prompt$"), screen
    tmux.keys("echo rc=$?", "Enter")
    screen = tmux.wait_for(lambda t: "rc=" in t.split("echo rc=$?")[-1], 5)
    assert "rc=0" in screen.split("echo rc=$?")[-1], screen
    assert tmux.cursor_visible() == "1", "cursor still hidden after Ctrl-C"
    # The last frame stays on the screen above the prompt.
    assert str(s.thread_id()) in screen, screen


def test_watch_cuts_the_frame_to_a_small_window(opener, obpctl, tmux):
    sessions = [opener(n % 3 + 1, "bob") for n in range(12)]
    for c in sessions:
        conn_id(c)
    tmux.start(SHELL, rows=8, cols=60, env=shell_env())
    assert "prompt$" in tmux.wait_for(lambda s: "prompt$" in s, 10)
    tmux.keys(f"{obpctl.binary} --fleet {obpctl.fleet.fleet_file} sessions list --watch 0.5 "
              f"--user bob", "Enter")
    screen = tmux.wait_for(lambda t: "more lines" in t, 10)
    lines = screen.split("\n")
    # Nothing scrolled off: the header is on the first row, the cut on the last frame row.
    assert lines[0].startswith("Every 500ms: obpctl sessions list"), screen
    assert re.fullmatch(r"\.\.\. \d+ more lines", lines[6]), screen
    # Lines are cut, not wrapped: a row fills the width and the next line is the next
    # row, not the first one's wrapped remainder.
    table = next(i for i, ln in enumerate(lines) if ln.startswith("NODE"))
    assert len(lines[table + 1]) == 60, screen
    for row in lines[table + 1:table + 4]:
        assert re.match(r"[123] +\d+ +sys +bob ", row), screen
    tmux.keys("C-c")
    assert tmux.wait_for(lambda t: t.rstrip().endswith("prompt$"), 5).rstrip().endswith("prompt$")
