// libFuzzer target: the byte level of the MySQL codec (proxyd/mysql/wire.h,
// packets.h, resultset.h). proxyd's socket framing (net/packet_conn.cc) is Asio
// code, not a pure function; its pure parts are DecodeHeader/EncodeHeader (here),
// AppendPacket (here) and the ResponseScanner's own framing (scanner_fuzz).
//
// Input: byte 0 = options (bit 0 DEPRECATE_EOF, bit 1 SESSION_TRACK), byte 1 = n,
// then n Reader ops, then the payload. (Payloads of 16 MiB and more are left to
// wire_test and to scanner_fuzz, which makes them without copying 16 MiB per run.)
//
// For any input:
//  - Reader agrees with a reference model on every op: same value, same position,
//    a failed read leaves the position alone, views point into the payload.
//  - What Writer writes (values taken from the payload) reads back the same, and
//    LenEncSize() is the size LenEnc() wrote.
//  - EncodeHeader/DecodeHeader round-trip.
//  - AppendPacket: a reference deframer gets the payload back, sequence ids count up,
//    every packet but the last is full, and ResponseScanner(kStatistics) ends the
//    response exactly at the last byte.
//  - OK, ERR, EOF and column definitions: decode -> encode -> decode keeps every field.
//  - AppendTextResultSet with columns and rows from the input: the scanner sees one
//    complete result set ending at its last byte; the packets decode back.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/response_scanner.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/mysql/wire.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::mysql {
namespace {

using fuzz::Input;

bool Within(absl::string_view view, absl::string_view whole) {
  return view.data() >= whole.data() && view.data() + view.size() <= whole.data() + whole.size();
}

// The reference model of Reader: a position over the payload.
class Model {
 public:
  explicit Model(absl::string_view d) : d_(d) {}

  size_t pos() const { return pos_; }
  bool Have(size_t n) const { return d_.size() - pos_ >= n; }
  uint64_t Le(size_t at, size_t n) const {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(d_[at + i])} << (8 * i);
    return v;
  }

  // Length-encoded integer at the position: nullopt for an error; *null set for 0xFB.
  // `width` is the bytes it takes.
  std::optional<uint64_t> LenEnc(size_t* width, bool* null) const {
    *null = false;
    if (!Have(1)) return std::nullopt;
    const uint8_t first = static_cast<uint8_t>(d_[pos_]);
    size_t w = 0;
    switch (first) {
      case 0xFB:
        *null = true;
        *width = 1;
        return 0;
      case 0xFC:
        w = 2;
        break;
      case 0xFD:
        w = 3;
        break;
      case 0xFE:
        w = 8;
        break;
      case 0xFF:
        return std::nullopt;
      default:
        *width = 1;
        return first;
    }
    if (!Have(1 + w)) return std::nullopt;
    *width = 1 + w;
    return Le(pos_ + 1, w);
  }

  void Advance(size_t n) { pos_ += n; }
  absl::string_view At(size_t offset, size_t n) const { return d_.substr(offset, n); }
  absl::string_view data() const { return d_; }

 private:
  absl::string_view d_;
  size_t pos_ = 0;
};

template <typename T>
void CheckFixed(Reader& r, Model& m, absl::StatusOr<T> got, size_t n) {
  if (m.Have(n)) {
    FUZZ_CHECK(got.ok());
    FUZZ_CHECK(static_cast<uint64_t>(*got) == m.Le(m.pos(), n));
    m.Advance(n);
  } else {
    FUZZ_CHECK(!got.ok());
  }
}

void CheckView(absl::StatusOr<absl::string_view> got, Model& m, bool expect_ok, size_t offset,
               size_t n, size_t advance) {
  FUZZ_CHECK(got.ok() == expect_ok);
  if (!expect_ok) return;
  FUZZ_CHECK(Within(*got, m.data()));
  FUZZ_CHECK(got->data() == m.data().data() + offset && got->size() == n);
  m.Advance(advance);
}

