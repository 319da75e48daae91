// libFuzzer target: the connection phase (proxyd/mysql/handshake.h, auth.h): the
// client's HandshakeResponse41 and SSLRequest (untrusted, before login) and its
// COM_CHANGE_USER (untrusted, after login), a backend's
// greeting and AuthSwitchRequest, the client's mysql_native_password token, and
// password hashes.
//
// Input: byte 0 = options (bit 0: the token is the first 20 bytes, else the whole
// payload; bits 1..3: SECURE_CONNECTION, PLUGIN_AUTH, CONNECT_ATTRS negotiated for
// COM_CHANGE_USER), then the payload, given to every decoder.
//
// For any input:
//  - DecodeHandshakeResponse: a decoded login is protocol 4.1, and encoding it and
//    decoding again gives the same fields (an absent attribute block and an empty
//    one, "\0", are the same: no attributes);
//  - DecodeChangeUser: a decoded packet has only the fields its capabilities allow,
//    and encoding it and decoding again gives the same fields (an absent charset
//    reads back as 0, an empty attribute block as "\0");
//  - IsSslRequest is exactly "32 bytes with CLIENT_SSL";
//  - DecodeInitialHandshake: the scramble has its 8 bytes (20 and more with
//    SECURE_CONNECTION), and a greeting the encoder can express round-trips;
//  - DecodeAuthSwitchRequest round-trips;
//  - RecoverStage1 accepts a token only if it is the one NativePasswordToken makes
//    for the stage1 it returns, and always accepts that token;
//  - ParsePasswordHash accepts exactly "*" + 40 hex digits and FormatPasswordHash
//    gives it back in upper case.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/auth.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/handshake.h"
#include "tests/fuzz/fuzz_util.h"

namespace obp::mysql {
namespace {

std::string Attrs(const std::string& block) { return block == std::string(1, '\0') ? "" : block; }

void LoginRoundTrip(absl::string_view p) {
  auto r = DecodeHandshakeResponse(p);
  if (!r.ok()) return;
  const uint32_t caps = r->capabilities;
  FUZZ_CHECK(caps & kClientProtocol41);
  if (!(caps & kClientConnectWithDb)) FUZZ_CHECK(r->database.empty());
  if (!(caps & kClientPluginAuth)) FUZZ_CHECK(r->auth_plugin_name.empty());
  if (!(caps & kClientConnectAttrs)) FUZZ_CHECK(r->connect_attrs.empty());
  if (caps & kClientMysql) FUZZ_CHECK(r->mariadb_ext_capabilities == 0);
  FUZZ_CHECK(r->username.find('\0') == std::string::npos);

  auto back = DecodeHandshakeResponse(EncodeHandshakeResponse(*r));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->capabilities == r->capabilities);
  FUZZ_CHECK(back->max_packet_size == r->max_packet_size);
  FUZZ_CHECK(back->charset == r->charset);
  FUZZ_CHECK(back->mariadb_ext_capabilities == r->mariadb_ext_capabilities);
  FUZZ_CHECK(back->username == r->username);
  FUZZ_CHECK(back->auth_response == r->auth_response);
  FUZZ_CHECK(back->database == r->database);
  FUZZ_CHECK(back->auth_plugin_name == r->auth_plugin_name);
  FUZZ_CHECK(Attrs(back->connect_attrs) == Attrs(r->connect_attrs));
}

void ChangeUserRoundTrip(absl::string_view p, uint8_t options) {
  uint32_t caps = kClientProtocol41;
  if (options & 2) caps |= kClientSecureConnection;
  if (options & 4) caps |= kClientPluginAuth;
  if (options & 8) caps |= kClientConnectAttrs;
  auto cu = DecodeChangeUser(p, caps);
  if (!cu.ok()) return;
  FUZZ_CHECK(cu->username.find('\0') == std::string::npos);
  FUZZ_CHECK(cu->database.find('\0') == std::string::npos);
  FUZZ_CHECK(cu->auth_plugin_name.find('\0') == std::string::npos);
  if (!(caps & kClientSecureConnection)) {
    FUZZ_CHECK(cu->auth_response.find('\0') == std::string::npos);
  }
  if (!(caps & kClientPluginAuth)) FUZZ_CHECK(cu->auth_plugin_name.empty());
  FUZZ_CHECK(cu->connect_attrs.empty() == !(caps & kClientConnectAttrs));

  auto back = DecodeChangeUser(EncodeChangeUser(*cu, caps), caps);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->username == cu->username);
  FUZZ_CHECK(back->auth_response == cu->auth_response);
  FUZZ_CHECK(back->database == cu->database);
  FUZZ_CHECK(back->charset == cu->charset.value_or(0));
  FUZZ_CHECK(back->auth_plugin_name == cu->auth_plugin_name);
  FUZZ_CHECK(Attrs(back->connect_attrs) == Attrs(cu->connect_attrs));
}

