// libFuzzer target: proxyd's config (proxyd/config/config.h): TOML text and flag
// overrides -> ProxyConfig, through ParseConfig (no file I/O).
//
// Input: the TOML text. Leading lines "#!key=value" are also flag overrides (to
// TOML they are comments), so seeds stay readable config files. An input starting
// with byte 0x01 (never valid TOML) is instead a recipe: the target writes a config
// of tenants, backends and users whose names and passwords are any text (quotes,
// backslashes, control characters, non-ASCII) in every TOML string form, and checks
// that ParseConfig gives back exactly those values.
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
//    in force;
//  - a written config parses back to the values it was written from, unless it puts
//    a non-ASCII character first after a line-ending backslash (refused, see
//    common/core/toml_util.cc).
#include <openssl/sha.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

// Code points the written strings are made of: ASCII that TOML escapes or quotes
// specially, controls, and non-ASCII ones toml++ 3.3 mishandles around whitespace.
constexpr const char* kPieces[] = {
    "a",
    "Z",
    "0",
    " ",
    "\"",
    "'",
    "\\",
    "\t",
    "\n",
    "\r",
    "\x01",
    "\x7f",
    "#",
    "@",
    "=",
    "[",
    "\xc2\xa0",
    "\xc2\xa7",
    "\xd0\xb4",
    "\xe2\x82\xac",
    "\xe3\x80\x80",
    "\xe2\xb1\x8e",
    "\xef\xbb\xbb",
    "\xef\xbb\xbf",
    "\xf0\x9f\x98\x80",
};

std::string Text(fuzz::Input& in, size_t max) {
  std::string out;
  for (size_t n = in.Below(max + 1); n > 0; --n) {
    out += kPieces[in.Below(sizeof(kPieces) / sizeof(kPieces[0]))];
  }
  return out;
}

bool IsControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// Text for a comment: TOML allows no control character there but the tab.
std::string CommentText(fuzz::Input& in) {
  std::string s = Text(in, 4);
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return IsControl(c) && c != '\t'; }),
          s.end());
  return s;
}

// `value` as a TOML string in the form `style` picks, when that form can hold it
// (else as a basic string). *refused is set when the form puts a non-ASCII character
// first after a line-ending backslash.
std::string Quote(const std::string& value, uint8_t style, bool* refused) {
  auto escaped = [&](bool multi_line, size_t break_at) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (multi_line && i == break_at) {
        out += "\\\n   ";  // a line-ending backslash: the newline and spaces vanish
        if (static_cast<unsigned char>(value[i]) >= 0x80) *refused = true;
      }
      const char c = value[i];
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (IsControl(c) && c != '\t') {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c;
      }
    }
    return out;
  };
  const bool no_controls = std::none_of(
      value.begin(), value.end(), [](char c) { return IsControl(c) && c != '\t' && c != '\n'; });
  switch (style % 4) {
    case 1:
      if (no_controls && value.find_first_of("'\n") == std::string::npos) return "'" + value + "'";
      break;
    case 2: {
      // Break the line before a character that is not whitespace (it would vanish).
      size_t at = std::string::npos;
      if (!value.empty() && style / 4 % 2) {
        at = (style / 8) % value.size();
        while (at > 0 && (static_cast<unsigned char>(value[at]) & 0xC0) == 0x80) --at;
        const char c = value[at];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') at = std::string::npos;
      }
      return "\"\"\"" + escaped(true, at) + "\"\"\"";
    }
    case 3:
      if (no_controls && value.find("''") == std::string::npos &&
          value.find('\r') == std::string::npos &&
          (value.empty() || (value.front() != '\n' && value.back() != '\''))) {
        return "'''" + value + "'''";
      }
      break;
    default:
      break;
  }
  return "\"" + escaped(false, std::string::npos) + "\"";
}

void Built(fuzz::Input& in) {
  struct Want {
    std::string tenant, name, password;
  };
  auto login_part = [](std::string s) {  // no '@' or '#' in tenant and user names
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '@' || c == '#'; }),
            s.end());
    return s;
  };
  bool refused = false;
  std::vector<std::string> tenants;
  std::vector<size_t> backends;
  std::string tables;
  for (size_t t = 1 + in.Below(3); t > 0; --t) {
    tenants.push_back(login_part(absl::StrCat("t", tenants.size(), Text(in, 4))));
    backends.push_back(1 + in.Below(3));
    absl::StrAppend(&tables, "[[tenant]]\nname = ", Quote(tenants.back(), in.U8(), &refused),
                    "\nbackends = [");
    for (size_t b = 0; b < backends.back(); ++b) {
      absl::StrAppend(&tables, b ? ", " : "", "{ name = \"b", b, "\", address = \"h", b, ":",
                      1 + in.Below(65535), "\" }");
    }
    tables += "]\n";
  }
  std::vector<Want> users;
  for (size_t u = in.Below(4); u > 0; --u) {
    Want w{tenants[in.Below(tenants.size())],
           login_part(absl::StrCat("u", users.size(), Text(in, 6))), Text(in, 12)};
    absl::StrAppend(&tables, "[[user]]\ntenant = ", Quote(w.tenant, in.U8(), &refused),
                    "\nname = ", Quote(w.name, in.U8(), &refused),
                    "\npassword = ", Quote(w.password, in.U8(), &refused), "  # ", CommentText(in),
                    "\n");
    users.push_back(std::move(w));
  }
  // Scalars come before the first table.
  const std::string toml =
      absl::StrCat("# ", CommentText(in), "\nnode_id = ", 1 + in.Below(8191),
                   "\ndefault_tenant = ", Quote(tenants[0], in.U8(), &refused), "\n", tables);

  absl::StatusOr<ProxyConfig> c = ParseConfig(toml, kSource, {});
  if (refused) {
    FUZZ_CHECK(!c.ok() && absl::StrContains(c.status().message(), "line-ending backslash"));
    return;
  }
  if (!c.ok())
    std::fprintf(stderr, "%s\n--- written:\n%s\n", c.status().ToString().c_str(), toml.c_str());
  FUZZ_CHECK(c.ok());
  FUZZ_CHECK(c->default_tenant == tenants[0]);
  FUZZ_CHECK(c->tenants.size() == tenants.size());
  for (size_t t = 0; t < tenants.size(); ++t) {
    FUZZ_CHECK(c->tenants[t].name == tenants[t]);
    FUZZ_CHECK(c->tenants[t].backends.size() == backends[t]);
  }
  FUZZ_CHECK(c->users.size() == users.size());
  for (size_t u = 0; u < users.size(); ++u) {
    FUZZ_CHECK(c->users[u].tenant == users[u].tenant);
    FUZZ_CHECK(c->users[u].name == users[u].name);
    FUZZ_CHECK(c->users[u].has_clear_password && c->users[u].password == users[u].password);
  }
  CheckAccepted(*c, {});
}

}  // namespace
}  // namespace obp::config

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::config;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] == 0x01) {
    obp::fuzz::Input in(data + 1, size - 1);
    Built(in);
    return 0;
  }
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
