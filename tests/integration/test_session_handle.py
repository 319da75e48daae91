"""A session's facts are read safely from gRPC threads while it logs in.

Another thread learns about a session only through its handle (SPEC §1 ids): the
cs_id and the other facts are fixed before the handle is published in the registry.
This test reads sessions from gRPC (GetAttributes, ListSessions, GetNodeInfo) in a
tight loop while connections arrive and sit in the handshake; under the TSan build
(./test.sh) a racy read makes proxyd's log carry a report, which fails the test at
teardown, and in every build each answer must name the session asked for.
"""
import socket
import struct
import sys
import threading
import time

import grpc
import pytest

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0] + "/tests/lib")
import fleet_wire  # noqa: E402
import sandbox  # noqa: E402

SERVICE = "/obproxy.fleet.v1.SessionService/"
MCS_INIT = 1


def greeting_cs_id(sock: socket.socket) -> int:
    """Reads proxyd's handshake greeting and returns its connection id (the cs_id)."""
    header = sock.recv(4, socket.MSG_WAITALL)
    length = header[0] | header[1] << 8 | header[2] << 16
    payload = sock.recv(length, socket.MSG_WAITALL)
    version_end = payload.index(b"\0", 1)
    return struct.unpack_from("<I", payload, version_end + 1)[0]


def test_facts_read_from_grpc_while_sessions_log_in(node):
    channel = grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}")
    get_attributes = channel.unary_unary(SERVICE + "GetAttributes")
    list_sessions = channel.unary_unary(SERVICE + "ListSessions")
    node_info = channel.unary_unary(SERVICE + "GetNodeInfo")
    pending: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    answers = {"attributes": 0, "lists": 0}
    errors: list[str] = []

    def reader():
        try:
            while not stop.is_set():
                with lock:
                    ids = list(pending[-20:])
                for cs_id in ids:
                    reply = fleet_wire.decode(get_attributes(
                        fleet_wire.get_attributes_request(cs_id), timeout=5))
                    session = fleet_wire.decode(reply[1][0])
                    if session[2] != [cs_id] or session.get(11) != [MCS_INIT]:
                        errors.append(f"asked for {cs_id}, got {session}")
                    answers["attributes"] += 1
                list_sessions(fleet_wire.list_sessions_request(), timeout=5)
                node_info(b"", timeout=5)
                answers["lists"] += 1
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(repr(e))

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in readers:
        t.start()
    socks = []
    try:
        deadline = time.monotonic() + 20
        for _ in range(300):
            if time.monotonic() > deadline or errors:
                break
            s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
            socks.append(s)
            cs_id = greeting_cs_id(s)
            assert cs_id >> 18 == node.node_id
            with lock:
                pending.append(cs_id)
    finally:
        time.sleep(0.2)
        stop.set()
        for t in readers:
            t.join(timeout=30)
        for s in socks:
            s.close()
        channel.close()
    assert not errors, errors[:5]
    assert len(socks) == 300
    assert answers["attributes"] > 0 and answers["lists"] > 0, answers
    # Every handshake socket closed: the sessions leave the registry.
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as again:
        info = again.unary_unary(SERVICE + "GetNodeInfo")
        sandbox.wait_until(lambda: fleet_wire.decode(info(b"", timeout=5)).get(7, [0]) == [0],
                           timeout=10)
