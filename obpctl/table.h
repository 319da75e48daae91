// Text output helpers for obpctl: an aligned table, human durations
// ("3m12s"), and the small JSON pieces obpctl writes around proto JSON.
// Plain value types; no shared state.
#ifndef OBP_OBPCTL_TABLE_H_
#define OBP_OBPCTL_TABLE_H_

#include <ostream>
#include <string>

#include "common/core/json.h"
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace obp::ctl {

// Columns separated by two spaces, each as wide as its widest cell; the last
// column is not padded (no trailing blanks). Rows print in insertion order.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // REQUIRES: row.size() == header size (shorter rows are padded with "").
  void AddRow(std::vector<std::string> row);
  size_t rows() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// `text` on one line (newlines and tabs as blanks), cut to `width` bytes
// with "..." at the end when longer; "-" when empty.
std::string TableCell(absl::string_view text, size_t width);

// Width of a column that shows a SQL statement (sessions and history views):
// enough to recognise the statement, short enough to keep a row on one line.
inline constexpr size_t kStatementCellWidth = 60;

// Two most significant units, truncated: 0s, 450ms, 12s, 3m12s, 2h5m, 3d4h.
// Negative durations print as 0s; sub-millisecond as 0s.
std::string HumanDuration(absl::Duration d);

// A JSON string literal (quoted, escaped) for `s`.
using ::obp::JsonString;  // common/core/json.h

// The proto3 JSON mapping of `m` with the .proto field names, every field
// printed (zero values included), on one line. 64-bit integers are strings,
// Durations "12s", Timestamps RFC 3339, enums their names.
std::string ProtoJson(const google::protobuf::Message& m);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_TABLE_H_
