#include "proxyd/config/scalars.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/core/address.h"

namespace obp::config::internal {
namespace {

using Kind = ScalarKey::Kind;

absl::Status Address(std::string* out, absl::string_view v) {
  if (auto hp = ParseHostPort(v); !hp.ok()) return hp.status();
  *out = std::string(v);
  return absl::OkStatus();
}

// Empty (off), or HOST:PORT whose host is an IP literal or localhost: the metrics
// endpoint binds exactly that and resolves no names.
absl::Status OptionalIpAddress(std::string* out, absl::string_view v) {
  if (!v.empty()) {
    auto hp = ParseHostPort(v);
    if (!hp.ok()) return hp.status();
    unsigned char buf[16];
    if (hp->host != "localhost" && inet_pton(AF_INET, hp->host.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, hp->host.c_str(), buf) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected an IP address or localhost as HOST, got \"", v, "\""));
    }
  }
  *out = std::string(v);
  return absl::OkStatus();
}

// A name that a login string (user@tenant#cluster) can carry.
absl::Status LoginPart(std::string* out, absl::string_view v) {
  if (v.empty()) return absl::InvalidArgumentError("must not be empty");
  if (v.find_first_of("@#") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("must not contain '@' or '#', got \"", v, "\""));
  }
  *out = std::string(v);
  return absl::OkStatus();
}

absl::Status LogLevel(std::string* out, absl::string_view v) {
  // spdlog maps an unknown level name to "off", so a typo would silence the log.
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (v == level) {
      *out = std::string(v);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected trace|debug|info|warn|error|critical|off, got \"", v, "\""));
}

int ToInt(absl::string_view v) {
  int n = 0;
  (void)absl::SimpleAtoi(v, &n);  // already range-checked by SetScalar
  return n;
}

