// Connection-phase messages against bytes captured from MariaDB 10.11.
#include "proxyd/mysql/handshake.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::FirstPayload;
using testing::LoadCapture;

TEST(HandshakeTest, DecodesRealGreeting) {
  std::string payload = FirstPayload(LoadCapture("greeting").bytes);
  auto hs = DecodeInitialHandshake(payload);
  ASSERT_TRUE(hs.ok()) << hs.status();
  EXPECT_EQ(hs->protocol_version, 10);
  // MariaDB prefixes its version with "5.5.5-" for old clients.
  EXPECT_TRUE(absl::StartsWith(hs->server_version, "5.5.5-10.11.")) << hs->server_version;
  EXPECT_GT(hs->connection_id, 0u);
  EXPECT_EQ(hs->scramble.size(), 20u);
  EXPECT_EQ(hs->scramble.find('\0'), std::string::npos);
  EXPECT_TRUE(hs->capabilities & kClientProtocol41);
  EXPECT_TRUE(hs->capabilities & kClientSecureConnection);
  EXPECT_TRUE(hs->capabilities & kClientPluginAuth);
  EXPECT_TRUE(hs->capabilities & kClientDeprecateEof);
  // A MariaDB server clears bit 0 and announces extended capabilities.
  EXPECT_FALSE(hs->capabilities & kClientMysql);
  EXPECT_TRUE(hs->mariadb_ext_capabilities & kMariaDbClientProgress);
  EXPECT_TRUE(hs->mariadb_ext_capabilities & kMariaDbClientStmtBulkOperations);
  EXPECT_TRUE(hs->status_flags & kServerStatusAutocommit);
  EXPECT_EQ(hs->auth_plugin_name, kNativePasswordPlugin);
}

TEST(HandshakeTest, GreetingReencodesByteExact) {
  std::string payload = FirstPayload(LoadCapture("greeting").bytes);
  auto hs = DecodeInitialHandshake(payload);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(EncodeInitialHandshake(*hs), payload);
}

TEST(HandshakeTest, EveryTruncatedGreetingFails) {
  std::string payload = FirstPayload(LoadCapture("greeting").bytes);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(DecodeInitialHandshake(payload.substr(0, cut)).ok()) << cut;
  }
}

TEST(HandshakeTest, OwnGreetingRoundTrip) {
  InitialHandshake hs;
  hs.server_version = "5.7.0-obproxy";
  hs.connection_id = 0x12345678;
  hs.scramble = "abcdefghijklmnopqrst";
  hs.capabilities = kClientProtocol41 | kClientSecureConnection | kClientPluginAuth | kClientMysql |
                    kClientDeprecateEof | kClientConnectWithDb;
  hs.status_flags = kServerStatusAutocommit;
  auto back = DecodeInitialHandshake(EncodeInitialHandshake(hs));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->server_version, hs.server_version);
  EXPECT_EQ(back->connection_id, hs.connection_id);
  EXPECT_EQ(back->scramble, hs.scramble);
  EXPECT_EQ(back->capabilities, hs.capabilities);
  EXPECT_EQ(back->mariadb_ext_capabilities, 0u);
  EXPECT_EQ(back->charset, hs.charset);
  EXPECT_EQ(back->auth_plugin_name, kNativePasswordPlugin);

  hs.capabilities &= ~kClientMysql;
  hs.mariadb_ext_capabilities = kMariaDbClientStmtBulkOperations;
  back = DecodeInitialHandshake(EncodeInitialHandshake(hs));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->mariadb_ext_capabilities, kMariaDbClientStmtBulkOperations);
}

TEST(HandshakeTest, DecodesRealLoginRequest) {
  auto capture = LoadCapture("login_request");
  std::string payload = FirstPayload(capture.bytes);
  auto r = DecodeHandshakeResponse(payload);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->capabilities, capture.caps);
  EXPECT_EQ(r->max_packet_size, 16u * 1024 * 1024);
  EXPECT_EQ(r->charset, kCharsetUtf8mb4GeneralCi);
  EXPECT_EQ(r->mariadb_ext_capabilities, 0u);
  EXPECT_EQ(r->username, "cap");
  EXPECT_EQ(r->auth_response.size(), 20u);
  EXPECT_EQ(r->database, "capdb");
  EXPECT_EQ(r->auth_plugin_name, kNativePasswordPlugin);
  EXPECT_TRUE(absl::StrContains(r->connect_attrs, "_client_name"));
  EXPECT_EQ(static_cast<uint8_t>(r->connect_attrs[0]) + 1u, r->connect_attrs.size());
  EXPECT_EQ(EncodeHandshakeResponse(*r), payload);
}

