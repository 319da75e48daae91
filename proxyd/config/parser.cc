#include "proxyd/config/parser.h"

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/core/status_macros.h"
#include "common/core/toml_util.h"
#include "proxyd/config/scalars.h"

namespace obp::config::internal {
namespace {

// toml++ speaks std::string_view; Debian's Abseil has its own string_view type.
absl::string_view Str(const toml::key& k) {
  return absl::string_view(k.str().data(), k.str().size());
}

std::string Sha1(absl::string_view in) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
  return std::string(reinterpret_cast<const char*>(out), SHA_DIGEST_LENGTH);
}

bool IsBackendName(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
           ch == '.';
  });
}

std::optional<BackendTls> ParseBackendTls(absl::string_view s) {
  if (s == "off") return BackendTls::kOff;
  if (s == "required") return BackendTls::kRequired;
  if (s == "verify_ca") return BackendTls::kVerifyCa;
  if (s == "verify_identity") return BackendTls::kVerifyIdentity;
  return std::nullopt;
}

constexpr size_t kMaxSocketPath = 107;

bool IsPasswordHash(absl::string_view s) {
  return s.size() == 41 && s[0] == '*' && std::all_of(s.begin() + 1, s.end(), [](char ch) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(ch));
         });
}

std::vector<std::string> TopLevelKeys() {
  std::vector<std::string> keys = {"tenant", "user", "grpc_tls", "sql_tls"};
  for (const ScalarKey& k : ScalarKeys()) keys.push_back(k.key);
  return keys;
}

std::string TenantNames(const ProxyConfig& c) {
  return absl::StrJoin(c.tenants, ", ",
                       [](std::string* out, const Tenant& t) { out->append(t.name); });
}

}  // namespace

absl::Status ConfigParser::Error(const toml::source_position& at, absl::string_view path,
                                 absl::string_view what) const {
  return TomlError(source_, at, path, what);
}

absl::Status ConfigParser::ScalarError(const std::string& key, absl::string_view what) const {
  if (from_flag_.count(key)) {
    return absl::InvalidArgumentError(absl::StrCat(FlagName(key), ": ", what));
  }
  auto it = file_pos_.find(key);
  if (it != file_pos_.end()) return Error(it->second, key, what);
  return absl::InvalidArgumentError(absl::StrCat(source_, ": ", key, ": ", what));
}

const toml::source_position& ConfigParser::KeyPos(absl::string_view name) const {
  return root_.find(std::string_view(name.data(), name.size()))->first.source().begin;
}

absl::Status ConfigParser::UnknownKey(const toml::key& key, absl::string_view path,
                                      const std::vector<std::string>& known) const {
  std::string what = "unknown key";
  std::string near = NearestKey(Str(key), known);
  if (!near.empty()) absl::StrAppend(&what, " (did you mean '", near, "'?)");
  return Error(key.source().begin, path, what);
}

