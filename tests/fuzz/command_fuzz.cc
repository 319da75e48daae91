// libFuzzer target: the client command payloads obp_mysql decodes
// (proxyd/mysql/stmt_execute.h, packets.h): COM_STMT_EXECUTE (header, new-params-bound
// flag, parameter types, and the type block proxyd re-sends after a re-prepare),
// the statement id of every COM_STMT_* (SEND_LONG_DATA, FETCH, CLOSE, RESET), and
// COM_PROCESS_KILL. proxyd never decodes parameter values: they must pass through
// byte for byte, whatever the types.
//
// Input: bytes 0..1 = num_params (what PREPARE_OK said: below 64 unless the high bit
// is set), byte 2 = what to build: < 0xF0 a raw payload (from its command byte; its
// last 5 bytes give the new statement id and the type bytes to inject), < 0xF8 the
// recipe of a well-formed COM_STMT_EXECUTE, else SEND_LONG_DATA and FETCH.
//
// For any payload, each decoder agrees with a reference model of the layout
// (accepts exactly what is long enough and has the right command byte, reads the
// little-endian fields at their offsets), RewriteStmtId changes bytes 1..4 only,
// and InjectParamTypes inserts exactly the flag and the types. For a built
// COM_STMT_EXECUTE with parameters of every MySQL type, NULLs and unsigned flags:
// the header and types decode to what was built, stripping the types and injecting
// them back gives the same bytes, and the values are untouched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/stmt_execute.h"
#include "proxyd/mysql/wire.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::mysql {
namespace {

using fuzz::Input;

constexpr size_t kExecuteFixed = 10;  // 0x17, stmt_id(4), flags(1), iterations(4)

uint32_t LoadU32(absl::string_view p, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[at + i])} << (8 * i);
  return v;
}

uint8_t Byte(absl::string_view p, size_t at) { return static_cast<uint8_t>(p[at]); }

// Every decoder on an arbitrary payload, against the layout.
void RawPayload(absl::string_view p, uint16_t num_params, Input& in) {
  const bool is_execute = !p.empty() && Byte(p, 0) == static_cast<uint8_t>(Command::kStmtExecute);

  auto hdr = ParseStmtExecuteHeader(p);
  FUZZ_CHECK(hdr.ok() == (is_execute && p.size() >= kExecuteFixed));
  if (hdr.ok()) {
    FUZZ_CHECK(hdr->stmt_id == LoadU32(p, 1) && hdr->flags == Byte(p, 5) &&
               hdr->iterations == LoadU32(p, 6));
  }

  auto id = ParseStmtId(p);
  FUZZ_CHECK(id.ok() == (p.size() >= 5));
  if (id.ok()) FUZZ_CHECK(*id == LoadU32(p, 1));

  const uint32_t new_id = in.U32();
  const uint8_t type_byte = in.U8();
  std::string rewritten(p);
  RewriteStmtId(&rewritten, new_id);
  FUZZ_CHECK(rewritten.size() == p.size());
  if (p.size() >= 5) {
    FUZZ_CHECK(*ParseStmtId(rewritten) == new_id);
    FUZZ_CHECK(rewritten[0] == p[0] && absl::string_view(rewritten).substr(5) == p.substr(5));
  } else {
    FUZZ_CHECK(rewritten == p);
  }

  auto kill = DecodeProcessKill(p);
  const bool is_kill = !p.empty() && Byte(p, 0) == static_cast<uint8_t>(Command::kProcessKill);
  FUZZ_CHECK(kill.ok() == (is_kill && p.size() >= 5));
  if (kill.ok()) FUZZ_CHECK(*kill == LoadU32(p, 1));

  // new-params-bound sits after the null bitmap; with no parameters there is none.
  const size_t flag_at = kExecuteFixed + (size_t{num_params} + 7) / 8;
  auto bound = NewParamsBound(p, num_params);
  const bool bound_ok = num_params == 0 ? hdr.ok() : is_execute && p.size() > flag_at;
  FUZZ_CHECK(bound.ok() == bound_ok);
  if (!bound.ok()) {
    FUZZ_CHECK(!ExtractParamTypes(p, num_params).ok());
    return;
  }
  FUZZ_CHECK(*bound == (num_params > 0 && Byte(p, flag_at) != 0));

  const size_t ntypes = 2 * size_t{num_params};
  auto types = ExtractParamTypes(p, num_params);
  if (*bound) {
    FUZZ_CHECK(types.ok() == (p.size() >= flag_at + 1 + ntypes));
    if (types.ok()) FUZZ_CHECK(*types == p.substr(flag_at + 1, ntypes));
  } else {
    FUZZ_CHECK(types.ok() && types->empty());
  }

  std::string given(ntypes, static_cast<char>(type_byte));
  auto injected = InjectParamTypes(p, num_params, given);
  FUZZ_CHECK(injected.ok());
  if (*bound || num_params == 0) {
    FUZZ_CHECK(*injected == p);
  } else {
    FUZZ_CHECK(*injected == std::string(p.substr(0, flag_at)) + '\x01' + given +
                                std::string(p.substr(flag_at + 1)));
    FUZZ_CHECK(*NewParamsBound(*injected, num_params));
    FUZZ_CHECK(*ExtractParamTypes(*injected, num_params) == given);
  }
  if (ntypes > 0) FUZZ_CHECK(!InjectParamTypes(p, num_params, given.substr(1)).ok());
}

