#include "proxyd/mysql/resultset.h"

#include <utility>

#include "common/core/status_macros.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {

std::string EncodeColumnDef(const ColumnDef& col, bool extended_metadata) {
  std::string out;
  Writer w(&out);
  w.LenEncString("def");
  w.LenEncString(col.schema);
  w.LenEncString(col.table);
  w.LenEncString(col.org_table);
  w.LenEncString(col.name);
  w.LenEncString(col.org_name);
  if (extended_metadata) w.LenEnc(0);  // no type name or format: plain SQL types
  w.LenEnc(0x0c);  // length of the fixed-size fields below
  w.U16(col.charset);
  w.U32(col.length);
  w.U8(col.type);
  w.U16(col.flags);
  w.U8(col.decimals);
  w.U16(0);
  return out;
}

absl::StatusOr<ColumnDef> DecodeColumnDef(absl::string_view payload, bool extended_metadata) {
  Reader r(payload);
  ColumnDef col;
  absl::string_view s;
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());  // catalog
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());
  col.schema = std::string(s);
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());
  col.table = std::string(s);
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());
  col.org_table = std::string(s);
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());
  col.name = std::string(s);
  OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());
  col.org_name = std::string(s);
  if (extended_metadata) {
    OBP_ASSIGN_OR_RETURN(s, r.ReadLenEncString());  // type name and format: not kept
  }
  uint64_t fixed_len = 0;
  OBP_ASSIGN_OR_RETURN(fixed_len, r.ReadLenEnc());
  if (fixed_len < 0x0c) return absl::InvalidArgumentError("column definition too short");
  OBP_ASSIGN_OR_RETURN(col.charset, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(col.length, r.ReadU32());
  OBP_ASSIGN_OR_RETURN(col.type, r.ReadU8());
  OBP_ASSIGN_OR_RETURN(col.flags, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(col.decimals, r.ReadU8());
  OBP_RETURN_IF_ERROR(r.Skip(fixed_len - 10));
  return col;
}

void AppendTextResultSet(std::string* out, uint8_t* seq, const std::vector<ColumnDef>& cols,
                         const std::vector<Row>& rows, uint32_t client_caps,
                         uint32_t client_ext_caps, uint16_t status_flags) {
  const bool deprecate_eof = client_caps & kClientDeprecateEof;
  const bool extended_metadata = client_ext_caps & kMariaDbClientExtendedMetadata;
  std::string payload;
  Writer w(&payload);
  w.LenEnc(cols.size());
  AppendPacket(out, seq, payload);
  for (const ColumnDef& col : cols) AppendPacket(out, seq, EncodeColumnDef(col, extended_metadata));
  if (!deprecate_eof) AppendPacket(out, seq, EncodeEof(0, status_flags));
  for (const Row& row : rows) {
    payload.clear();
    for (const auto& value : row) {
      if (value.has_value()) {
        w.LenEncString(*value);
      } else {
        w.Null();
      }
    }
    AppendPacket(out, seq, payload);
  }
  if (deprecate_eof) {
    OkPacket ok;
    ok.status_flags = status_flags;
    AppendPacket(out, seq, EncodeOk(ok, client_caps, kEofHeader));
  } else {
    AppendPacket(out, seq, EncodeEof(0, status_flags));
  }
}

void AppendOk(std::string* out, uint8_t* seq, const OkPacket& ok, uint32_t caps) {
  AppendPacket(out, seq, EncodeOk(ok, caps));
}

void AppendErr(std::string* out, uint8_t* seq, const ErrPacket& err) {
  AppendPacket(out, seq, EncodeErr(err));
}

}  // namespace obp::mysql
