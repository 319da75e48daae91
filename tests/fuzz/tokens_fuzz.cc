// libFuzzer target: the gRPC bearer tokens file (proxyd/rpc/tokens.h) and the
// "authorization" header a caller sends.
//
// Input: the tokens file text; the same bytes are also an authorization value.
//
// For any input:
//  - a refusal is InvalidArgument naming the file ("tokens.toml:..."), and does not
//    quote a secret (a `token` value of 16 or more characters) unless that text also
//    appears as a name, role or key;
//  - an accepted table is not empty, and every clear `token` of the file looks up to
//    its entry's name and role; the empty token and the input itself (unless it is
//    one of the secrets) look up nothing;
//  - BearerToken returns a non-empty, trimmed view into the header, only for the
//    "Bearer " scheme, and gives back a token it is handed in that form;
//  - Sha256Hex is 64 lower-case hex digits.
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/core/toml_util.h"
#include "proxyd/rpc/tokens.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::rpc {
namespace {

constexpr absl::string_view kSource = "tokens.toml";

struct FileView {
  bool parsed = false;
  // token secret -> (name, role) as written, for entries with a clear token.
  std::map<std::string, std::pair<std::string, std::string>> secrets;
  std::vector<std::string> public_text;  // keys, names, roles, digests
};

// What the TOML layer reads from the file, independently of ParseTokens.
FileView Read(absl::string_view text) {
  FileView v;
  absl::StatusOr<toml::table> parsed = ParseTomlText(text, kSource);
  if (!parsed.ok()) return v;
  const toml::table& root = *parsed;
  v.parsed = true;
  const toml::array* list = root["token"].as_array();
  for (auto&& [key, value] : root) v.public_text.push_back(std::string(key.str()));
  if (list == nullptr) return v;
  for (const toml::node& n : *list) {
    const toml::table* t = n.as_table();
    if (t == nullptr) continue;
    std::string name, role, secret;
    for (auto&& [key, value] : *t) {
      v.public_text.push_back(std::string(key.str()));
      std::optional<std::string> s = value.value_exact<std::string>();
      if (!s) continue;
      if (key.str() == "token") {
        secret = *s;
      } else {
        v.public_text.push_back(*s);
        if (key.str() == "name") name = *s;
        if (key.str() == "role") role = *s;
      }
    }
    if (!secret.empty()) v.secrets[secret] = {name, role};
  }
  return v;
}

void CheckBearer(absl::string_view header) {
  std::optional<absl::string_view> token = BearerToken(header);
  const absl::string_view v = absl::StripAsciiWhitespace(header);
  FUZZ_CHECK(token.has_value() == (v.size() > 7 && absl::StartsWithIgnoreCase(v, "bearer ")));
  if (token) {
    FUZZ_CHECK(!token->empty());
    FUZZ_CHECK(token->data() >= header.data() &&
               token->data() + token->size() <= header.data() + header.size());
    FUZZ_CHECK(!absl::ascii_isspace(static_cast<unsigned char>(token->front())));
    FUZZ_CHECK(!absl::ascii_isspace(static_cast<unsigned char>(token->back())));
  }
  const absl::string_view trimmed = absl::StripAsciiWhitespace(header);
  if (!trimmed.empty()) {
    const std::string framed = absl::StrCat("Bearer ", trimmed);
    std::optional<absl::string_view> back = BearerToken(framed);
    FUZZ_CHECK(back.has_value() && *back == trimmed);
  }
}

}  // namespace
}  // namespace obp::rpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::rpc;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  const std::string hex = Sha256Hex(text);
  FUZZ_CHECK(hex.size() == 64);
  for (char c : hex) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  CheckBearer(text);

  absl::StatusOr<TokenTable> table = ParseTokens(text, kSource);
  const FileView file = Read(text);
  if (!table.ok()) {
    FUZZ_CHECK(table.status().code() == absl::StatusCode::kInvalidArgument);
    const absl::string_view msg = table.status().message();
    FUZZ_CHECK(absl::StartsWith(msg, absl::StrCat(kSource, ":")));
    for (const auto& [secret, entry] : file.secrets) {
      // A message quotes the values it is about; a secret of the accepted length
      // must never be one of them. (Unquoted, a secret may just happen to match the
      // message's own wording.)
      if (secret.size() < 16 || !absl::StrContains(msg, absl::StrCat("\"", secret, "\""))) {
        continue;
      }
      bool is_public = false;
      for (const std::string& p : file.public_text) is_public |= absl::StrContains(p, secret);
      FUZZ_CHECK(is_public);
    }
    return 0;
  }
  FUZZ_CHECK(file.parsed);
  FUZZ_CHECK(table->size() >= 1);
  for (const auto& [secret, entry] : file.secrets) {
    std::optional<Identity> who = table->Lookup(secret);
    FUZZ_CHECK(who.has_value() && who->name == entry.first && RoleName(who->role) == entry.second);
  }
  FUZZ_CHECK(!table->Lookup("").has_value());
  if (!file.secrets.count(std::string(text))) FUZZ_CHECK(!table->Lookup(text).has_value());
  return 0;
}
