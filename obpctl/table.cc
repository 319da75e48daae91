#include "obpctl/table.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"

namespace obp::ctl {

void Table::AddRow(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string Table::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line.append("  ");
      line.append(row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size(), ' ');
    }
    // Trailing empty cells would otherwise leave blanks behind.
    line.erase(line.find_last_not_of(' ') + 1);
    out.append(line).append("\n");
  };
  emit(header_);
  for (const auto& r : rows_) emit(r);
  return out;
}

std::string TableCell(absl::string_view text, size_t width) {
  std::string one = absl::StrReplaceAll(text, {{"\n", " "}, {"\r", " "}, {"\t", " "}});
  if (one.size() > width) one = one.substr(0, width > 3 ? width - 3 : 0) + "...";
  return one.empty() ? "-" : one;
}

std::string HumanDuration(absl::Duration d) {
  if (d < absl::Milliseconds(1)) return "0s";
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  struct Unit {
    int64_t seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  int64_t left = absl::ToInt64Seconds(d);
  std::string out;
  int shown = 0;
  for (const auto& u : kUnits) {
    const int64_t n = left / u.seconds;
    left %= u.seconds;
    // Start at the first non-zero unit; after it, always show the next one
    // (3m0s, not 3m) so widths stay regular.
    if (shown == 0 && n == 0) continue;
    absl::StrAppend(&out, n, u.name);
    if (++shown == 2) break;
  }
  return out;
}


std::string ProtoJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Printing a message we built ourselves cannot fail.
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

}  // namespace obp::ctl
