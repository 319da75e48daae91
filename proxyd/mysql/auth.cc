#include "proxyd/mysql/auth.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "proxyd/mysql/constants.h"

namespace obp::mysql {

namespace {
// RAND_bytes costs about as much per call for 20 bytes as for 4 KiB (DRBG
// parameter handling), and every login needs a scramble: each thread draws a
// block and hands it out 20 bytes at a time. Every byte is still the DRBG's.
bool RandomBytes(unsigned char* out, size_t n) {
  constexpr size_t kBlock = 4000;
  thread_local unsigned char block[kBlock];
  thread_local size_t used = kBlock;
  if (n > kBlock) return RAND_bytes(out, static_cast<int>(n)) == 1;
  if (kBlock - used < n) {
    if (RAND_bytes(block, static_cast<int>(kBlock)) != 1) return false;
    used = 0;
  }
  std::memcpy(out, block + used, n);
  OPENSSL_cleanse(block + used, n);  // handed out once only
  used += n;
  return true;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
}  // namespace

std::string GenerateScramble() {
  unsigned char raw[kScrambleLength];
  if (!RandomBytes(raw, sizeof(raw))) {
    // RAND_bytes only fails when the system has no entropy source at all; fall back
    // rather than hand out a predictable all-zero scramble.
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  std::string out(kScrambleLength, '\0');
  for (size_t i = 0; i < kScrambleLength; ++i) {
    out[i] = static_cast<char>(33 + raw[i] % 94);
  }
  return out;
}

std::string Sha1(absl::string_view data) {
  // Fetched once, and one context per thread: EVP_sha1() with EVP_Digest looks the
  // algorithm up and allocates a context on every call (seen in the connect-rate
  // profile; a login takes three digests).
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* type = sha1 != nullptr ? sha1 : EVP_sha1();
  if (!ctx || EVP_DigestInit_ex(ctx.get(), type, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    EVP_Digest(data.data(), data.size(), md, &len, type, nullptr);
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Stage1FromPassword(absl::string_view password) {
  if (password.empty()) return "";
  return Sha1(password);
}

std::string Stage2FromPassword(absl::string_view password) { return Sha1(Sha1(password)); }

namespace {
std::string XorWith(absl::string_view a, absl::string_view b) {
  std::string out(a.size(), '\0');
  for (size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}
std::string MaskFor(absl::string_view scramble, absl::string_view stage2) {
  std::string buf(scramble);
  buf.append(stage2.data(), stage2.size());
  return Sha1(buf);
}
}  // namespace

std::string NativePasswordToken(absl::string_view stage1, absl::string_view scramble) {
  if (stage1.empty()) return "";
  return XorWith(stage1, MaskFor(scramble, Sha1(stage1)));
}

absl::StatusOr<std::string> RecoverStage1(absl::string_view token, absl::string_view scramble,
                                          absl::string_view stage2) {
  if (token.empty()) {
    if (stage2.empty() || stage2 == Stage2FromPassword("")) return std::string();
    return absl::PermissionDeniedError("empty password token for an account with a password");
  }
  if (token.size() != kScrambleLength || stage2.size() != kScrambleLength) {
    return absl::PermissionDeniedError("password token has the wrong size");
  }
  std::string stage1 = XorWith(token, MaskFor(scramble, stage2));
  if (Sha1(stage1) != stage2) return absl::PermissionDeniedError("password token mismatch");
  return stage1;
}

absl::StatusOr<std::string> ParsePasswordHash(absl::string_view star_hex) {
  if (star_hex.size() != 41 || star_hex[0] != '*') {
    return absl::InvalidArgumentError("password hash must be '*' followed by 40 hex digits");
  }
  for (char c : star_hex.substr(1)) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("password hash has a non-hex digit");
    }
  }
  return absl::HexStringToBytes(star_hex.substr(1));
}

std::string FormatPasswordHash(absl::string_view stage2) {
  return "*" + absl::AsciiStrToUpper(absl::BytesToHexString(stage2));
}

}  // namespace obp::mysql
