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