absl::Status ConfigParser::Scalars() {
  static const auto* known = new std::vector<std::string>(TopLevelKeys());
  for (auto&& [key, node] : root_) {
    const std::string k(Str(key));
    if (k == "tenant" || k == "user" || k == "grpc_tls" || k == "sql_tls") continue;
    const ScalarKey* sk = FindScalarKey(k);
    if (sk == nullptr) return UnknownKey(key, k, *known);
    file_pos_[k] = key.source().begin;
    std::string text;
    if (sk->kind == ScalarKey::Kind::kInt) {
      std::optional<int64_t> v = node.value_exact<int64_t>();
      if (!v || *v < sk->min || *v > sk->max) {
        return ScalarError(k, absl::StrCat("expected an integer ", sk->min, "..", sk->max, ", got ",
                                           v ? absl::StrCat(*v) : TomlTypeName(node)));
      }
      text = absl::StrCat(*v);
    } else {
      std::optional<std::string> v = node.value_exact<std::string>();
      if (!v) return ScalarError(k, absl::StrCat("expected a string, got ", TomlTypeName(node)));
      text = *std::move(v);
    }
    if (absl::Status s = SetScalar(*sk, text, c_); !s.ok()) return ScalarError(k, s.message());
  }
  // A relative path in the file means "next to this config file".
  for (std::string* path : {&c_.fleet_file, &c_.tokens_file, &c_.peer_token_file, &c_.audit_log,
                            &c_.listen_socket}) {
    if (!path->empty() && *path != "-" && std::filesystem::path(*path).is_relative()) {
      *path = (std::filesystem::path(source_).parent_path() / *path).string();
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ApplyOverrides(const Overrides& overrides) {
  for (const auto& [key, value] : overrides) {
    const ScalarKey* sk = FindScalarKey(key);
    if (sk == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown override '", key, "'"));
    from_flag_.insert(key);
    if (absl::Status s = SetScalar(*sk, value, c_); !s.ok()) return ScalarError(key, s.message());
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::Tenants() {
  const toml::node* n = root_.get("tenant");
  if (n == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": tenant: at least one [[tenant]] is required"));
  }
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    return Error(KeyPos("tenant"), "tenant",
                 absl::StrCat("expected [[tenant]] tables, got ", TomlTypeName(*n)));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& entry = (*arr)[i];
    const std::string path = absl::StrCat("tenant[", i, "]");
    const toml::table* t = entry.as_table();
    if (t == nullptr) {
      return Error(entry.source().begin, path,
                   absl::StrCat("expected a table, got ", TomlTypeName(entry)));
    }
    Tenant tenant;
    toml::source_position name_at = t->source().begin;
    for (auto&& [key, value] : *t) {
      const std::string kp = absl::StrCat(path, ".", Str(key));
      if (Str(key) == "name") {
        name_at = key.source().begin;
        std::optional<std::string> s = value.value_exact<std::string>();
        if (!s)
          return Error(name_at, kp, absl::StrCat("expected a string, got ", TomlTypeName(value)));
        if (s->empty() || s->find_first_of("@#") != std::string::npos) {
          return Error(
              name_at, kp,
              absl::StrCat("expected a non-empty name without '@' or '#', got \"", *s, "\""));
        }
        tenant.name = *std::move(s);
      } else if (Str(key) == "backends") {
        OBP_RETURN_IF_ERROR(ParseBackends(value, kp, tenant));
        if (tenant.backends.empty()) {
          return Error(key.source().begin, kp, "a tenant needs at least one backend");
        }
      } else {
        return UnknownKey(key, kp, {"name", "backends"});
      }
    }
    if (tenant.name.empty()) return Error(t->source().begin, path + ".name", "missing");
    if (tenant.backends.empty()) {
      return Error(t->source().begin, path + ".backends",
                   "missing: a tenant needs at least one backend");
    }
    if (c_.FindTenant(tenant.name)) {
      return Error(name_at, path + ".name", absl::StrCat("duplicate tenant \"", tenant.name, "\""));
    }
    c_.tenants.push_back(std::move(tenant));
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseBackends(const toml::node& n, const std::string& path,
                                         Tenant& tenant) {
  const toml::array* arr = n.as_array();
  if (arr == nullptr) {
    return Error(n.source().begin, path,
                 absl::StrCat("expected an array of { name, address }, got ", TomlTypeName(n)));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    OBP_RETURN_IF_ERROR(ParseBackend((*arr)[i], absl::StrCat(path, "[", i, "]"), tenant));
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseBackend(const toml::node& n, const std::string& path,
                                        Tenant& tenant) {
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    return Error(n.source().begin, path,
                 absl::StrCat("expected { name = ..., address = ... }, got ", TomlTypeName(n)));
  }
  config::Backend b;
  toml::source_position name_at = t->source().begin;
  for (auto&& [key, value] : *t) {
    const std::string kp = absl::StrCat(path, ".", Str(key));
    if (Str(key) != "name" && Str(key) != "address" && Str(key) != "tls" &&
        Str(key) != "ca_file") {
      return UnknownKey(key, kp, {"name", "address", "tls", "ca_file"});
    }
    std::optional<std::string> s = value.value_exact<std::string>();
    if (!s) {
      return Error(key.source().begin, kp,
                   absl::StrCat("expected a string, got ", TomlTypeName(value)));
    }
    if (Str(key) == "tls") {
      std::optional<BackendTls> mode = ParseBackendTls(*s);
      if (!mode) {
        return Error(key.source().begin, kp,
                     absl::StrCat("expected off, required, verify_ca or verify_identity, got \"",
                                  *s, "\""));
      }
      b.tls = *mode;
    } else if (Str(key) == "ca_file") {
      if (s->empty()) return Error(key.source().begin, kp, "expected a file path, got \"\"");
      b.ca_file = *std::move(s);
    } else if (Str(key) == "name") {
      name_at = key.source().begin;
      if (!IsBackendName(*s)) {
        return Error(
            name_at, kp,
            absl::StrCat("expected a name of letters, digits, '_', '-', '.', got \"", *s, "\""));
      }
      b.name = *std::move(s);
    } else {
      absl::StatusOr<HostPort> hp = ParseHostPort(*s);
      if (!hp.ok()) return Error(key.source().begin, kp, hp.status().message());
      b.address = *std::move(s);
      b.hp = *std::move(hp);
    }
  }
  if (b.name.empty()) return Error(t->source().begin, path + ".name", "missing");
  if (b.address.empty()) return Error(t->source().begin, path + ".address", "missing");
  if (!b.ca_file.empty() && b.tls != BackendTls::kVerifyCa &&
      b.tls != BackendTls::kVerifyIdentity) {
    return Error(t->source().begin, path + ".ca_file",
                 "only used with tls = \"verify_ca\" or \"verify_identity\"");
  }
  if (tenant.FindBackend(b.name)) {
    return Error(name_at, path + ".name",
                 absl::StrCat("duplicate backend \"", b.name, "\" in this tenant"));
  }
  tenant.backends.push_back(std::move(b));
  return absl::OkStatus();
}

absl::Status ConfigParser::Users() {
  const toml::node* n = root_.get("user");
  if (n == nullptr) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  if (arr == nullptr) {
    return Error(KeyPos("user"), "user",
                 absl::StrCat("expected [[user]] tables, got ", TomlTypeName(*n)));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    OBP_RETURN_IF_ERROR(ParseUser((*arr)[i], absl::StrCat("user[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseUser(const toml::node& n, const std::string& path) {
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    return Error(n.source().begin, path, absl::StrCat("expected a table, got ", TomlTypeName(n)));
  }
  config::User u;
  toml::source_position name_at = t->source().begin, tenant_at = t->source().begin;
  bool tenant_given = false;
  for (auto&& [key, value] : *t) {
    const std::string k(Str(key));
    const std::string kp = absl::StrCat(path, ".", k);
    if (k == "admin" || k == "require_tls") {
      std::optional<bool> b = value.value_exact<bool>();
      if (!b) {
        return Error(key.source().begin, kp,
                     absl::StrCat("expected true or false, got ", TomlTypeName(value)));
      }
      (k == "admin" ? u.admin : u.require_tls) = *b;
    } else if (k == "password" || k == "password_hash") {
      OBP_RETURN_IF_ERROR(ParseUserPassword(key, value, path, u));
    } else if (k == "tenant" || k == "name") {
      std::optional<std::string> s = value.value_exact<std::string>();
      if (!s) {
        return Error(key.source().begin, kp,
                     absl::StrCat("expected a string, got ", TomlTypeName(value)));
      }
      if (s->empty() || s->find_first_of("@#") != std::string::npos) {
        return Error(
            key.source().begin, kp,
            absl::StrCat("expected a non-empty name without '@' or '#', got \"", *s, "\""));
      }
      (k == "tenant" ? tenant_at : name_at) = key.source().begin;
      tenant_given |= k == "tenant";
      (k == "tenant" ? u.tenant : u.name) = *std::move(s);
    } else {
      return UnknownKey(key, kp,
                        {"tenant", "name", "password", "password_hash", "admin", "require_tls"});
    }
  }
  if (u.name.empty()) return Error(t->source().begin, path + ".name", "missing");
  if (u.stage2.empty()) {
    return Error(t->source().begin, path, "missing: give password or password_hash");
  }
  if (!tenant_given) u.tenant = c_.default_tenant;
  if (!c_.FindTenant(u.tenant)) {
    return Error(tenant_at, path + ".tenant",
                 absl::StrCat("no tenant named \"", u.tenant, "\"",
                              tenant_given ? "" : " (the default_tenant)",
                              " (tenants: ", TenantNames(c_), ")"));
  }
  if (c_.FindUser(u.tenant, u.name)) {
    return Error(name_at, path + ".name",
                 absl::StrCat("duplicate user \"", u.name, "\" in tenant \"", u.tenant, "\""));
  }
  c_.users.push_back(std::move(u));
  return absl::OkStatus();
}

absl::Status ConfigParser::ParseUserPassword(const toml::key& key, const toml::node& value,
                                             const std::string& path, User& u) {
  const std::string kp = absl::StrCat(path, ".", Str(key));
  std::optional<std::string> s = value.value_exact<std::string>();
  if (!s) {
    return Error(key.source().begin, kp,
                 absl::StrCat("expected a string, got ", TomlTypeName(value)));
  }
  // stage2 is set by whichever of the two keys came first.
  if (!u.stage2.empty()) {
    return Error(key.source().begin, path, "give only one of password and password_hash");
  }
  if (Str(key) == "password") {
    u.has_clear_password = true;
    u.password = *s;
    u.stage2 = Sha1(Sha1(*s));
    return absl::OkStatus();
  }
  if (!IsPasswordHash(*s)) {
    return Error(key.source().begin, kp,
                 absl::StrCat("expected \"*\" and 40 hex digits (SELECT PASSWORD('...')), got \"",
                              *s, "\""));
  }
  u.stage2 = absl::HexStringToBytes(absl::AsciiStrToLower(s->substr(1)));
  return absl::OkStatus();
}

absl::Status ConfigParser::Tls(absl::string_view section, TlsConfig& tls) {
  const std::string sec(section);
  const toml::node* n = root_.get(sec);
  if (n == nullptr) return absl::OkStatus();
  const toml::table* t = n->as_table();
  if (t == nullptr) {
    return Error(KeyPos(sec), sec,
                 absl::StrCat("expected a [", sec, "] table, got ", TomlTypeName(*n)));
  }
  for (auto&& [key, value] : *t) {
    const std::string k(Str(key));
    const std::string kp = sec + "." + k;
    if (k == "require_client_cert") {
      std::optional<bool> b = value.value_exact<bool>();
      if (!b) {
        return Error(key.source().begin, kp,
                     absl::StrCat("expected true or false, got ", TomlTypeName(value)));
      }
      tls.require_client_cert = *b;
      continue;
    }
    std::string* field = k == "cert_file"  ? &tls.cert_file
                         : k == "key_file" ? &tls.key_file
                         : k == "ca_file"  ? &tls.ca_file
                                           : nullptr;
    if (field == nullptr) {
      return UnknownKey(key, kp, {"cert_file", "key_file", "ca_file", "require_client_cert"});
    }
    std::optional<std::string> s = value.value_exact<std::string>();
    if (!s || s->empty()) {
      return Error(key.source().begin, kp,
                   absl::StrCat("expected a file path, got ", s ? "\"\"" : TomlTypeName(value)));
    }
    *field = *std::move(s);
  }
  const toml::source_position at = t->source().begin;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return Error(at, sec + (tls.cert_file.empty() ? ".cert_file" : ".key_file"),
                 "missing: cert_file and key_file go together");
  }
  if (!tls.enabled() && (!tls.ca_file.empty() || tls.require_client_cert)) {
    return Error(at, sec + ".cert_file",
                 "missing: client-certificate options need the server's cert_file and key_file");
  }
  if (tls.require_client_cert && tls.ca_file.empty()) {
    return Error(at, sec + ".ca_file", "missing: require_client_cert needs a ca_file");
  }
  return absl::OkStatus();
}

absl::Status ConfigParser::CrossChecks() {
  if (!c_.FindTenant(c_.default_tenant)) {
    bool set = from_flag_.count("default_tenant") || file_pos_.count("default_tenant");
    return ScalarError("default_tenant",
                       absl::StrCat("no tenant named \"", c_.default_tenant, "\"",
                                    set ? "" : " (the default value; set default_tenant)",
                                    " (tenants: ", TenantNames(c_), ")"));
  }
  // A Unix socket path fits sun_path: 107 bytes and a NUL (checked after a relative
  // path in the file was resolved against the file's directory).
  if (c_.listen_socket.size() > kMaxSocketPath) {
    return ScalarError("listen_socket",
                       absl::StrCat("path of ", c_.listen_socket.size(), " bytes; at most ",
                                    kMaxSocketPath, " fit a Unix socket address"));
  }
  auto listen = ParseHostPort(c_.listen);
  auto grpc = ParseHostPort(c_.grpc_listen);
  if (listen.ok() && grpc.ok() && listen->port == grpc->port &&
      (listen->host == grpc->host || listen->host == "0.0.0.0" || grpc->host == "0.0.0.0")) {
    return ScalarError("grpc_listen", absl::StrCat("same address as listen (", c_.listen, ")"));
  }
  if (auto m = ParseHostPort(c_.metrics_listen); m.ok()) {
    for (const auto& [other, name] : {std::pair{listen, "listen"}, std::pair{grpc, "grpc_listen"}}) {
      if (other.ok() && other->port == m->port &&
          (other->host == m->host || other->host == "0.0.0.0" || m->host == "0.0.0.0")) {
        return ScalarError("metrics_listen", absl::StrCat("same port as ", name));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace obp::config::internal
