"""Hand-encoded obproxy.fleet.v1 messages for raw gRPC calls (grpc's generic
unary_unary with bytes in and out), so Python callers need no generated stubs."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def kill_session_request(cs_id: int, mode: int | None = None, reason: str = "") -> bytes:
    """KillSessionRequest{ref{cs_id}, mode, reason}; mode 1 = KILL_MODE_CONNECTION."""
    out = _field(1, b"\x08" + varint(cs_id))   # ref = 1: SessionRef{cs_id = 1}
    if mode is not None:
        out += b"\x18" + varint(mode)            # mode = 3
    if reason:
        out += _field(4, reason.encode())        # reason = 4
    return out


def get_attributes_request(cs_id: int) -> bytes:
    """GetAttributesRequest{ref{cs_id}}."""
    return _field(1, b"\x08" + varint(cs_id))


def list_sessions_request(page_size: int = 0) -> bytes:
    """ListSessionsRequest{page_size}; a negative size is sent as proto3 does (10 bytes)."""
    return b"\x10" + varint(page_size & 0xFFFFFFFFFFFFFFFF) if page_size else b""


def decode(msg: bytes) -> dict:
    """A protobuf message as {field number: [values]}: ints for varints, bytes for
    length-delimited fields (decode nested messages again). Fixed-width fields are
    kept as raw bytes."""
    out: dict = {}
    i = 0

    def read_varint():
        nonlocal i
        shift = value = 0
        while True:
            b = msg[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < len(msg):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value = read_varint()
        elif wire == 2:
            n = read_varint()
            value, i = msg[i:i + n], i + n
        elif wire == 1:
            value, i = msg[i:i + 8], i + 8
        elif wire == 5:
            value, i = msg[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire} at byte {i}")
        out.setdefault(number, []).append(value)
    return out


def _duration(seconds: float) -> bytes:
    """google.protobuf.Duration{seconds, nanos}."""
    whole = int(seconds)
    nanos = int(round((seconds - whole) * 1e9))
    return (b"\x08" + varint(whole) if whole else b"") + (b"\x10" + varint(nanos) if nanos else b"")


def session_filter(statement: str = "", running_over: float | None = None,
                   command: str = "", user: str = "") -> bytes:
    """SessionFilter{user = 1, running_over = 7, statement = 8, command = 9}."""
    out = _field(1, user.encode()) if user else b""
    if running_over is not None:
        out += _field(7, _duration(running_over))
    if statement:
        out += _field(8, statement.encode())
    if command:
        out += _field(9, command.encode())
    return out


def kill_session_request_only_if(cs_id: int, only_if: bytes, mode: int = 1,
                                 reason: str = "") -> bytes:
    """KillSessionRequest{ref{cs_id}, mode, reason, only_if = 8}."""
    return kill_session_request(cs_id, mode, reason) + _field(8, only_if)


def list_ended_sessions_request(reason: str = "", user: str = "", cs_id: int = 0,
                                since_unix: int = 0, page_size: int = 0,
                                page_token: str = "") -> bytes:
    """ListEndedSessionsRequest{filter{user = 1, reason = 4, cs_id = 5, since = 6},
    page_size = 2, page_token = 3}."""
    f = _field(1, user.encode()) if user else b""
    if reason:
        f += _field(4, reason.encode())
    if cs_id:
        f += b"\x28" + varint(cs_id)
    if since_unix:
        f += _field(6, b"\x08" + varint(since_unix))
    out = _field(1, f) if f else b""
    if page_size:
        out += b"\x10" + varint(page_size & 0xFFFFFFFFFFFFFFFF)
    if page_token:
        out += _field(3, page_token.encode())
    return out


_ENDED_TEXT = {5: "tenant", 6: "user", 7: "client_host", 8: "db", 15: "last_statement",
               16: "reason", 17: "actor", 18: "via", 19: "detail"}
_ENDED_INT = {1: "proxy_sessid", 2: "cs_id", 3: "node_id", 11: "statements",
              12: "trans_count", 13: "bytes_from_client", 14: "bytes_to_client"}


def ended_session(msg: bytes) -> dict:
    """An EndedSession as a dict of its field names (absent fields left out; times as
    unix seconds)."""
    fields = decode(msg)
    out = {}
    for number, name in _ENDED_TEXT.items():
        if number in fields:
            out[name] = fields[number][0].decode()
    for number, name in _ENDED_INT.items():
        if number in fields:
            out[name] = fields[number][0]
    for number, name in ((9, "created_at"), (10, "ended_at")):
        if number in fields:
            out[name] = decode(fields[number][0]).get(1, [0])[0]
    return out


def list_ended_sessions_response(msg: bytes) -> dict:
    """ListEndedSessionsResponse as {sessions: [dict], next_page_token, node_id,
    forgotten, history_size, kept_since}."""
    fields = decode(msg)
    return {
        "sessions": [ended_session(m) for m in fields.get(1, [])],
        "next_page_token": fields.get(2, [b""])[0].decode(),
        "node_id": fields.get(3, [0])[0],
        "kept_since": decode(fields[4][0]).get(1, [0])[0] if 4 in fields else None,
        "forgotten": fields.get(5, [0])[0],
        "history_size": fields.get(6, [0])[0],
    }
