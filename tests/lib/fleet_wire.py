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
