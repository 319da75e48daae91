#include "proxyd/rpc/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/core/toml_util.h"

namespace obp::rpc {
namespace {

constexpr size_t kMinTokenLength = 16;

// toml++ keys are std::string_view; this Abseil has its own string_view.
absl::string_view Str(const toml::key& k) {
  return absl::string_view(k.str().data(), k.str().size());
}

TokenTable::Digest Sha256(absl::string_view data) {
  TokenTable::Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  }
  return true;
}

// A token travels in an HTTP/2 header: printable ASCII, no spaces.
bool ValidTokenText(absl::string_view token) {
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

// Reads one [[token]] table; `path` is "token[i]" for messages.
class EntryReader {
 public:
  EntryReader(absl::string_view source, const toml::table& t, std::string path)
      : source_(source), t_(t), path_(std::move(path)) {}

  absl::StatusOr<TokenTable::Entry> Read() {
    const toml::node *name = nullptr, *role = nullptr, *token = nullptr, *digest = nullptr;
    for (auto&& [key, value] : t_) {
      const absl::string_view k = Str(key);
      const toml::node** slot = k == "name"           ? &name
                                : k == "role"         ? &role
                                : k == "token"        ? &token
                                : k == "token_sha256" ? &digest
                                                      : nullptr;
      if (slot == nullptr) {
        return TomlError(source_, key.source().begin, Path(k),
                         "unknown key (expected name, role, token or token_sha256)");
      }
      *slot = &value;
    }
    TokenTable::Entry e;
    auto n = String(name, "name");
    if (!n.ok()) return n.status();
    if (!ValidName(*n)) {
      return Error(name, "name",
                   absl::StrCat("\"", *n, "\" is not a name (1-64 of letters, digits, . _ - @)"));
    }
    e.name = *n;
    auto r = String(role, "role");
    if (!r.ok()) return r.status();
    if (*r == "viewer") {
      e.role = Role::kViewer;
    } else if (*r == "operator") {
      e.role = Role::kOperator;
    } else {
      return Error(role, "role", absl::StrCat("unknown role \"", *r, "\" (viewer or operator)"));
    }
    if ((token == nullptr) == (digest == nullptr)) {
      return TomlError(source_, t_.source().begin, path_,
                       "give exactly one of token and token_sha256");
    }
    if (token != nullptr) {
      auto s = String(token, "token");
      if (!s.ok()) return s.status();
      if (s->size() < kMinTokenLength || !ValidTokenText(*s)) {
        return Error(token, "token",
                     absl::StrCat("a token is at least ", kMinTokenLength,
                                  " printable characters without spaces"));
      }
      e.sha256 = Sha256(*s);
    } else {
      auto s = String(digest, "token_sha256");
      if (!s.ok()) return s.status();
      if (!IsHex64(*s)) return Error(digest, "token_sha256", "expected 64 hex digits (SHA-256)");
      std::string bytes = absl::HexStringToBytes(*s);
      std::copy(bytes.begin(), bytes.end(), e.sha256.begin());
    }
    return e;
  }

  std::string Path(absl::string_view key) const { return absl::StrCat(path_, ".", key); }

  absl::Status Error(const toml::node* at, absl::string_view key, absl::string_view what) const {
    return TomlError(source_, at->source().begin, Path(key), what);
  }

 private:
  absl::StatusOr<std::string> String(const toml::node* n, absl::string_view key) const {
    if (n == nullptr) return TomlError(source_, t_.source().begin, Path(key), "missing");
    std::optional<std::string> s = n->value_exact<std::string>();
    if (!s) return Error(n, key, absl::StrCat("expected a string, got ", TomlTypeName(*n)));
    if (s->empty()) return Error(n, key, "empty");
    return *std::move(s);
  }

  absl::string_view source_;
  const toml::table& t_;
  std::string path_;
};

}  // namespace

absl::string_view RoleName(Role role) { return role == Role::kOperator ? "operator" : "viewer"; }

std::optional<Identity> TokenTable::Lookup(absl::string_view token) const {
  const Digest d = Sha256(token);
  const Entry* found = nullptr;
  // Every entry is compared, whatever matched, and each compare is constant-time.
  for (const Entry& e : entries_) {
    const bool same = CRYPTO_memcmp(d.data(), e.sha256.data(), d.size()) == 0;
    if (same) found = &e;
  }
  if (found == nullptr || token.empty()) return std::nullopt;
  return Identity{found->name, found->role};
}

absl::StatusOr<TokenTable> ParseTokens(absl::string_view toml_text, absl::string_view source) {
  auto root = ParseTomlText(toml_text, source);
  if (!root.ok()) return root.status();
  std::vector<TokenTable::Entry> entries;
  for (auto&& [key, value] : *root) {
    if (Str(key) != "token") {
      return TomlError(source, key.source().begin, Str(key),
                       "unknown key (a tokens file holds only [[token]] tables)");
    }
    const toml::array* list = value.as_array();
    if (list == nullptr || !list->is_array_of_tables()) {
      return TomlError(source, value.source().begin, "token",
                       absl::StrCat("expected [[token]] tables, got ", TomlTypeName(value)));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const toml::table& t = *list->get(i)->as_table();
      EntryReader reader(source, t, absl::StrCat("token[", i, "]"));
      auto e = reader.Read();
      if (!e.ok()) return e.status();
      for (size_t j = 0; j < entries.size(); ++j) {
        if (entries[j].name == e->name) {
          return TomlError(source, t.source().begin, reader.Path("name"),
                           absl::StrCat("duplicate name \"", e->name, "\" (also token[", j, "])"));
        }
        if (entries[j].sha256 == e->sha256) {
          return TomlError(source, t.source().begin, absl::StrCat("token[", i, "]"),
                           absl::StrCat("duplicate token: same secret as token[", j, "] (\"",
                                        entries[j].name, "\")"));
        }
      }
      entries.push_back(*std::move(e));
    }
  }
  if (entries.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no [[token]] entries (every gRPC call would be refused)"));
  }
  return TokenTable(std::move(entries));
}

absl::StatusOr<TokenTable> LoadTokens(const std::string& path) {
  auto text = ReadTextFile(path, "tokens file");
  if (!text.ok()) return text.status();
  return ParseTokens(*text, path);
}

std::optional<absl::string_view> BearerToken(absl::string_view authorization) {
  absl::string_view v = absl::StripAsciiWhitespace(authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (v.size() <= kScheme.size() || !absl::StartsWithIgnoreCase(v, kScheme)) return std::nullopt;
  absl::string_view token = absl::StripLeadingAsciiWhitespace(v.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::string Sha256Hex(absl::string_view data) {
  const TokenTable::Digest d = Sha256(data);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

}  // namespace obp::rpc