void ReaderAgainstModel(absl::string_view ops, absl::string_view payload) {
  Reader r(payload);
  Model m(payload);
  for (char c : ops) {
    const uint8_t op = static_cast<uint8_t>(c);
    const size_t arg = op >> 4;
    switch (op % 14) {
      case 0:
        CheckFixed(r, m, r.ReadU8(), 1);
        break;
      case 1:
        CheckFixed(r, m, r.ReadU16(), 2);
        break;
      case 2:
        CheckFixed(r, m, r.ReadU24(), 3);
        break;
      case 3:
        CheckFixed(r, m, r.ReadU32(), 4);
        break;
      case 4:
        CheckFixed(r, m, r.ReadU48(), 6);
        break;
      case 5:
        CheckFixed(r, m, r.ReadU64(), 8);
        break;
      case 6:
      case 7: {
        size_t width = 0;
        bool null = false;
        const std::optional<uint64_t> want = m.LenEnc(&width, &null);
        if (op % 14 == 6) {
          auto got = r.ReadLenEnc();
          FUZZ_CHECK(got.ok() == (want.has_value() && !null));
          if (got.ok()) {
            FUZZ_CHECK(*got == *want);
            m.Advance(width);
          }
        } else {
          auto got = r.ReadLenEncOrNull();
          FUZZ_CHECK(got.ok() == want.has_value());
          if (got.ok()) {
            FUZZ_CHECK(got->has_value() == !null);
            if (!null) FUZZ_CHECK(**got == *want);
            m.Advance(width);
          }
        }
        break;
      }
      case 8: {
        size_t width = 0;
        bool null = false;
        const std::optional<uint64_t> len = m.LenEnc(&width, &null);
        const bool ok = len && !null && m.Have(width) && *len <= payload.size() - m.pos() - width;
        const size_t n = ok ? static_cast<size_t>(*len) : 0;
        CheckView(r.ReadLenEncString(), m, ok, m.pos() + width, n, width + n);
        break;
      }
      case 9: {
        const size_t nul = payload.find('\0', m.pos());
        const bool ok = nul != absl::string_view::npos;
        CheckView(r.ReadNulString(), m, ok, m.pos(), ok ? nul - m.pos() : 0,
                  ok ? nul - m.pos() + 1 : 0);
        break;
      }
      case 10:
        CheckView(r.ReadFixed(arg), m, m.Have(arg), m.pos(), arg, arg);
        break;
      case 11: {
        const bool ok = m.Have(arg);
        FUZZ_CHECK(r.Skip(arg).ok() == ok);
        if (ok) m.Advance(arg);
        break;
      }
      case 12: {
        auto got = r.PeekU8();
        FUZZ_CHECK(got.ok() == m.Have(1));
        if (got.ok()) FUZZ_CHECK(*got == m.Le(m.pos(), 1));
        break;
      }
      case 13: {
        const size_t n = payload.size() - m.pos();
        CheckView(r.ReadRest(), m, true, m.pos(), n, n);
        break;
      }
    }
    FUZZ_CHECK(r.position() == m.pos());
    FUZZ_CHECK(r.position() + r.remaining() == payload.size());
    FUZZ_CHECK(r.empty() == (r.remaining() == 0));
  }
}