constexpr uint8_t kAllTypes[] = {
    kTypeDecimal,    kTypeTiny,       kTypeShort,      kTypeLong,      kTypeFloat,
    kTypeDouble,     kTypeNull,       kTypeTimestamp,  kTypeLongLong,  kTypeInt24,
    kTypeDate,       kTypeTime,       kTypeDateTime,   kTypeYear,      kTypeNewDate,
    kTypeVarChar,    kTypeBit,        kTypeTimestamp2, kTypeDateTime2, kTypeTime2,
    kTypeJson,       kTypeNewDecimal, kTypeEnum,       kTypeSet,       kTypeTinyBlob,
    kTypeMediumBlob, kTypeLongBlob,   kTypeBlob,       kTypeVarString, kTypeString,
    kTypeGeometry,
};
constexpr size_t kNumTypes = sizeof(kAllTypes);

// One parameter value in the binary protocol, as a client writes it.
void AppendValue(Writer& w, uint8_t type, Input& in) {
  switch (type) {
    case kTypeNull:
      return;
    case kTypeTiny:
      w.U8(in.U8());
      return;
    case kTypeShort:
    case kTypeYear:
      w.U16(in.U16());
      return;
    case kTypeLong:
    case kTypeInt24:
    case kTypeFloat:
      w.U32(in.U32());
      return;
    case kTypeLongLong:
    case kTypeDouble:
      w.U64(in.U64());
      return;
    case kTypeDate:
    case kTypeDateTime:
    case kTypeTimestamp:
    case kTypeDateTime2:
    case kTypeTimestamp2:
    case kTypeNewDate: {
      static constexpr uint8_t kLengths[] = {0, 4, 7, 11};
      const uint8_t n = kLengths[in.U8() % 4];
      w.U8(n);
      std::string v(in.Bytes(n));
      v.resize(n, '\0');
      w.Bytes(v);
      return;
    }
    case kTypeTime:
    case kTypeTime2: {
      static constexpr uint8_t kLengths[] = {0, 8, 12};
      const uint8_t n = kLengths[in.U8() % 3];
      w.U8(n);
      std::string v(in.Bytes(n));
      v.resize(n, '\0');
      w.Bytes(v);
      return;
    }
    default:  // DECIMAL, strings, blobs, BIT, JSON, ENUM, SET, GEOMETRY: length-encoded
      w.LenEncString(in.Bytes(in.Below(300)));
      return;
  }
}

