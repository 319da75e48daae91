"""SPEC §8: a rolling restart of the fleet loses no committed transaction and leaves no
transaction open on the backend. Two clients run short transactions through the three
nodes, reconnecting to the next node when a connection fails; each node in turn is
drained with SIGTERM (exit 0) and started again on the same ports. A drain closes a
session only between transactions, so no statement of an open transaction may fail, and
the rows on the backend must equal the commits the clients counted."""

import threading
import time

import pymysql

from conftest import DEAD_ERRORS, NODE_IDS, wait_until

CLIENTS = 2
RUN_LIMIT_S = 120  # the clients stop by then whatever happens


class Client(threading.Thread):
    """Short transactions round-robin over the nodes until stopped or RUN_LIMIT_S."""

    def __init__(self, fleet, number: int):
        super().__init__(daemon=True)
        self.fleet = fleet
        self.number = number
        self.node = NODE_IDS[number % len(NODE_IDS)]
        self.committed = 0
        self.reconnects = 0
        self.lost_in_transaction = []  # errors after BEGIN: what a drain must never cause
        self.stop = threading.Event()

    def next_node(self):
        self.node = NODE_IDS[(NODE_IDS.index(self.node) + 1) % len(NODE_IDS)]

    def run(self):
        deadline = time.monotonic() + RUN_LIMIT_S
        conn = None
        while not self.stop.is_set() and time.monotonic() < deadline:
            if conn is None:
                try:
                    conn = self.fleet.connect(self.node, database="testdb", connect_timeout=2,
                                              read_timeout=30, write_timeout=30)
                except DEAD_ERRORS:
                    self.reconnects += 1
                    self.next_node()
                    time.sleep(0.02)
                    continue
            try:
                with conn.cursor() as c:
                    c.execute("BEGIN")
            except DEAD_ERRORS:  # closed by a drain while idle: nothing was started
                conn = None
                self.reconnects += 1
                self.next_node()
                continue
            try:
                with conn.cursor() as c:
                    c.execute("INSERT INTO rolling (client) VALUES (%s)", (self.number,))
                    c.execute("INSERT INTO rolling (client) VALUES (%s)", (self.number,))
                    c.execute("COMMIT")
                self.committed += 1
            except pymysql.err.Error as e:
                self.lost_in_transaction.append(f"node {self.node}: {e!r}")
                conn = None
                self.next_node()
        if conn is not None:
            conn.close()


def test_rolling_restart_under_load_loses_no_committed_transaction(fleet, backends):
    primary = backends["primary"]
    primary.sql("CREATE TABLE testdb.rolling (id INT AUTO_INCREMENT PRIMARY KEY, client INT)")
    clients = [Client(fleet, n) for n in range(CLIENTS)]
    for c in clients:
        c.start()
    try:
        assert wait_until(lambda: all(c.committed > 20 for c in clients), timeout=30)
        for node_id in NODE_IDS:
            node = fleet.nodes[node_id]
            before = sum(c.committed for c in clients)
            assert node.stop() == 0, node.log()[-3000:]
            assert "0 killed" in node.log(), node.log()[-3000:]
            node.start()
            fleet.wait_grpc(node_id)
            # The others carried the load meanwhile, and they go on after the restart.
            assert wait_until(lambda: sum(c.committed for c in clients) > before + 20,
                              timeout=30)
    finally:
        for c in clients:
            c.stop.set()
        for c in clients:
            c.join(timeout=40)
    assert not any(c.is_alive() for c in clients)
    lost = [e for c in clients for e in c.lost_in_transaction]
    assert not lost, lost
    committed = sum(c.committed for c in clients)
    assert sum(c.reconnects for c in clients) > 0  # the drains really closed sessions
    assert primary.sql("SELECT COUNT(*) FROM testdb.rolling") == [(2 * committed,)]
    assert wait_until(lambda: primary.sql(
        "SELECT COUNT(*) FROM information_schema.INNODB_TRX") == [(0,)], timeout=10)
