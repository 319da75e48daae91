// mysql_native_password: scramble generation, tokens and password hashes.
// All functions are pure (OpenSSL SHA1 / RAND_bytes) and safe from any thread.
//
// Terms: stage1 = SHA1(password), stage2 = SHA1(stage1) (what the server stores,
// shown as "*" + 40 hex), token = stage1 XOR SHA1(scramble + stage2) (what a client
// sends). Knowing stage1 lets the proxy log in to any backend with any scramble.
//
// Empty passwords: clients send an EMPTY token for an empty password, not the XOR
// formula. We represent "no password" by an empty stage1: Stage1FromPassword("")
// returns "", NativePasswordToken("", scramble) returns "", and RecoverStage1 with
// an empty token returns "" when the stored stage2 is empty (account without
// password, as MariaDB stores it) or equals SHA1(SHA1("")) (what
// Stage2FromPassword("") returns). A non-empty token never matches those.
//
// Scrambles are the 20 random bytes. Greetings and auth-switch requests carry a
// trailing NUL after them; callers must drop it before passing the scramble here.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace obp::mysql {

// 20 bytes from RAND_bytes mapped into printable ASCII 33..126 (never NUL), as
// servers do, so the scramble survives NUL-terminated handling.
std::string GenerateScramble();

// SHA1 digest, 20 raw bytes.
std::string Sha1(absl::string_view data);

// "" for an empty password (see above), otherwise SHA1(password).
std::string Stage1FromPassword(absl::string_view password);
// SHA1(SHA1(password)); for "" this is SHA1(SHA1("")).
std::string Stage2FromPassword(absl::string_view password);

// Token a client sends for the given stage1 and 20-byte scramble; "" when stage1 is
// empty (no password).
std::string NativePasswordToken(absl::string_view stage1, absl::string_view scramble);

// Verifies a client's token against the stored stage2 and returns stage1.
// PermissionDenied when the token does not match, or is neither empty nor 20 bytes.
absl::StatusOr<std::string> RecoverStage1(absl::string_view token, absl::string_view scramble,
                                          absl::string_view stage2);

// "*" + 40 hex digits (either case) -> 20 raw bytes (stage2). InvalidArgument
// otherwise.
absl::StatusOr<std::string> ParsePasswordHash(absl::string_view star_hex);
// 20 raw bytes -> "*" + 40 upper-case hex digits.
std::string FormatPasswordHash(absl::string_view stage2);

}  // namespace obp::mysql