// A well-formed COM_STMT_EXECUTE with `n` parameters of the types the input picks
// (every type, in order, when it picks 0xFF), then the checks.
void BuiltExecute(Input& in) {
  const uint16_t n = static_cast<uint16_t>(in.U8() == 0xFF ? kNumTypes : in.Below(80));
  const uint32_t stmt_id = in.U32();
  const uint8_t flags = in.U8() & 0x07;
  const uint32_t iterations = in.U8() % 2 ? 1 : in.U32();
  std::string nulls((n + 7) / 8, '\0');
  std::string types, values;
  Writer tw(&types), vw(&values);
  for (uint16_t i = 0; i < n; ++i) {
    const uint8_t pick = in.U8();
    const uint8_t type =
        n == kNumTypes && i < kNumTypes ? kAllTypes[i] : kAllTypes[pick % kNumTypes];
    tw.U8(type);
    tw.U8(pick & 0x80);  // the unsigned flag
    if (pick & 0x40) {
      nulls[i / 8] = static_cast<char>(nulls[i / 8] | (1 << (i % 8)));
    } else {
      AppendValue(vw, type, in);
    }
  }
  std::string head;
  Writer hw(&head);
  hw.U8(static_cast<uint8_t>(Command::kStmtExecute));
  hw.U32(stmt_id);
  hw.U8(flags);
  hw.U32(iterations);
  const std::string with_types = n == 0 ? head : head + nulls + '\x01' + types + values;
  const std::string without = n == 0 ? head : head + nulls + '\x00' + values;

  for (const std::string* p : {&with_types, &without}) {
    auto h = ParseStmtExecuteHeader(*p);
    FUZZ_CHECK(h.ok() && h->stmt_id == stmt_id && h->flags == flags && h->iterations == iterations);
    FUZZ_CHECK(*ParseStmtId(*p) == stmt_id);
  }
  FUZZ_CHECK(*NewParamsBound(with_types, n) == (n > 0));
  FUZZ_CHECK(!*NewParamsBound(without, n));
  FUZZ_CHECK(*ExtractParamTypes(with_types, n) == (n > 0 ? types : ""));
  FUZZ_CHECK(ExtractParamTypes(without, n)->empty());
  FUZZ_CHECK(*InjectParamTypes(without, n, types) == with_types);
  FUZZ_CHECK(*InjectParamTypes(with_types, n, types) == with_types);
  // The statement id moves to the backend's; nothing else changes, values included.
  std::string moved = with_types;
  RewriteStmtId(&moved, ~stmt_id);
  FUZZ_CHECK(moved.substr(5) == with_types.substr(5) && *ParseStmtId(moved) == ~stmt_id);
  if (n > 0) FUZZ_CHECK(absl::string_view(moved).substr(moved.size() - values.size()) == values);
}

// COM_STMT_SEND_LONG_DATA (id, param, data) and COM_STMT_FETCH (id, rows).
void BuiltLongDataAndFetch(Input& in) {
  const uint32_t id = in.U32();
  std::string long_data;
  Writer w(&long_data);
  w.U8(static_cast<uint8_t>(Command::kStmtSendLongData));
  w.U32(id);
  w.U16(in.U16());
  w.Bytes(in.Bytes(in.Below(512)));
  std::string fetch;
  Writer f(&fetch);
  f.U8(static_cast<uint8_t>(Command::kStmtFetch));
  f.U32(id);
  f.U32(in.U32());
  for (const std::string* p : {&long_data, &fetch}) {
    FUZZ_CHECK(*ParseStmtId(*p) == id);
    FUZZ_CHECK(!ParseStmtExecuteHeader(*p).ok());
    std::string moved = *p;
    RewriteStmtId(&moved, id + 1);
    FUZZ_CHECK(*ParseStmtId(moved) == id + 1 && moved.substr(5) == p->substr(5) &&
               moved[0] == (*p)[0]);
  }
}

}  // namespace
}  // namespace obp::mysql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::mysql;
  obp::fuzz::Input in(data, size);
  // Mostly few parameters, but any count a PREPARE_OK can announce.
  const uint16_t raw_params = in.U16();
  const uint16_t num_params = raw_params & 0x8000 ? raw_params : raw_params % 64;
  const uint8_t what = in.U8();
  if (what < 0xF0) {
    // The payload is the rest but for its last 5 bytes, which feed the rewrites.
    const size_t keep = std::min<size_t>(in.remaining(), 5);
    const absl::string_view all = in.Rest();
    const absl::string_view payload = all.substr(0, all.size() - keep);
    obp::fuzz::Input extra(all.substr(payload.size()));
    RawPayload(payload, num_params, extra);
  } else if (what < 0xF8) {
    BuiltExecute(in);
  } else {
    BuiltLongDataAndFetch(in);
  }
  return 0;
}
