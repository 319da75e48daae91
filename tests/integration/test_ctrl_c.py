"""SPEC §3 KILL QUERY: Ctrl-C in the `mariadb` CLI, connected through proxyd, stops the
running statement and the CLI carries on at its prompt.

The CLI runs in a tmux session on a tmux server of this test's own (-L socket), so the
test can type into it and read its screen; the server is killed at teardown.
"""

import time

import pytest

import sandbox
from tmux import Tmux

PROMPT = "MariaDB ["


@pytest.fixture
def tmux():
    t = Tmux("ctrlc")
    yield t
    t.kill()


def sleeping_threads(db):
    return [r for r in db.processlist()
            if r["USER"] == "app" and "SLEEP(30)" in (r["INFO"] or "")]


def test_ctrl_c_interrupts_query_through_proxyd(proxy, primary, tmux):
    tmux.start(f"{sandbox.MARIADB_CLI} --no-defaults -h127.0.0.1 -P{proxy.port} "
               f"-uapp -papp_pw")
    screen = tmux.wait_for(lambda s: PROMPT in s, 15, scrollback=200)
    assert PROMPT in screen, screen

    tmux.keys("SELECT SLEEP(30)\\;", "Enter")
    deadline = time.monotonic() + 10
    while not sleeping_threads(primary) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleeping_threads(primary), ("the statement never reached the backend",
                                       tmux.screen(200))

    sent_at = time.monotonic()
    tmux.keys("C-c")
    screen = tmux.wait_for(lambda s: "Query execution was interrupted" in s, 5, scrollback=200)
    elapsed = time.monotonic() - sent_at
    assert "Query execution was interrupted" in screen, screen
    assert elapsed < 3, f"Ctrl-C took {elapsed:.1f}s to stop SLEEP(30):\n{screen}"
    # The CLI is still there, back at its prompt.
    tail = screen[screen.rindex("Query execution was interrupted"):]
    assert PROMPT in tail, screen
    assert tmux.alive()
    assert not sleeping_threads(primary)

    tmux.keys("SELECT 42\\;", "Enter")
    screen = tmux.wait_for(lambda s: "| 42 |" in s, 10, scrollback=200)
    assert "| 42 |" in screen, screen
    assert "ERROR" not in screen[screen.rindex("SELECT 42"):], screen
    tmux.keys("exit", "Enter")
