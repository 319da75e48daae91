#include "absl/strings/string_view.h"
#include "proxyd/config/config.h"

#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <toml++/toml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/core/ids.h"

namespace obp::config {
namespace {

std::string Sha1(absl::string_view in) {
  unsigned char out[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
  return std::string(reinterpret_cast<char*>(out), SHA_DIGEST_LENGTH);
}

// A scalar key: how to set it from text (flag) and from a TOML node (file).
struct Scalar {
  enum class Type { kString, kInt, kBool } type;
  std::function<absl::Status(ProxyConfig&, absl::string_view)> set;
};

absl::Status SetInt(int* out, absl::string_view text, int64_t lo, int64_t hi) {
  int64_t v;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat("expected an integer ", lo, "..", hi, ", got \"", text, "\""));
  }
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

absl::Status SetAddress(std::string* out, absl::string_view text) {
  auto hp = ParseHostPort(text);
  if (!hp.ok()) return hp.status();
  *out = std::string(text);
  return absl::OkStatus();
}

const std::map<std::string, Scalar>& Scalars() {
  using T = Scalar::Type;
  static const auto* m = new std::map<std::string, Scalar>{
      {"node_id", {T::kInt, [](ProxyConfig& c, absl::string_view v) {
         int id = 0;
         absl::Status s = SetInt(&id, v, 1, kMaxNodeId);
         c.node_id = static_cast<uint32_t>(id);
         return s;
       }}},
      {"cluster", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.cluster = std::string(v); return absl::OkStatus(); }}},
      {"default_tenant", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.default_tenant = std::string(v); return absl::OkStatus(); }}},
      {"listen", {T::kString, [](ProxyConfig& c, absl::string_view v) { return SetAddress(&c.listen, v); }}},
      {"grpc_listen", {T::kString, [](ProxyConfig& c, absl::string_view v) { return SetAddress(&c.grpc_listen, v); }}},
      {"fleet_file", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.fleet_file = std::string(v); return absl::OkStatus(); }}},
      {"threads", {T::kInt, [](ProxyConfig& c, absl::string_view v) { return SetInt(&c.threads, v, 0, 256); }}},
      {"log_level", {T::kString, [](ProxyConfig& c, absl::string_view v) {
         static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
         for (const char* l : kLevels) {
           if (v == l) { c.log_level = std::string(v); return absl::OkStatus(); }
         }
         return absl::InvalidArgumentError(absl::StrCat("expected trace|debug|info|warn|error, got \"", v, "\""));
       }}},
      {"log_file", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.log_file = std::string(v); return absl::OkStatus(); }}},
      {"audit_log", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.audit_log = std::string(v); return absl::OkStatus(); }}},
      {"tokens_file", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.tokens_file = std::string(v); return absl::OkStatus(); }}},
      {"server_version", {T::kString, [](ProxyConfig& c, absl::string_view v) { c.server_version = std::string(v); return absl::OkStatus(); }}},
      {"max_connections", {T::kInt, [](ProxyConfig& c, absl::string_view v) { return SetInt(&c.max_connections, v, 1, 1000000); }}},
      {"connect_timeout_ms", {T::kInt, [](ProxyConfig& c, absl::string_view v) { return SetInt(&c.connect_timeout_ms, v, 1, 600000); }}},
      {"pool_max_idle_per_backend", {T::kInt, [](ProxyConfig& c, absl::string_view v) { return SetInt(&c.pool_max_idle_per_backend, v, 0, 100000); }}},
  };
  return *m;
}

class Parser {
 public:
  explicit Parser(absl::string_view source) : source_(source) {}

  absl::Status Error(const toml::source_region& r, absl::string_view key, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", r.begin.line, ":", r.begin.column, ": ", key, ": ", what));
  }

  absl::StatusOr<std::string> String(const toml::node& n, absl::string_view key) {
    auto v = n.value<std::string>();
    if (!v) return Error(n.source(), key, "expected a string");
    return *v;
  }

  absl::Status Top(const toml::table& root, ProxyConfig& c) {
    for (auto&& [k, node] : root) {
      std::string key(k.str());
      if (key == "tenant" || key == "user" || key == "grpc_tls") continue;
      auto it = Scalars().find(key);
      if (it == Scalars().end()) return Error(node.source(), key, "unknown key");
      std::string text;
      switch (it->second.type) {
        case Scalar::Type::kString: {
          auto v = node.value<std::string>();
          if (!v) return Error(node.source(), key, "expected a string");
          text = *v;
          break;
        }
        case Scalar::Type::kInt: {
          auto v = node.value<int64_t>();
          if (!v || !node.is_integer()) return Error(node.source(), key, "expected an integer");
          text = absl::StrCat(*v);
          break;
        }
        case Scalar::Type::kBool:
          break;
      }
      if (absl::Status s = it->second.set(c, text); !s.ok()) return Error(node.source(), key, s.message());
    }
    return absl::OkStatus();
  }