TEST(HandshakeTest, DecodesMariaDbStyleLoginRequest) {
  auto capture = LoadCapture("login_request_mariadb");
  std::string payload = FirstPayload(capture.bytes);
  auto r = DecodeHandshakeResponse(payload);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->capabilities & kClientMysql);
  EXPECT_EQ(EncodeHandshakeResponse(*r), payload);
  HandshakeResponse ext = *r;
  ext.mariadb_ext_capabilities = kMariaDbClientStmtBulkOperations | kMariaDbClientProgress;
  auto back = DecodeHandshakeResponse(EncodeHandshakeResponse(ext));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->mariadb_ext_capabilities, ext.mariadb_ext_capabilities);
}

// Every strict prefix fails, except where the packet may legally end early: right
// before the plugin name or before the attributes (MariaDB tolerates both).
TEST(HandshakeTest, TruncatedLoginRequestFailsExceptAtOptionalTail) {
  std::string payload = FirstPayload(LoadCapture("login_request").bytes);
  auto full = DecodeHandshakeResponse(payload);
  ASSERT_TRUE(full.ok());
  const size_t attrs_at = payload.size() - full->connect_attrs.size();
  const size_t plugin_at = attrs_at - full->auth_plugin_name.size() - 1;
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    auto r = DecodeHandshakeResponse(payload.substr(0, cut));
    if (cut == attrs_at || cut == plugin_at) {
      ASSERT_TRUE(r.ok()) << cut;
      EXPECT_EQ(r->connect_attrs, "");
      EXPECT_EQ(r->database, "capdb");
      EXPECT_EQ(r->auth_plugin_name, cut == plugin_at ? "" : kNativePasswordPlugin);
    } else {
      EXPECT_FALSE(r.ok()) << cut;
    }
  }
}

TEST(HandshakeTest, ResponseVariantsRoundTrip) {
  HandshakeResponse r;
  r.capabilities = kClientProtocol41 | kClientSecureConnection;
  r.max_packet_size = 1 << 24;
  r.charset = kCharsetUtf8GeneralCi;
  r.username = "u";
  r.auth_response = std::string(20, '\x01');
  auto back = DecodeHandshakeResponse(EncodeHandshakeResponse(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->auth_response, r.auth_response);
  EXPECT_EQ(back->database, "");

  r.capabilities = kClientProtocol41;  // auth response NUL-terminated
  r.auth_response = "";
  back = DecodeHandshakeResponse(EncodeHandshakeResponse(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->username, "u");
  EXPECT_EQ(back->auth_response, "");
}

TEST(HandshakeTest, RejectsPre41Client) {
  HandshakeResponse r;
  r.capabilities = kClientSecureConnection;
  r.username = "u";
  EXPECT_FALSE(DecodeHandshakeResponse(EncodeHandshakeResponse(r)).ok());
}

TEST(HandshakeTest, SslRequest) {
  HandshakeResponse r;
  r.capabilities = kClientProtocol41 | kClientSsl | kClientSecureConnection;
  std::string full = EncodeHandshakeResponse(r);
  std::string ssl = full.substr(0, 32);
  EXPECT_TRUE(IsSslRequest(ssl));
  r.capabilities &= ~kClientSsl;
  EXPECT_FALSE(IsSslRequest(EncodeHandshakeResponse(r).substr(0, 32)));
  EXPECT_FALSE(IsSslRequest(FirstPayload(LoadCapture("login_request").bytes)));
  EXPECT_FALSE(IsSslRequest(""));
}

TEST(HandshakeTest, AuthSwitchRequest) {
  AuthSwitchRequest req{kNativePasswordPlugin, std::string("0123456789abcdefghij") + '\0'};
  std::string wire = EncodeAuthSwitchRequest(req);
  EXPECT_EQ(static_cast<uint8_t>(wire[0]), 0xFE);
  auto back = DecodeAuthSwitchRequest(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->plugin, req.plugin);
  EXPECT_EQ(back->data, req.data);
  for (size_t cut = 0; cut <= req.plugin.size() + 1; ++cut) {
    EXPECT_FALSE(DecodeAuthSwitchRequest(wire.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeAuthSwitchRequest(std::string("\x00", 1) + "abc").ok());
}

}  // namespace
}  // namespace obp::mysql
