// The kill audit log (SPEC §6): one JSON object per line per kill attempt, granted
// or refused, local or forwarded.
//
// Thread rule: WriteAuditLine is not synchronised; KillService serialises calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace obp::control {

struct AuditRecord {
  uint32_t node_id = 0;
  std::string actor;
  uint64_t id = 0;  // as the caller gave it
  uint32_t cs_id = 0;
  std::optional<uint64_t> ss_id;
  std::vector<uint32_t> connection_ids;
  std::string mode;
  std::string reason;
  bool dry_run = false;
  // "ok", "partial" (session closed, a backend KILL not confirmed), "failed" (a
  // KILL QUERY the backend did not confirm), "expired" (the caller's deadline
  // passed first; nothing done), or the refusal's message.
  std::string result;
  std::string detail;  // why, for partial/failed/expired; empty otherwise
};

std::string AuditJson(const AuditRecord& rec);
// Appends AuditJson(rec) to `path` ("-" = stderr, empty = nowhere).
void WriteAuditLine(const std::string& path, const AuditRecord& rec);

}  // namespace obp::control
