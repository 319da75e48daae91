#include "absl/strings/string_view.h"
#include "proxyd/kill/audit_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace obp::kill {
namespace {
std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}
}  // namespace

std::string AuditJson(const AuditRecord& r) {
  std::string out = absl::StrCat(
      "{\"time\":", JsonString(absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())),
      ",\"node\":", r.node_id, ",\"actor\":", JsonString(r.actor), ",\"id\":", r.id,
      ",\"cs_id\":", r.cs_id);
  if (r.ss_id) absl::StrAppend(&out, ",\"ss_id\":", *r.ss_id);
  absl::StrAppend(&out, ",\"connection_ids\":[", absl::StrJoin(r.connection_ids, ","), "]",
                  ",\"mode\":", JsonString(r.mode), ",\"reason\":", JsonString(r.reason),
                  ",\"dry_run\":", r.dry_run ? "true" : "false",
                  ",\"result\":", JsonString(r.result), "}");
  return out;
}

void WriteAuditLine(const std::string& path, const AuditRecord& rec) {
  if (path.empty()) return;
  std::string line = AuditJson(rec) + "\n";
  if (path == "-") {
    std::fwrite(line.data(), 1, line.size(), stderr);
    return;
  }
  if (FILE* f = std::fopen(path.c_str(), "a")) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
  }
}

}  // namespace obp::kill