// Values taken from the payload, written with Writer and read back with Reader.
void WriterRoundTrip(absl::string_view payload) {
  struct Item {
    uint8_t kind;
    uint64_t v;
    std::string s;
  };
  Input in(payload);
  std::vector<Item> items;
  std::string out;
  Writer w(&out);
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    Item it{static_cast<uint8_t>(in.U8() % 11), 0, ""};
    const size_t before = out.size();
    switch (it.kind) {
      case 0:
        it.v = in.U8();
        w.U8(static_cast<uint8_t>(it.v));
        break;
      case 1:
        it.v = in.U16();
        w.U16(static_cast<uint16_t>(it.v));
        break;
      case 2:
        it.v = in.U32() & 0xFFFFFF;
        w.U24(static_cast<uint32_t>(it.v));
        break;
      case 3:
        it.v = in.U32();
        w.U32(static_cast<uint32_t>(it.v));
        break;
      case 4:
        it.v = in.U64();
        w.U64(it.v);
        break;
      case 5:
        it.v = in.U64() >> in.Below(64);
        w.LenEnc(it.v);
        FUZZ_CHECK(out.size() - before == LenEncSize(it.v));
        break;
      case 6:
        it.s = std::string(in.Bytes(in.Below(40)));
        w.LenEncString(it.s);
        FUZZ_CHECK(out.size() - before == LenEncSize(it.s.size()) + it.s.size());
        break;
      case 7: {
        absl::string_view s = in.Bytes(in.Below(40));
        it.s = std::string(s.substr(0, s.find('\0')));
        w.NulString(it.s);
        break;
      }
      case 8:
        it.s = std::string(in.Bytes(in.Below(40)));
        w.Bytes(it.s);
        break;
      case 9:
        it.v = in.Below(16);
        w.Zeros(it.v);
        break;
      case 10:
        w.Null();
        break;
    }
    items.push_back(std::move(it));
  }
  Reader r(out);
  for (const Item& it : items) {
    switch (it.kind) {
      case 0:
        FUZZ_CHECK(*r.ReadU8() == it.v);
        break;
      case 1:
        FUZZ_CHECK(*r.ReadU16() == it.v);
        break;
      case 2:
        FUZZ_CHECK(*r.ReadU24() == it.v);
        break;
      case 3:
        FUZZ_CHECK(*r.ReadU32() == it.v);
        break;
      case 4:
        FUZZ_CHECK(*r.ReadU64() == it.v);
        break;
      case 5:
        FUZZ_CHECK(*r.ReadLenEnc() == it.v);
        break;
      case 6:
        FUZZ_CHECK(*r.ReadLenEncString() == it.s);
        break;
      case 7:
        FUZZ_CHECK(*r.ReadNulString() == it.s);
        break;
      case 8:
        FUZZ_CHECK(*r.ReadFixed(it.s.size()) == it.s);
        break;
      case 9:
        FUZZ_CHECK(*r.ReadFixed(it.v) == std::string(it.v, '\0'));
        break;
      case 10:
        FUZZ_CHECK(!r.ReadLenEncOrNull()->has_value());
        break;
    }
  }
  FUZZ_CHECK(r.empty());
}

void HeaderRoundTrip(absl::string_view payload) {
  Input in(payload);
  const uint32_t len = in.U32() & kMaxPacketPayload;
  const uint8_t seq = in.U8();
  uint8_t hdr[kHeaderSize];
  EncodeHeader(hdr, len, seq);
  const PacketHeader h = DecodeHeader(hdr);
  FUZZ_CHECK(h.length == len && h.seq == seq);
  if (payload.size() >= kHeaderSize) {
    const auto* raw = reinterpret_cast<const uint8_t*>(payload.data());
    const PacketHeader back = DecodeHeader(raw);
    EncodeHeader(hdr, back.length, back.seq);
    FUZZ_CHECK(absl::string_view(reinterpret_cast<const char*>(hdr), kHeaderSize) ==
               payload.substr(0, kHeaderSize));
  }
}

struct Packet {
  uint8_t seq;
  absl::string_view payload;
};

// Independent deframer for what AppendPacket writes. REQUIRES well-formed framing
// (checked).
std::vector<Packet> Deframe(absl::string_view framed) {
  std::vector<Packet> out;
  size_t pos = 0;
  while (pos < framed.size()) {
    FUZZ_CHECK(framed.size() - pos >= kHeaderSize);
    const auto* p = reinterpret_cast<const uint8_t*>(framed.data() + pos);
    const uint32_t len = p[0] | p[1] << 8 | p[2] << 16;
    FUZZ_CHECK(framed.size() - pos - kHeaderSize >= len);
    out.push_back({p[3], framed.substr(pos + kHeaderSize, len)});
    pos += kHeaderSize + len;
  }
  return out;
}

