"""Backend thread ids in tests: reading them through proxyd and forcing two sessions
onto the same id on two backends (for the ambiguous connection_id cases of SPEC §3)."""

import pytest

HINT_REPLICA = "/*+ proxyd: backend=replica1 */ "


def conn_id(conn, hint: str = "") -> int:
    """CONNECTION_ID() of the server session a statement with `hint` runs on."""
    with conn.cursor() as cur:
        cur.execute(hint + "SELECT CONNECTION_ID()")
        return int(cur.fetchone()[0])


def advance_thread_ids(db, n: int) -> None:
    """Uses up n thread ids of a backend (each new connection takes the next one)."""
    for _ in range(n):
        db.root().close()


def collide(open_primary, open_replica, primary, replica1, attempts: int = 10):
    """One session whose primary server session and one whose replica1 server session
    have the same connection id; open_* return a new connected session. Pushes the
    backend that is behind forward; bounded. Sessions that missed stay open until
    the end, so a node's backend pool can't hand their old ids back to the next try."""
    missed = []
    try:
        for _ in range(attempts):
            a = open_primary()
            ca = conn_id(a)
            b = open_replica()
            cb = conn_id(b, HINT_REPLICA)
            if ca == cb:
                return a, b, ca
            missed += [a, b]
            gap = abs(ca - cb)
            assert gap < 5000, (ca, cb)
            advance_thread_ids(replica1 if cb < ca else primary, gap)
        pytest.fail("no connection id collision between primary and replica1 after bounded tries")
    finally:
        for c in missed:
            c.close()