  absl::Status Tenants(const toml::table& root, ProxyConfig& c) {
    const toml::node* n = root.get("tenant");
    if (!n) return absl::InvalidArgumentError(absl::StrCat(source_, ": tenant: at least one [[tenant]] is required"));
    const toml::array* arr = n->as_array();
    if (!arr) return Error(n->source(), "tenant", "expected [[tenant]] tables");
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      std::string path = absl::StrCat("tenant[", i, "]");
      if (!t) return Error((*arr)[i].source(), path, "expected a table");
      Tenant tenant;
      for (auto&& [k, v] : *t) {
        std::string key(k.str());
        if (key == "name") {
          auto s = String(v, path + ".name");
          if (!s.ok()) return s.status();
          tenant.name = *s;
        } else if (key == "backends") {
          if (absl::Status s = Backends(v, path + ".backends", tenant); !s.ok()) return s;
        } else {
          return Error(v.source(), absl::StrCat(path, ".", key), "unknown key");
        }
      }
      if (tenant.name.empty()) return Error(t->source(), path + ".name", "missing");
      if (tenant.backends.empty()) return Error(t->source(), path + ".backends", "a tenant needs at least one backend");
      if (c.FindTenant(tenant.name)) return Error(t->source(), path + ".name", absl::StrCat("duplicate tenant '", tenant.name, "'"));
      c.tenants.push_back(std::move(tenant));
    }
    return absl::OkStatus();
  }

  absl::Status Backends(const toml::node& n, const std::string& path, Tenant& tenant) {
    const toml::array* arr = n.as_array();
    if (!arr) return Error(n.source(), path, "expected an array of { name, address }");
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string bpath = absl::StrCat(path, "[", i, "]");
      const toml::table* t = (*arr)[i].as_table();
      if (!t) return Error((*arr)[i].source(), bpath, "expected { name = ..., address = ... }");
      Backend b;
      for (auto&& [k, v] : *t) {
        std::string key(k.str());
        auto s = String(v, absl::StrCat(bpath, ".", key));
        if (!s.ok()) return s.status();
        if (key == "name") {
          b.name = *s;
        } else if (key == "address") {
          auto hp = ParseHostPort(*s);
          if (!hp.ok()) return Error(v.source(), bpath + ".address", hp.status().message());
          b.address = *s;
          b.hp = *hp;
        } else {
          return Error(v.source(), absl::StrCat(bpath, ".", key), "unknown key");
        }
      }
      if (b.name.empty()) return Error(t->source(), bpath + ".name", "missing");
      if (b.address.empty()) return Error(t->source(), bpath + ".address", "missing");
      if (tenant.FindBackend(b.name)) return Error(t->source(), bpath + ".name", absl::StrCat("duplicate backend '", b.name, "'"));
      tenant.backends.push_back(std::move(b));
    }
    return absl::OkStatus();
  }

  absl::Status Users(const toml::table& root, ProxyConfig& c) {
    const toml::node* n = root.get("user");
    if (!n) return absl::OkStatus();
    const toml::array* arr = n->as_array();
    if (!arr) return Error(n->source(), "user", "expected [[user]] tables");
    for (size_t i = 0; i < arr->size(); ++i) {
      std::string path = absl::StrCat("user[", i, "]");
      const toml::table* t = (*arr)[i].as_table();
      if (!t) return Error((*arr)[i].source(), path, "expected a table");
      User u;
      bool has_hash = false;
      for (auto&& [k, v] : *t) {
        std::string key(k.str());
        std::string kp = absl::StrCat(path, ".", key);
        if (key == "admin") {
          auto b = v.value<bool>();
          if (!b || !v.is_boolean()) return Error(v.source(), kp, "expected true or false");
          u.admin = *b;
          continue;
        }
        auto s = String(v, kp);
        if (!s.ok()) return s.status();
        if (key == "tenant") {
          u.tenant = *s;
        } else if (key == "name") {
          u.name = *s;
        } else if (key == "password") {
          u.has_clear_password = true;
          u.password = *s;
          u.stage2 = Sha1(Sha1(*s));
        } else if (key == "password_hash") {
          has_hash = true;
          std::string hex = *s;
          if (hex.size() != 41 || hex[0] != '*' ||
              !std::all_of(hex.begin() + 1, hex.end(), [](char ch) { return absl::ascii_isxdigit(ch); })) {
            return Error(v.source(), kp, "expected '*' followed by 40 hex digits (SELECT PASSWORD('...'))");
          }
          u.stage2 = absl::HexStringToBytes(absl::AsciiStrToLower(hex.substr(1)));
        } else {
          return Error(v.source(), kp, "unknown key");
        }
      }
      if (u.name.empty()) return Error(t->source(), path + ".name", "missing");
      if (u.tenant.empty()) u.tenant = c.default_tenant;
      if (u.has_clear_password == has_hash) {
        return Error(t->source(), path, "give exactly one of password or password_hash");
      }
      if (!c.FindTenant(u.tenant)) return Error(t->source(), path + ".tenant", absl::StrCat("no tenant named '", u.tenant, "'"));
      if (c.FindUser(u.tenant, u.name)) return Error(t->source(), path + ".name", absl::StrCat("duplicate user '", u.name, "' in tenant '", u.tenant, "'"));
      c.users.push_back(std::move(u));
    }
    return absl::OkStatus();
  }

  absl::Status Tls(const toml::table& root, ProxyConfig& c) {
    const toml::node* n = root.get("grpc_tls");
    if (!n) return absl::OkStatus();
    const toml::table* t = n->as_table();
    if (!t) return Error(n->source(), "grpc_tls", "expected a table");
    for (auto&& [k, v] : *t) {
      std::string key(k.str());
      std::string kp = "grpc_tls." + key;
      if (key == "require_client_cert") {
        auto b = v.value<bool>();
        if (!b || !v.is_boolean()) return Error(v.source(), kp, "expected true or false");
        c.grpc_tls.require_client_cert = *b;
        continue;
      }
      auto s = String(v, kp);
      if (!s.ok()) return s.status();
      if (key == "cert_file") c.grpc_tls.cert_file = *s;
      else if (key == "key_file") c.grpc_tls.key_file = *s;
      else if (key == "ca_file") c.grpc_tls.ca_file = *s;
      else return Error(v.source(), kp, "unknown key");
    }
    if (c.grpc_tls.enabled() && c.grpc_tls.key_file.empty()) {
      return Error(t->source(), "grpc_tls.key_file", "required with cert_file");
    }
    return absl::OkStatus();
  }

 private:
  std::string source_;
};

}  // namespace