std::vector<ScalarKey> BuildTable() {
  return {
      {"node_id", Kind::kInt, 1, 8191, "this node's id, unique in the fleet",
       [](ProxyConfig& c, absl::string_view v) {
         c.node_id = static_cast<uint32_t>(ToInt(v));
         return absl::OkStatus();
       }},
      {"cluster", Kind::kString, 0, 0, "cluster name (user@tenant#cluster)",
       [](ProxyConfig& c, absl::string_view v) { return LoginPart(&c.cluster, v); }},
      {"default_tenant", Kind::kString, 0, 0, "tenant of a login without @tenant",
       [](ProxyConfig& c, absl::string_view v) { return LoginPart(&c.default_tenant, v); }},
      {"listen", Kind::kString, 0, 0, "MySQL protocol HOST:PORT",
       [](ProxyConfig& c, absl::string_view v) { return Address(&c.listen, v); }},
      {"listen_socket", Kind::kString, 0, 0, "also listen on this Unix socket path",
       [](ProxyConfig& c, absl::string_view v) {
         c.listen_socket = std::string(v);  // length checked once resolved (CrossChecks)
         return absl::OkStatus();
       }},
      {"grpc_listen", Kind::kString, 0, 0, "SessionService HOST:PORT",
       [](ProxyConfig& c, absl::string_view v) { return Address(&c.grpc_listen, v); }},
      {"fleet_file", Kind::kString, 0, 0, "fleet file (peers for cross-node KILL)",
       [](ProxyConfig& c, absl::string_view v) {
         c.fleet_file = std::string(v);
         return absl::OkStatus();
       }},
      {"threads", Kind::kInt, 0, 1024, "data-plane threads; 0 = one per core",
       [](ProxyConfig& c, absl::string_view v) {
         c.threads = ToInt(v);
         return absl::OkStatus();
       }},
      {"log_level", Kind::kString, 0, 0, "trace|debug|info|warn|error",
       [](ProxyConfig& c, absl::string_view v) { return LogLevel(&c.log_level, v); }},
      {"log_format", Kind::kString, 0, 0, "text|json: one line per event either way",
       [](ProxyConfig& c, absl::string_view v) {
         if (v != "text" && v != "json") {
           return absl::InvalidArgumentError(absl::StrCat("expected text|json, got \"", v, "\""));
         }
         c.log_json = v == "json";
         return absl::OkStatus();
       }},
      {"log_file", Kind::kString, 0, 0, "log file; empty = stderr",
       [](ProxyConfig& c, absl::string_view v) {
         c.log_file = std::string(v);
         return absl::OkStatus();
       }},
      {"audit_log", Kind::kString, 0, 0, "kill audit log (JSON lines); \"-\" = stderr",
       [](ProxyConfig& c, absl::string_view v) {
         c.audit_log = std::string(v);
         return absl::OkStatus();
       }},
      {"tokens_file", Kind::kString, 0, 0, "bearer tokens for the gRPC API",
       [](ProxyConfig& c, absl::string_view v) {
         c.tokens_file = std::string(v);
         return absl::OkStatus();
       }},
      {"peer_token_file", Kind::kString, 0, 0, "file holding the operator token sent to peers",
       [](ProxyConfig& c, absl::string_view v) {
         c.peer_token_file = std::string(v);
         return absl::OkStatus();
       }},
      {"server_version", Kind::kString, 0, 0, "version in the greeting; empty = probe backend",
       [](ProxyConfig& c, absl::string_view v) {
         c.server_version = std::string(v);
         return absl::OkStatus();
       }},
      {"max_connections", Kind::kInt, 1, 1000000, "client connections accepted at once",
       [](ProxyConfig& c, absl::string_view v) {
         c.max_connections = ToInt(v);
         return absl::OkStatus();
       }},
      {"admin_reserved_connections", Kind::kInt, 0, 10000,
       "connections beyond max_connections kept for admin logins",
       [](ProxyConfig& c, absl::string_view v) {
         c.admin_reserved_connections = ToInt(v);
         return absl::OkStatus();
       }},
      {"login_timeout_s", Kind::kInt, 1, 3600, "a client must finish logging in within this",
       [](ProxyConfig& c, absl::string_view v) {
         c.login_timeout_s = ToInt(v);
         return absl::OkStatus();
       }},
      {"wait_timeout_s", Kind::kInt, 0, 31536000, "close sessions idle this long; 0 = never",
       [](ProxyConfig& c, absl::string_view v) {
         c.wait_timeout_s = ToInt(v);
         return absl::OkStatus();
       }},
      {"net_read_timeout_s", Kind::kInt, 1, 3600,
       "a client's started packet must be complete within this",
       [](ProxyConfig& c, absl::string_view v) {
         c.net_read_timeout_s = ToInt(v);
         return absl::OkStatus();
       }},
      {"max_allowed_packet", Kind::kInt, 1024, 1 << 30,
       "largest command a client may send, in bytes",
       [](ProxyConfig& c, absl::string_view v) {
         c.max_allowed_packet = ToInt(v);
         return absl::OkStatus();
       }},
      {"backend_kill_timeout_ms", Kind::kInt, 1, 600000,
       "how long a kill waits for the backend to confirm its KILL",
       [](ProxyConfig& c, absl::string_view v) {
         c.backend_kill_timeout_ms = ToInt(v);
         return absl::OkStatus();
       }},
      {"drain_timeout_s", Kind::kInt, 0, 3600,
       "a drain kills the sessions still there after this (SPEC §8)",
       [](ProxyConfig& c, absl::string_view v) {
         c.drain_timeout_s = ToInt(v);
         return absl::OkStatus();
       }},
      {"history_size", Kind::kInt, 0, 1000000,
       "ended client sessions the node remembers (SPEC §9); 0 = none",
       [](ProxyConfig& c, absl::string_view v) {
         c.history_size = ToInt(v);
         return absl::OkStatus();
       }},
      {"grpc_max_concurrent_calls", Kind::kInt, 1, 100000,
       "gRPC calls in flight at once; more get RESOURCE_EXHAUSTED",
       [](ProxyConfig& c, absl::string_view v) {
         c.grpc_max_concurrent_calls = ToInt(v);
         return absl::OkStatus();
       }},
      {"metrics_listen", Kind::kString, 0, 0, "HOST:PORT serving GET /metrics; empty = off",
       [](ProxyConfig& c, absl::string_view v) { return OptionalIpAddress(&c.metrics_listen, v); }},
      {"connect_timeout_ms", Kind::kInt, 1, 600000, "backend connect + login timeout",
       [](ProxyConfig& c, absl::string_view v) {
         c.connect_timeout_ms = ToInt(v);
         return absl::OkStatus();
       }},
      {"pool_max_idle_per_backend", Kind::kInt, 0, 100000, "idle pooled server sessions; 0 = off",
       [](ProxyConfig& c, absl::string_view v) {
         c.pool_max_idle_per_backend = ToInt(v);
         return absl::OkStatus();
       }},
      {"pool_idle_timeout_s", Kind::kInt, 1, 86400, "close pooled connections idle this long",
       [](ProxyConfig& c, absl::string_view v) {
         c.pool_idle_timeout_s = ToInt(v);
         return absl::OkStatus();
       }},
      {"pool_reset", Kind::kString, 0, 0, "auto|always: COM_RESET_CONNECTION before pooling",
       [](ProxyConfig& c, absl::string_view v) {
         if (v != "auto" && v != "always") {
           return absl::InvalidArgumentError(absl::StrCat("expected auto|always, got \"", v, "\""));
         }
         c.pool_reset_always = v == "always";
         return absl::OkStatus();
       }},
  };
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<ScalarKey>& ScalarKeys() {
  static const auto* table = new std::vector<ScalarKey>(BuildTable());
  return *table;
}

const ScalarKey* FindScalarKey(absl::string_view key) {
  for (const ScalarKey& k : ScalarKeys()) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

std::string FlagName(absl::string_view key) {
  return absl::StrCat("--", absl::StrReplaceAll(key, {{"_", "-"}}));
}

absl::Status SetScalar(const ScalarKey& key, absl::string_view value, ProxyConfig& c) {
  if (key.kind == Kind::kInt) {
    int64_t n = 0;
    // SimpleAtoi alone would take " 5" and "+5"; a flag value should be plain digits.
    bool digits = !value.empty() && std::all_of(value.begin() + (value[0] == '-'), value.end(),
                                                [](char ch) { return absl::ascii_isdigit(ch); });
    if (!digits || !absl::SimpleAtoi(value, &n) || n < key.min || n > key.max) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected an integer ", key.min, "..", key.max, ", got \"", value, "\""));
    }
  }
  return key.set(c, value);
}

std::string NearestKey(absl::string_view key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_distance = 3;  // farther than two edits is not a typo
  for (const std::string& k : known) {
    size_t d = EditDistance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

}  // namespace obp::config::internal
