"""One statement run on a connection in a thread, for tests that act while it runs
(kills, locks): it records the rows or the error the client got, and when."""

import threading
import time


class Background:
    def __init__(self, conn, sql):
        self.conn, self.sql = conn, sql
        self.rows = self.error = self.done_at = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            with self.conn.cursor() as cur:
                cur.execute(self.sql)
                self.rows = cur.fetchall()
        except Exception as e:  # noqa: BLE001 - the test inspects whatever the client got
            self.error = e
        self.done_at = time.monotonic()

    def join(self, timeout):
        """True once the statement has ended (within `timeout` seconds)."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def is_alive(self):
        return self.thread.is_alive()
