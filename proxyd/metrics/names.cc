// Label values of the metrics' enums and command bytes.
#include "proxyd/metrics/metrics.h"

namespace obp::metrics {

const char* KillSourceName(KillSource s) {
  switch (s) {
    case KillSource::kSql: return "sql";
    case KillSource::kGrpc: return "grpc";
    case KillSource::kPeer: return "peer";
    case KillSource::kCount: break;
  }
  return "other";
}

const char* KillModeName(KillMode m) {
  return m == KillMode::kQuery ? "query" : "connection";
}

const char* KillOutcomeName(KillOutcome o) {
  switch (o) {
    case KillOutcome::kOk: return "ok";
    case KillOutcome::kPartial: return "partial";
    case KillOutcome::kFailed: return "failed";
    case KillOutcome::kExpired: return "expired";
    case KillOutcome::kDryRun: return "dry_run";
    case KillOutcome::kNoLongerMatches: return "no_longer_matches";
    case KillOutcome::kNotFound: return "not_found";
    case KillOutcome::kDenied: return "denied";
    case KillOutcome::kAmbiguous: return "ambiguous";
    case KillOutcome::kUnreachable: return "unreachable";
    case KillOutcome::kRefused: return "refused";
    case KillOutcome::kCount: break;
  }
  return "other";
}

const char* CommandName(uint8_t b) {
  // The protocol's COM_* names, lower case without the prefix (COM_STMT_EXECUTE ->
  // "stmt_execute"); the numbers are the wire's (proxyd/mysql/constants.h).
  static constexpr const char* kNames[] = {
      "sleep",          "quit",          "init_db",        "query",
      "field_list",     "create_db",     "drop_db",        "refresh",
      "shutdown",       "statistics",    "process_info",   "connect",
      "process_kill",   "debug",         "ping",           "time",
      "delayed_insert", "change_user",   "binlog_dump",    "table_dump",
      "connect_out",    "register_slave", "stmt_prepare",  "stmt_execute",
      "stmt_send_long_data", "stmt_close", "stmt_reset",   "set_option",
      "stmt_fetch",     "daemon",        "binlog_dump_gtid", "reset_connection"};
  if (b < sizeof(kNames) / sizeof(kNames[0])) return kNames[b];
  if (b == 0xfa) return "stmt_bulk_execute";
  if (b == 0xfe) return "multi";
  return "unknown";
}

}  // namespace obp::metrics
