// Bearer tokens for the gRPC SessionService (SPEC §6): the tokens file maps each
// token to a name (the audit log's actor) and a role. The format is TOML, one
// [[token]] table per token (deploy/local/tokens.example.toml documents it):
//
//   [[token]]
//   name  = "ops-alice"          # letters, digits, '.', '_', '-', '@'; unique
//   role  = "operator"           # "viewer" (List, Get, NodeInfo) | "operator" (also Kill)
//   token = "..."                # the secret itself, at least 16 printable characters,
//   # or token_sha256 = "<64 hex>" (SHA-256 of the secret) so the file holds no secret
//
// A bad file is refused as "<file>:<line>:<column>: token[<i>].<key>: <what>".
// Only SHA-256 digests are kept in memory; Lookup hashes the presented token and
// compares it with every entry in constant time, so neither timing nor an early
// exit tells how much of a guess was right.
//
// Thread rule: a TokenTable is immutable after loading; Lookup is safe from any
// thread. The free functions are pure (LoadTokens reads one file).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::rpc {

enum class Role { kViewer, kOperator };

// "viewer" / "operator".
absl::string_view RoleName(Role role);

// Who a valid token says the caller is.
struct Identity {
  std::string name;
  Role role = Role::kViewer;
};

class TokenTable {
 public:
  using Digest = std::array<uint8_t, 32>;
  struct Entry {
    std::string name;
    Role role = Role::kViewer;
    Digest sha256{};
  };

  TokenTable() = default;
  explicit TokenTable(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // The identity of `token` (the bearer value, without "Bearer "), or nullopt.
  // Takes the same time whichever entry matches, or none.
  std::optional<Identity> Lookup(absl::string_view token) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

// Parses a tokens file's text; `source` names it in error messages.
absl::StatusOr<TokenTable> ParseTokens(absl::string_view toml_text, absl::string_view source);
// Reads and parses the tokens file at `path`.
absl::StatusOr<TokenTable> LoadTokens(const std::string& path);

// The token in an "authorization" metadata value "Bearer <token>" (scheme
// case-insensitive, surrounding spaces ignored); nullopt for any other shape.
std::optional<absl::string_view> BearerToken(absl::string_view authorization);

// SHA-256 of `data`, as 64 lower-case hex digits (what token_sha256 holds).
std::string Sha256Hex(absl::string_view data);

}  // namespace obp::rpc
