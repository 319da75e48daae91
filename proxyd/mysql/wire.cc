#include "proxyd/mysql/wire.h"

#include <algorithm>

#include "proxyd/mysql/constants.h"

namespace obp::mysql {

PacketHeader DecodeHeader(const uint8_t* p) {
  return PacketHeader{static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                          static_cast<uint32_t>(p[2]) << 16,
                      p[3]};
}

void EncodeHeader(uint8_t* p, uint32_t len, uint8_t seq) {
  p[0] = static_cast<uint8_t>(len);
  p[1] = static_cast<uint8_t>(len >> 8);
  p[2] = static_cast<uint8_t>(len >> 16);
  p[3] = seq;
}

absl::StatusOr<uint64_t> Reader::ReadLe(size_t n) {
  if (remaining() < n) {
    return absl::OutOfRangeError("mysql packet truncated");
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  }
  pos_ += n;
  return v;
}

absl::StatusOr<uint8_t> Reader::ReadU8() {
  auto v = ReadLe(1);
  if (!v.ok()) return v.status();
  return static_cast<uint8_t>(*v);
}
absl::StatusOr<uint16_t> Reader::ReadU16() {
  auto v = ReadLe(2);
  if (!v.ok()) return v.status();
  return static_cast<uint16_t>(*v);
}
absl::StatusOr<uint32_t> Reader::ReadU24() {
  auto v = ReadLe(3);
  if (!v.ok()) return v.status();
  return static_cast<uint32_t>(*v);
}
absl::StatusOr<uint32_t> Reader::ReadU32() {
  auto v = ReadLe(4);
  if (!v.ok()) return v.status();
  return static_cast<uint32_t>(*v);
}
absl::StatusOr<uint64_t> Reader::ReadU48() { return ReadLe(6); }
absl::StatusOr<uint64_t> Reader::ReadU64() { return ReadLe(8); }

absl::StatusOr<uint8_t> Reader::PeekU8() const {
  if (empty()) return absl::OutOfRangeError("mysql packet truncated");
  return static_cast<uint8_t>(data_[pos_]);
}

absl::StatusOr<std::optional<uint64_t>> Reader::ReadLenEncOrNull() {
  auto first = PeekU8();
  if (!first.ok()) return first.status();
  size_t width;
  switch (*first) {
    case 0xFB:
      ++pos_;
      return std::optional<uint64_t>();
    case 0xFC:
      width = 2;
      break;
    case 0xFD:
      width = 3;
      break;
    case 0xFE:
      width = 8;
      break;
    case 0xFF:
      return absl::InvalidArgumentError("invalid length-encoded integer prefix 0xFF");
    default:
      ++pos_;
      return std::optional<uint64_t>(*first);
  }
  if (remaining() < 1 + width) {
    return absl::OutOfRangeError("mysql packet truncated in length-encoded integer");
  }
  ++pos_;
  auto v = ReadLe(width);
  if (!v.ok()) return v.status();
  return std::optional<uint64_t>(*v);
}

absl::StatusOr<uint64_t> Reader::ReadLenEnc() {
  auto v = ReadLenEncOrNull();
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    // Undo: a NULL marker where a number is required leaves the reader unchanged.
    --pos_;
    return absl::InvalidArgumentError("unexpected NULL length-encoded integer");
  }
  return **v;
}

absl::StatusOr<absl::string_view> Reader::ReadLenEncString() {
  size_t start = pos_;
  auto len = ReadLenEnc();
  if (!len.ok()) return len.status();
  if (remaining() < *len) {
    pos_ = start;
    return absl::OutOfRangeError("mysql packet truncated in length-encoded string");
  }
  absl::string_view s = data_.substr(pos_, *len);
  pos_ += *len;
  return s;
}

absl::StatusOr<absl::string_view> Reader::ReadNulString() {
  size_t nul = data_.find('\0', pos_);
  if (nul == absl::string_view::npos) {
    return absl::OutOfRangeError("mysql packet truncated: missing NUL terminator");
  }
  absl::string_view s = data_.substr(pos_, nul - pos_);
  pos_ = nul + 1;
  return s;
}

absl::StatusOr<absl::string_view> Reader::ReadFixed(size_t n) {
  if (remaining() < n) return absl::OutOfRangeError("mysql packet truncated");
  absl::string_view s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

absl::string_view Reader::ReadRest() {
  absl::string_view s = data_.substr(pos_);
  pos_ = data_.size();
  return s;
}

absl::Status Reader::Skip(size_t n) {
  if (remaining() < n) return absl::OutOfRangeError("mysql packet truncated");
  pos_ += n;
  return absl::OkStatus();
}

void Writer::Le(uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) out_->push_back(static_cast<char>(v >> (8 * i)));
}
void Writer::U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
void Writer::U16(uint16_t v) { Le(v, 2); }
void Writer::U24(uint32_t v) { Le(v, 3); }
void Writer::U32(uint32_t v) { Le(v, 4); }
void Writer::U64(uint64_t v) { Le(v, 8); }

void Writer::LenEnc(uint64_t v) {
  if (v < 0xFB) {
    U8(static_cast<uint8_t>(v));
  } else if (v <= 0xFFFF) {
    U8(0xFC);
    Le(v, 2);
  } else if (v <= 0xFFFFFF) {
    U8(0xFD);
    Le(v, 3);
  } else {
    U8(0xFE);
    Le(v, 8);
  }
}

void Writer::LenEncString(absl::string_view s) {
  LenEnc(s.size());
  out_->append(s.data(), s.size());
}
void Writer::NulString(absl::string_view s) {
  out_->append(s.data(), s.size());
  out_->push_back('\0');
}
void Writer::Bytes(absl::string_view s) { out_->append(s.data(), s.size()); }
void Writer::Zeros(size_t n) { out_->append(n, '\0'); }
void Writer::Null() { U8(0xFB); }

size_t LenEncSize(uint64_t v) {
  if (v < 0xFB) return 1;
  if (v <= 0xFFFF) return 3;
  if (v <= 0xFFFFFF) return 4;
  return 9;
}

void AppendPacket(std::string* out, uint8_t* seq, absl::string_view payload) {
  size_t pos = 0;
  while (true) {
    size_t chunk = std::min<size_t>(payload.size() - pos, kMaxPacketPayload);
    uint8_t hdr[kHeaderSize];
    EncodeHeader(hdr, static_cast<uint32_t>(chunk), (*seq)++);
    out->append(reinterpret_cast<const char*>(hdr), kHeaderSize);
    out->append(payload.data() + pos, chunk);
    pos += chunk;
    // A full-size chunk always needs a follower, even an empty one.
    if (chunk < kMaxPacketPayload) break;
  }
}

}  // namespace obp::mysql
