// Text result sets the proxy produces itself (admin SQL), plus framing helpers for
// OK/ERR and a column-definition decoder. Functions append complete framed packets
// to a caller-owned buffer; pure, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"

namespace obp::mysql {

struct ColumnDef {
  std::string name;
  uint8_t type = kTypeVarString;
  uint16_t charset = kCharsetUtf8GeneralCi;
  uint32_t length = 1024;
  uint16_t flags = 0;
  uint8_t decimals = 0;
  std::string table, org_table, schema, org_name;
};

using Row = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL

// Column definition 41 payload (catalog "def"). With `extended_metadata` (MariaDB's
// MARIADB_CLIENT_EXTENDED_METADATA negotiated) it carries an empty extended-type block.
std::string EncodeColumnDef(const ColumnDef& col, bool extended_metadata);
// Accepts any catalog; ignores the COM_FIELD_LIST default-value trailer, and with
// `extended_metadata` MariaDB's extended-type block (skipped, not kept).
absl::StatusOr<ColumnDef> DecodeColumnDef(absl::string_view payload, bool extended_metadata);

// Appends: column count, column defs, EOF (unless kClientDeprecateEof in
// client_caps), one packet per row, then EOF, or with kClientDeprecateEof an OK with
// header 0xFE. `status_flags` goes into the EOF/OK packets; `client_ext_caps` are the
// MariaDB extended capabilities negotiated with the client.
// REQUIRES: every row has cols.size() values; cols is not empty.
void AppendTextResultSet(std::string* out, uint8_t* seq, const std::vector<ColumnDef>& cols,
                         const std::vector<Row>& rows, uint32_t client_caps,
                         uint32_t client_ext_caps, uint16_t status_flags);
void AppendOk(std::string* out, uint8_t* seq, const OkPacket& ok, uint32_t caps);
void AppendErr(std::string* out, uint8_t* seq, const ErrPacket& err);

}  // namespace obp::mysql