void GreetingRoundTrip(absl::string_view p) {
  auto hs = DecodeInitialHandshake(p);
  if (!hs.ok()) return;
  const uint32_t caps = hs->capabilities;
  FUZZ_CHECK(hs->protocol_version == 10);
  FUZZ_CHECK(hs->server_version.find('\0') == std::string::npos);
  FUZZ_CHECK(hs->scramble.size() >= 8);
  if (caps & kClientSecureConnection) FUZZ_CHECK(hs->scramble.size() >= 20);
  if (caps & kClientMysql) FUZZ_CHECK(hs->mariadb_ext_capabilities == 0);
  if (!(caps & kClientPluginAuth)) FUZZ_CHECK(hs->auth_plugin_name.empty());

  // The wire says how long the scramble is only through the one-byte auth-data
  // length, which the encoder writes only with PLUGIN_AUTH (as servers do); without
  // it a reader assumes 20 bytes.
  const size_t n = hs->scramble.size();
  const bool expressible =
      !(caps & kClientSecureConnection) || n == 20 || ((caps & kClientPluginAuth) && n <= 254);
  if (!expressible) return;
  auto back = DecodeInitialHandshake(EncodeInitialHandshake(*hs));
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->server_version == hs->server_version);
  FUZZ_CHECK(back->connection_id == hs->connection_id);
  FUZZ_CHECK(back->scramble == hs->scramble);
  FUZZ_CHECK(back->capabilities == hs->capabilities);
  FUZZ_CHECK(back->mariadb_ext_capabilities == hs->mariadb_ext_capabilities);
  FUZZ_CHECK(back->charset == hs->charset);
  FUZZ_CHECK(back->status_flags == hs->status_flags);
  FUZZ_CHECK(back->auth_plugin_name == hs->auth_plugin_name);
}

void AuthSwitchRoundTrip(absl::string_view p) {
  auto sw = DecodeAuthSwitchRequest(p);
  if (!sw.ok()) return;
  FUZZ_CHECK(static_cast<uint8_t>(p[0]) == kEofHeader);
  FUZZ_CHECK(sw->plugin.find('\0') == std::string::npos);
  auto back = DecodeAuthSwitchRequest(EncodeAuthSwitchRequest(*sw));
  FUZZ_CHECK(back.ok() && back->plugin == sw->plugin && back->data == sw->data);
}

void SslRequest(absl::string_view p) {
  const bool want = p.size() == 32 && (static_cast<uint8_t>(p[1]) & (kClientSsl >> 8));
  FUZZ_CHECK(IsSslRequest(p) == want);
}

void NativePassword(absl::string_view p, bool token_is_20) {
  fuzz::Input in(p);
  const absl::string_view token = token_is_20 ? in.Bytes(kScrambleLength) : p;
  std::string scramble(in.Bytes(kScrambleLength));
  scramble.resize(kScrambleLength, 'x');
  const std::string stage2(in.Bytes(kScrambleLength));

  auto stage1 = RecoverStage1(token, scramble, stage2);
  if (stage1.ok()) {
    if (token.empty()) {
      FUZZ_CHECK(stage1->empty());
      FUZZ_CHECK(stage2.empty() || stage2 == Stage2FromPassword(""));
    } else {
      FUZZ_CHECK(token.size() == kScrambleLength && stage1->size() == kScrambleLength);
      FUZZ_CHECK(Sha1(*stage1) == stage2);
      FUZZ_CHECK(NativePasswordToken(*stage1, scramble) == token);
    }
  } else {
    FUZZ_CHECK(stage1.status().code() == absl::StatusCode::kPermissionDenied);
  }

  // The token a client makes from a password is always accepted, and only for it.
  const absl::string_view password = p.substr(0, 32);
  const std::string s1 = Stage1FromPassword(password);
  const std::string good = NativePasswordToken(s1, scramble);
  auto got = RecoverStage1(good, scramble, Stage2FromPassword(password));
  FUZZ_CHECK(got.ok() && *got == s1);
  if (!good.empty()) {
    std::string bad = good;
    bad[p.size() % bad.size()] ^= 0x01;
    FUZZ_CHECK(!RecoverStage1(bad, scramble, Stage2FromPassword(password)).ok());
  }
}

void PasswordHash(absl::string_view p) {
  auto stage2 = ParsePasswordHash(p);
  bool want = p.size() == 41 && p[0] == '*';
  for (size_t i = 1; want && i < p.size(); ++i) {
    want = absl::ascii_isxdigit(static_cast<unsigned char>(p[i]));
  }
  FUZZ_CHECK(stage2.ok() == want);
  if (!stage2.ok()) return;
  FUZZ_CHECK(stage2->size() == kScrambleLength);
  FUZZ_CHECK(FormatPasswordHash(*stage2) == absl::AsciiStrToUpper(p));
  auto back = ParsePasswordHash(FormatPasswordHash(*stage2));
  FUZZ_CHECK(back.ok() && *back == *stage2);
}

}  // namespace
}  // namespace obp::mysql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace obp::mysql;
  obp::fuzz::Input in(data, size);
  const uint8_t options = in.U8();
  const absl::string_view payload = in.Rest();
  LoginRoundTrip(payload);
  ChangeUserRoundTrip(payload, options);
  SslRequest(payload);
  GreetingRoundTrip(payload);
  AuthSwitchRoundTrip(payload);
  NativePassword(payload, options & 1);
  PasswordHash(payload);
  return 0;
}