void FramingRoundTrip(const std::string& payload, uint8_t seq0, uint32_t caps, size_t cut) {
  std::string framed;
  uint8_t seq = seq0;
  AppendPacket(&framed, &seq, payload);
  const std::vector<Packet> packets = Deframe(framed);
  FUZZ_CHECK(!packets.empty());
  FUZZ_CHECK(static_cast<uint8_t>(seq0 + packets.size()) == seq);
  std::string back;
  for (size_t i = 0; i < packets.size(); ++i) {
    FUZZ_CHECK(packets[i].seq == static_cast<uint8_t>(seq0 + i));
    const bool last = i + 1 == packets.size();
    FUZZ_CHECK((packets[i].payload.size() == kMaxPacketPayload) == !last);
    back.append(packets[i].payload.data(), packets[i].payload.size());
  }
  FUZZ_CHECK(back == payload);

  // The scanner's framing agrees: a statistics reply is exactly one logical packet.
  if (!payload.empty() && static_cast<uint8_t>(payload[0]) == kErrHeader) return;
  ResponseScanner s(caps, ResponseKind::kStatistics);
  cut %= framed.size() + 1;
  size_t used = 0;
  for (absl::string_view part :
       {absl::string_view(framed).substr(0, cut), absl::string_view(framed).substr(cut)}) {
    auto n = s.Feed(part);
    FUZZ_CHECK(n.ok() && *n <= part.size());
    used += *n;
  }
  FUZZ_CHECK(s.done() && !s.is_error() && used == framed.size());
  FUZZ_CHECK(s.last_seq() == packets.back().seq);
}

void GenericPacketsRoundTrip(absl::string_view p, uint32_t caps) {
  FUZZ_CHECK(IsOkPacket(p) == (!p.empty() && static_cast<uint8_t>(p[0]) == kOkHeader));
  FUZZ_CHECK(IsErrPacket(p) == (!p.empty() && static_cast<uint8_t>(p[0]) == kErrHeader));
  FUZZ_CHECK(IsEofPacket(p) ==
             (!p.empty() && static_cast<uint8_t>(p[0]) == kEofHeader && p.size() < 9));

  if (auto ok = DecodeOk(p, caps); ok.ok()) {
    const uint8_t header = static_cast<uint8_t>(p[0]);
    FUZZ_CHECK(header == kOkHeader || header == kEofHeader);
    auto back = DecodeOk(EncodeOk(*ok, caps, header), caps);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->affected_rows == ok->affected_rows);
    FUZZ_CHECK(back->last_insert_id == ok->last_insert_id);
    FUZZ_CHECK(back->status_flags == (ok->status_flags & ~kServerSessionStateChanged));
    FUZZ_CHECK(back->warnings == ok->warnings);
    FUZZ_CHECK(back->info == ok->info);
  }
  if (auto err = DecodeErr(p); err.ok()) {
    FUZZ_CHECK(IsErrPacket(p) && err->code != 0xFFFF && err->sql_state.size() == 5);
    auto back = DecodeErr(EncodeErr(*err));
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->code == err->code && back->sql_state == err->sql_state &&
               back->message == err->message);
  }
  if (auto eof = DecodeEof(p); eof.ok()) {
    FUZZ_CHECK(IsEofPacket(p));
    auto back = DecodeEof(EncodeEof(eof->warnings, eof->status_flags));
    FUZZ_CHECK(back.ok() && back->warnings == eof->warnings &&
               back->status_flags == eof->status_flags);
  }
  for (bool extended : {false, true}) {
    auto col = DecodeColumnDef(p, extended);
    if (!col.ok()) continue;
    auto back = DecodeColumnDef(EncodeColumnDef(*col, extended), extended);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(back->name == col->name && back->type == col->type &&
               back->charset == col->charset && back->length == col->length &&
               back->flags == col->flags && back->decimals == col->decimals &&
               back->table == col->table && back->org_table == col->org_table &&
               back->schema == col->schema && back->org_name == col->org_name);
  }
}

