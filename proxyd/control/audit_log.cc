#include "proxyd/control/audit_log.h"

#include "common/core/json.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace obp::control {

std::string AuditJson(const AuditRecord& r) {
  std::string out = absl::StrCat(
      "{\"time\":", ::obp::JsonString(absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())),
      ",\"node\":", r.node_id, ",\"actor\":", ::obp::JsonString(r.actor), ",\"id\":", r.id,
      ",\"cs_id\":", r.cs_id);
  if (r.ss_id) absl::StrAppend(&out, ",\"ss_id\":", *r.ss_id);
  absl::StrAppend(&out, ",\"connection_ids\":[", absl::StrJoin(r.connection_ids, ","), "]",
                  ",\"mode\":", ::obp::JsonString(r.mode), ",\"reason\":", ::obp::JsonString(r.reason),
                  ",\"dry_run\":", r.dry_run ? "true" : "false",
                  ",\"result\":", ::obp::JsonString(r.result));
  if (!r.detail.empty()) absl::StrAppend(&out, ",\"detail\":", ::obp::JsonString(r.detail));
  out += "}";
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

}  // namespace obp::control
