// libFuzzer target: proxyd's config (proxyd/config/config.h): TOML text and flag
// overrides -> ProxyConfig, through ParseConfig (no file I/O).
//
// Input: the TOML text. Leading lines "#!key=value" are also flag overrides (to
// TOML they are comments), so seeds stay readable config files.
//
// For any input:
//  - a refusal is InvalidArgument and names where (SPEC §7): "<source>:<line>:<col>:
//    <key>: ...", "<source>: ..." or "--<flag>: ...";
//  - an accepted config holds what the parser promises: node_id 1..8191, listen and
//    grpc_listen parse as HOST:PORT and can't clash, at least one tenant, unique tenant
//    names without '@'/'#', each tenant with backends of unique valid names whose
//    parsed address matches the text, default_tenant among the tenants, every user
//    in an existing tenant, unique per tenant, with a 20-byte stage2 (SHA1(SHA1(pw))
//    for a clear password), TLS options only with a cert and key, and each override
//    in force.
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/core/address.h"
#include "proxyd/config/config.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::config {
namespace {

constexpr absl::string_view kSource = "/etc/proxyd/fuzz.toml";

std::string Sha1(absl::string_view in) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
  return std::string(reinterpret_cast<const char*>(out), SHA_DIGEST_LENGTH);
}

bool GoodName(absl::string_view s) {
  return !s.empty() && s.find_first_of("@#") == absl::string_view::npos;
}

Overrides LeadingOverrides(absl::string_view text) {
  Overrides out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "#!")) break;
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    out[kv.first] = kv.second;
  }
  return out;
}

void CheckAccepted(const ProxyConfig& c, const Overrides& overrides) {
  FUZZ_CHECK(c.node_id >= 1 && c.node_id <= 8191);
  FUZZ_CHECK(GoodName(c.cluster) && GoodName(c.default_tenant));
  auto listen = ParseHostPort(c.listen);
  auto grpc = ParseHostPort(c.grpc_listen);
  FUZZ_CHECK(listen.ok() && grpc.ok());
  if (listen->port == grpc->port) {
    FUZZ_CHECK(listen->host != grpc->host && listen->host != "0.0.0.0" && grpc->host != "0.0.0.0");
  }
  FUZZ_CHECK(c.threads >= 0 && c.max_connections >= 1 && c.connect_timeout_ms >= 1 &&
             c.pool_max_idle_per_backend >= 0 && c.pool_idle_timeout_s >= 1);
  FUZZ_CHECK(!c.tenants.empty());
  FUZZ_CHECK(c.FindTenant(c.default_tenant) != nullptr);
  std::set<std::string> tenant_names;
  for (const Tenant& t : c.tenants) {
    FUZZ_CHECK(GoodName(t.name) && tenant_names.insert(t.name).second);
    FUZZ_CHECK(!t.backends.empty());
    std::set<std::string> backend_names;
    for (const Backend& b : t.backends) {
      FUZZ_CHECK(!b.name.empty() && backend_names.insert(b.name).second);
      for (char ch : b.name) {
        FUZZ_CHECK((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.');
      }
      auto hp = ParseHostPort(b.address);
      FUZZ_CHECK(hp.ok() && hp->host == b.hp.host && hp->port == b.hp.port);
      FUZZ_CHECK(t.FindBackend(b.name) == &b);
    }
  }
  std::set<std::pair<std::string, std::string>> users;
  for (const User& u : c.users) {
    FUZZ_CHECK(GoodName(u.name) && GoodName(u.tenant));
    FUZZ_CHECK(c.FindTenant(u.tenant) != nullptr);
    FUZZ_CHECK(users.insert({u.tenant, u.name}).second);
    FUZZ_CHECK(u.stage2.size() == 20);
    if (u.has_clear_password) {
      FUZZ_CHECK(u.stage2 == Sha1(Sha1(u.password)));
    } else {
      FUZZ_CHECK(u.password.empty());
    }
  }
  const TlsConfig& tls = c.grpc_tls;
  FUZZ_CHECK(tls.cert_file.empty() == tls.key_file.empty());
  if (!tls.enabled()) FUZZ_CHECK(tls.ca_file.empty() && !tls.require_client_cert);
  if (tls.require_client_cert) FUZZ_CHECK(!tls.ca_file.empty());
  FUZZ_CHECK(c.source_path == kSource);

  // Overrides win over the file.
  for (const auto& [key, value] : overrides) {
    int n = 0;
    if (key == "node_id")
      FUZZ_CHECK(absl::SimpleAtoi(value, &n) && c.node_id == static_cast<uint32_t>(n));
    if (key == "listen") FUZZ_CHECK(c.listen == value);
    if (key == "grpc_listen") FUZZ_CHECK(c.grpc_listen == value);
    if (key == "cluster") FUZZ_CHECK(c.cluster == value);
    if (key == "default_tenant") FUZZ_CHECK(c.default_tenant == value);
    if (key == "threads") FUZZ_CHECK(absl::SimpleAtoi(value, &n) && c.threads == n);
    if (key == "log_level") FUZZ_CHECK(c.log_level == value);
    if (key == "fleet_file") FUZZ_CHECK(c.fleet_file == value);
    if (key == "pool_reset") FUZZ_CHECK(c.pool_reset_always == (value == "always"));
  }
}

}  // namespace
}  // namespace obp::config

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::config;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const Overrides overrides = LeadingOverrides(text);
  absl::StatusOr<ProxyConfig> c = ParseConfig(text, kSource, overrides);
  if (c.ok()) {
    CheckAccepted(*c, overrides);
    return 0;
  }
  FUZZ_CHECK(c.status().code() == absl::StatusCode::kInvalidArgument);
  const absl::string_view msg = c.status().message();
  FUZZ_CHECK(absl::StartsWith(msg, absl::StrCat(kSource, ":")) || absl::StartsWith(msg, "--") ||
             absl::StartsWith(msg, "unknown override '"));
  return 0;
}