void TextResultSetIsScannedWhole(absl::string_view payload, uint32_t caps) {
  Input in(payload);
  std::vector<ColumnDef> cols(1 + in.Below(4));
  for (ColumnDef& c : cols) {
    c.name = std::string(in.Bytes(in.Below(12)));
    c.table = std::string(in.Bytes(in.Below(4)));
    c.org_name = std::string(in.Bytes(in.Below(4)));
    c.type = in.U8();
    c.charset = in.U16();
    c.length = in.U32();
    c.flags = in.U16();
    c.decimals = in.U8();
  }
  std::vector<Row> rows(in.Below(4));
  for (Row& row : rows) {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (in.Bool()) {
        row.push_back(std::nullopt);
      } else {
        row.push_back(std::string(in.Bytes(in.Below(24))));
      }
    }
  }
  // More-results would make the scanner wait for another result, and a cursor flag
  // ends the response after the column definitions: neither belongs in one result set.
  const uint16_t status = in.U16() & ~(kServerMoreResultsExists | kServerStatusCursorExists);
  uint8_t seq = in.U8();
  std::string out;
  AppendTextResultSet(&out, &seq, cols, rows, caps, 0, status);

  ResponseScanner s(caps, ResponseKind::kGeneric);
  const size_t cut = in.Below(out.size() + 1);
  size_t used = 0;
  for (absl::string_view part :
       {absl::string_view(out).substr(0, cut), absl::string_view(out).substr(cut)}) {
    auto n = s.Feed(part);
    FUZZ_CHECK(n.ok() && *n <= part.size());
    used += *n;
  }
  FUZZ_CHECK(s.done() && !s.is_error() && used == out.size() && s.has_status());
  const bool deprecate_eof = caps & kClientDeprecateEof;
  FUZZ_CHECK(s.final_status_flags() ==
             (deprecate_eof ? status & ~kServerSessionStateChanged : status));

  const std::vector<Packet> packets = Deframe(out);
  const size_t want = 1 + cols.size() + (deprecate_eof ? 0 : 1) + rows.size() + 1;
  FUZZ_CHECK(packets.size() == want);
  Reader count(packets[0].payload);
  FUZZ_CHECK(*count.ReadLenEnc() == cols.size() && count.empty());
  for (size_t i = 0; i < cols.size(); ++i) {
    auto c = DecodeColumnDef(packets[1 + i].payload, false);
    FUZZ_CHECK(c.ok() && c->name == cols[i].name && c->table == cols[i].table &&
               c->org_name == cols[i].org_name && c->type == cols[i].type &&
               c->charset == cols[i].charset && c->length == cols[i].length &&
               c->flags == cols[i].flags && c->decimals == cols[i].decimals);
  }
  const size_t first_row = 1 + cols.size() + (deprecate_eof ? 0 : 1);
  for (size_t i = 0; i < rows.size(); ++i) {
    Reader r(packets[first_row + i].payload);
    for (const auto& value : rows[i]) {
      if (!value) {
        FUZZ_CHECK(!r.ReadLenEncOrNull()->has_value());
      } else {
        FUZZ_CHECK(*r.ReadLenEncString() == *value);
      }
    }
    FUZZ_CHECK(r.empty());
  }
}

}  // namespace
}  // namespace obp::mysql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::mysql;
  obp::fuzz::Input in(data, size);
  const uint8_t options = in.U8();
  const absl::string_view ops = in.Bytes(in.U8());
  const absl::string_view payload = in.Rest();
  uint32_t caps = kClientProtocol41;
  if (options & 1) caps |= kClientDeprecateEof;
  if (options & 2) caps |= kClientSessionTrack;

  ReaderAgainstModel(ops, payload);
  WriterRoundTrip(payload);
  HeaderRoundTrip(payload);
  GenericPacketsRoundTrip(payload, caps);
  TextResultSetIsScannedWhole(payload, caps);
  const size_t cut = ops.empty() ? payload.size() / 2 : static_cast<uint8_t>(ops[0]) * 7;
  FramingRoundTrip(std::string(payload), options, caps, cut);
  return 0;
}
