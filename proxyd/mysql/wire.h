// Byte-level helpers of the MySQL wire protocol: packet headers, a bounds-checked
// Reader over one payload, a Writer appending to a string, and packet framing.
// Thread rule: Reader and Writer are single-owner values (no internal locking); the
// free functions are pure and safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::mysql {

struct PacketHeader {
  uint32_t length;  // payload length, 0..0xFFFFFF
  uint8_t seq;
};

// REQUIRES: p points at 4 readable bytes.
PacketHeader DecodeHeader(const uint8_t* p);
// REQUIRES: p points at 4 writable bytes; len <= kMaxPacketPayload.
void EncodeHeader(uint8_t* p, uint32_t len, uint8_t seq);

// Reads little-endian fields from one payload. Every read past the end returns an
// OutOfRange status and leaves the position unchanged; nothing is read out of bounds.
// Views returned point into the payload the Reader was built on.
class Reader {
 public:
  explicit Reader(absl::string_view payload) : data_(payload) {}

  absl::StatusOr<uint8_t> ReadU8();
  absl::StatusOr<uint16_t> ReadU16();
  absl::StatusOr<uint32_t> ReadU24();
  absl::StatusOr<uint32_t> ReadU32();
  absl::StatusOr<uint64_t> ReadU48();
  absl::StatusOr<uint64_t> ReadU64();
  // Length-encoded integer. 0xFB (NULL) and 0xFF are errors here.
  absl::StatusOr<uint64_t> ReadLenEnc();
  // Like ReadLenEnc but 0xFB yields nullopt (SQL NULL in a text row).
  absl::StatusOr<std::optional<uint64_t>> ReadLenEncOrNull();
  absl::StatusOr<absl::string_view> ReadLenEncString();
  // Bytes up to (not including) the next NUL; consumes the NUL. Error if none.
  absl::StatusOr<absl::string_view> ReadNulString();
  absl::StatusOr<absl::string_view> ReadFixed(size_t n);
  absl::string_view ReadRest();
  absl::Status Skip(size_t n);
  // Next byte without consuming it.
  absl::StatusOr<uint8_t> PeekU8() const;

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }

 private:
  absl::StatusOr<uint64_t> ReadLe(size_t n);

  absl::string_view data_;
  size_t pos_ = 0;
};

// Appends little-endian fields to *out (not owned, must outlive the Writer).
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void U8(uint8_t v);
  void U16(uint16_t v);
  void U24(uint32_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void LenEnc(uint64_t v);
  void LenEncString(absl::string_view s);
  void NulString(absl::string_view s);  // REQUIRES: s contains no NUL
  void Bytes(absl::string_view s);
  void Zeros(size_t n);
  void Null();  // 0xFB

 private:
  void Le(uint64_t v, size_t n);
  std::string* out_;
};

// Size in bytes of the length-encoded form of v.
size_t LenEncSize(uint64_t v);

// Frames `payload` as packets appended to *out: chunks of kMaxPacketPayload, plus a
// trailing empty packet when the length is an exact multiple of it (including an
// empty payload, which becomes one empty packet). Uses and increments *seq per packet.
void AppendPacket(std::string* out, uint8_t* seq, absl::string_view payload);

}  // namespace obp::mysql
