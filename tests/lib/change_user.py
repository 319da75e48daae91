"""COM_CHANGE_USER on a pymysql connection, which has no API for it.

Built as libmariadb builds it: the token is computed from the scramble of the connection's
greeting (a server reuses it for a change of user), and an auth switch request is answered
with a token for the scramble it carries. Lets a test keep one connection open across the
change (libmariadb's mysql_change_user is in tests/tools/change_user_probe) and send
packets no driver would.
"""

from __future__ import annotations

import struct

import pymysql
from pymysql import _auth
from pymysql.charset import charset_by_name
from pymysql.constants import CLIENT, COMMAND

COM_STMT_PREPARE = 0x16
COM_STMT_EXECUTE = 0x17


def change_user_payload(conn: pymysql.Connection, user: str, password: str, database: str = "",
                        plugin: str = "mysql_native_password", token: bytes | None = None,
                        charset: str | None = None) -> bytes:
    """The packet after its command byte. `token` overrides the one computed from
    `password` (e.g. what another plugin would send)."""
    if token is None:
        token = _auth.scramble_native_password(password.encode(), conn.salt)
    caps = conn.server_capabilities & conn.client_flag
    out = user.encode() + b"\0"
    if caps & CLIENT.SECURE_CONNECTION:
        out += bytes([len(token)]) + token
    else:
        out += token + b"\0"
    out += database.encode() + b"\0"
    out += struct.pack("<H", charset_by_name(charset or conn.charset).id)
    if caps & CLIENT.PLUGIN_AUTH:
        out += plugin.encode() + b"\0"
    if caps & CLIENT.CONNECT_ATTRS:
        out += b"\0"  # an empty attribute block
    return out


def change_user(conn: pymysql.Connection, user: str, password: str, database: str = "",
                plugin: str = "mysql_native_password", token: bytes | None = None,
                charset: str | None = None, payload: bytes | None = None) -> dict:
    """Sends COM_CHANGE_USER (`payload` instead of a well-formed packet if given), answers
    an auth switch, and returns {"switched": plugin or None, "seq": [sequence ids of the
    server's packets]}. An ERR reply raises pymysql's exception, as a query would."""
    if payload is None:
        payload = change_user_payload(conn, user, password, database, plugin, token, charset)
    conn._execute_command(COMMAND.COM_CHANGE_USER, payload)
    seqs = [conn._next_seq_id]
    pkt = conn._read_packet()
    switched = None
    if pkt.is_auth_switch_request():
        pkt.read_uint8()
        switched = pkt.read_string().decode()
        scramble = pkt.read_all()[:20]
        conn.write_packet(_auth.scramble_native_password(password.encode(), scramble))
        seqs.append(conn._next_seq_id)
        pkt = conn._read_packet()
    if not pkt.is_ok_packet():
        raise AssertionError(f"unexpected reply to COM_CHANGE_USER: {pkt.get_all_data()!r}")
    if charset:
        conn.charset = charset
        conn.encoding = charset_by_name(charset).encoding
    return {"switched": switched, "seq": seqs}


def prepare(conn: pymysql.Connection, sql: str) -> int:
    """COM_STMT_PREPARE; returns the statement id (result metadata is read and dropped)."""
    conn._execute_command(COM_STMT_PREPARE, sql)
    pkt = conn._read_packet()
    data = pkt.get_all_data()
    stmt_id, ncols, nparams = struct.unpack_from("<IHH", data, 1)
    deprecate_eof = conn.server_capabilities & conn.client_flag & CLIENT.DEPRECATE_EOF
    for count in (nparams, ncols):
        for _ in range(count):
            conn._read_packet()
        if count and not deprecate_eof:
            conn._read_packet()  # EOF
    return stmt_id


def execute(conn: pymysql.Connection, stmt_id: int) -> None:
    """COM_STMT_EXECUTE of a statement without parameters; raises the server's error.
    A result set is not read: use it only where an error is expected."""
    conn._execute_command(COM_STMT_EXECUTE, struct.pack("<IBI", stmt_id, 0, 1))
    conn._read_packet()