const Backend* Tenant::FindBackend(absl::string_view n) const {
  for (const auto& b : backends) if (b.name == n) return &b;
  return nullptr;
}

const Tenant* ProxyConfig::FindTenant(absl::string_view n) const {
  for (const auto& t : tenants) if (t.name == n) return &t;
  return nullptr;
}

const User* ProxyConfig::FindUser(absl::string_view tenant, absl::string_view n) const {
  for (const auto& u : users) if (u.tenant == tenant && u.name == n) return &u;
  return nullptr;
}

void AddOverrideFlags(CLI::App* app, Overrides* out) {
  for (const auto& [key, scalar] : Scalars()) {
    std::string flag = "--" + absl::StrReplaceAll(key, {{"_", "-"}});
    app->add_option_function<std::string>(
        flag, [out, k = key](const std::string& v) { (*out)[k] = v; },
        absl::StrCat("override `", key, "` of the config file"));
  }
}

absl::StatusOr<ProxyConfig> ParseConfig(absl::string_view text, absl::string_view source,
                                        const Overrides& overrides) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()), std::string_view(source.data(), source.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.source().begin.line, ":",
                                                   e.source().begin.column, ": ", std::string(e.description())));
  }
  ProxyConfig c;
  c.source_path = std::string(source);
  Parser p(source);
  if (absl::Status s = p.Top(root, c); !s.ok()) return s;
  for (const auto& [key, value] : overrides) {
    auto it = Scalars().find(key);
    if (it == Scalars().end()) return absl::InvalidArgumentError(absl::StrCat("unknown override ", key));
    if (absl::Status s = it->second.set(c, value); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", absl::StrReplaceAll(key, {{"_", "-"}}), ": ", s.message()));
    }
  }
  if (absl::Status s = p.Tenants(root, c); !s.ok()) return s;
  if (absl::Status s = p.Users(root, c); !s.ok()) return s;
  if (absl::Status s = p.Tls(root, c); !s.ok()) return s;
  if (!c.FindTenant(c.default_tenant)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": default_tenant: no tenant named '",
                                                   c.default_tenant, "'"));
  }
  if (!c.fleet_file.empty() && !std::filesystem::path(c.fleet_file).is_absolute()) {
    c.fleet_file = (std::filesystem::path(std::string(source)).parent_path() / c.fleet_file).string();
  }
  return c;
}

absl::StatusOr<ProxyConfig> LoadConfig(const std::string& path, const Overrides& overrides) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path, overrides);
}

}  // namespace obp::config
