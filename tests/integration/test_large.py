"""SPEC §2 fidelity for packets of 16 MiB and more (split across several wire packets)."""

import hashlib
import os

import pymysql
import pytest

from conftest import dconnect, pconnect, query

BIG = 64 * 1024 * 1024
MAX_PAYLOAD = 0xFFFFFF


@pytest.fixture(scope="module")
def big_table(primary):
    primary.sql("CREATE TABLE testdb.big (id INT PRIMARY KEY, b LONGBLOB)")


def connect_big(proxy):
    return pconnect(proxy, database="testdb", max_allowed_packet=BIG, read_timeout=120,
                    write_timeout=120)


@pytest.mark.parametrize("size_mib,row_id", [(6, 1), (17, 2)])
def test_large_row_roundtrip(proxy, big_table, size_mib, row_id):
    data = os.urandom(size_mib * 1024 * 1024)
    conn = connect_big(proxy)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO big VALUES (%s, %s)", (row_id, data))  # one COM_QUERY > 16 MiB
        cur.execute("SELECT LENGTH(b), SHA1(b) FROM big WHERE id = %s", (row_id,))
        assert cur.fetchone() == (len(data), hashlib.sha1(data).hexdigest())
        cur.execute("SELECT b FROM big WHERE id = %s", (row_id,))
        got = cur.fetchone()[0]
    assert len(got) == len(data) and got == data
    assert query(conn, "SELECT 1") == ((1,),)
    conn.close()


def test_query_payload_exactly_16mib_minus_1(proxy, primary):
    """A COM_QUERY whose payload is exactly 0xFFFFFF bytes needs an empty trailing packet."""
    prefix, suffix = "SELECT LENGTH('", "')"
    fill = MAX_PAYLOAD - 1 - len(prefix) - len(suffix)  # 1 byte for the command
    sql = prefix + "a" * fill + suffix
    assert 1 + len(sql) == MAX_PAYLOAD
    conn = connect_big(proxy)
    assert query(conn, sql) == ((fill,),)
    assert query(conn, "SELECT 2") == ((2,),)
    conn.close()


@pytest.mark.parametrize("length", [MAX_PAYLOAD - 4, MAX_PAYLOAD - 5, MAX_PAYLOAD - 3,
                                    MAX_PAYLOAD * 2])
def test_result_row_at_packet_boundary(proxy, primary, length):
    """A row of one lenenc string whose packet is exactly / around 0xFFFFFF bytes."""
    sql = f"SELECT REPEAT('x', {length}) AS v"
    direct = dconnect(primary, max_allowed_packet=BIG, read_timeout=120)
    via = connect_big(proxy)
    got = query(via, sql)
    assert len(got[0][0]) == length
    assert got == query(direct, sql)
    assert query(via, "SELECT 3") == ((3,),)
    direct.close()
    via.close()


@pytest.mark.parametrize("limit_mib,size_mib", [(1, 2), (20, 40)])
def test_command_over_max_allowed_packet_gets_1153(proxy_factory, limit_mib, size_mib):
    """A command bigger than proxyd's max_allowed_packet gets MariaDB's 1153 and the
    connection is closed, as MariaDB does. proxyd drops the rest of the command
    (through its usual buffer) before answering, so the client, still sending, is not
    reset and reads the error, in one packet or in several; the node then serves the
    next connection."""
    node = proxy_factory.start(extra={"max_allowed_packet": limit_mib << 20})
    conn = connect_big(node)
    with pytest.raises(pymysql.err.OperationalError) as e:
        query(conn, "SELECT LENGTH('" + "x" * (size_mib << 20) + "')")
    assert e.value.args[0] == 1153, e.value.args
    assert "max_allowed_packet" in e.value.args[1]
    again = connect_big(node)
    assert query(again, "SELECT LENGTH('" + "x" * ((limit_mib << 20) // 2) + "')") == \
        (((limit_mib << 20) // 2,),)
    again.close()


def test_oversized_command_that_stalls_is_closed_after_net_read_timeout(proxy_factory):
    """The rest of an oversized command is read and dropped before the 1153, but only for
    net_read_timeout_s: a client that announces 2 MiB against a 1 MiB limit and stops
    sending is closed then, with the 1153, and the node keeps serving."""
    import socket
    import struct
    import time
    node = proxy_factory.start(extra={"max_allowed_packet": 1 << 20, "net_read_timeout_s": 1})
    conn = connect_big(node)
    sock = conn._sock
    size = 2 << 20
    sock.sendall(struct.pack("<I", size)[:3] + b"\x00" + b"\x03SELECT '" + b"x" * 1000)
    sock.settimeout(10)
    t0 = time.monotonic()
    got = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        got += chunk
    waited = time.monotonic() - t0
    assert 0.8 <= waited < 5, waited
    assert got[4:5] == b"\xff" and struct.unpack("<H", got[5:7])[0] == 1153, got[:40]
    again = connect_big(node)
    assert query(again, "SELECT 1") == ((1,),)
    again.close()
