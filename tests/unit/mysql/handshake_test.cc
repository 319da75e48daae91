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

TEST(HandshakeTest, SslRequestCarriesMariaDbCapabilitiesLikeTheLogin) {
  // MariaDB reads extended capabilities from the SSLRequest too: it must agree with
  // the login packet that follows it.
  HandshakeResponse r;
  r.capabilities = kClientProtocol41 | kClientSsl | kClientSecureConnection;
  r.mariadb_ext_capabilities = kMariaDbClientExtendedMetadata | kMariaDbClientStmtBulkOperations;
  r.max_packet_size = 1 << 30;
  r.charset = 45;
  std::string ssl = EncodeSslRequest(r.capabilities, r.max_packet_size, r.charset,
                                     r.mariadb_ext_capabilities);
  EXPECT_TRUE(IsSslRequest(ssl));
  EXPECT_EQ(ssl, EncodeHandshakeResponse(r).substr(0, 32));
  // With kClientMysql the extended bytes are zeros, whatever `ext` says.
  r.capabilities |= kClientMysql;
  EXPECT_EQ(EncodeSslRequest(r.capabilities, r.max_packet_size, r.charset, 0xFF).substr(28),
            std::string(4, '\0'));
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

TEST(ChangeUserTest, DecodesCapturedRequest) {
  auto capture = LoadCapture("change_user_request");
  std::string payload = FirstPayload(capture.bytes);
  ASSERT_EQ(static_cast<uint8_t>(payload[0]), static_cast<uint8_t>(Command::kChangeUser));
  payload.erase(0, 1);
  auto cu = DecodeChangeUser(payload, capture.caps);
  ASSERT_TRUE(cu.ok()) << cu.status();
  EXPECT_EQ(cu->username, "cap");
  EXPECT_EQ(cu->auth_response.size(), 20u);
  EXPECT_EQ(cu->database, "capdb");
  EXPECT_EQ(cu->charset, kCharsetUtf8mb4GeneralCi);
  EXPECT_EQ(cu->auth_plugin_name, kNativePasswordPlugin);
  EXPECT_TRUE(absl::StrContains(cu->connect_attrs, "_client_name"));
  EXPECT_EQ(EncodeChangeUser(*cu, capture.caps), payload);
}

// MariaDB answers a plugin-aware client's COM_CHANGE_USER with an auth switch that
// carries the greeting's scramble (it never makes a new one), then OK with seq 3.
TEST(ChangeUserTest, MariaDbReusesTheGreetingScramble) {
  auto greeting = DecodeInitialHandshake(FirstPayload(LoadCapture("change_user_greeting").bytes));
  ASSERT_TRUE(greeting.ok());
  auto switch_packets = testing::SplitPackets(LoadCapture("change_user_switch").bytes);
  ASSERT_EQ(switch_packets.size(), 1u);
  EXPECT_EQ(switch_packets[0].seq, 1);
  auto sw = DecodeAuthSwitchRequest(switch_packets[0].payload);
  ASSERT_TRUE(sw.ok());
  EXPECT_EQ(sw->plugin, kNativePasswordPlugin);
  EXPECT_EQ(sw->data, greeting->scramble + '\0');
  auto ok = testing::SplitPackets(LoadCapture("change_user_ok").bytes);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].seq, 3);
}

// Plugin name and attribute block are required when negotiated, so no strict
// prefix of a full packet is a packet.
TEST(ChangeUserTest, EveryTruncatedRequestFails) {
  auto capture = LoadCapture("change_user_request");
  std::string payload = FirstPayload(capture.bytes).substr(1);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(DecodeChangeUser(payload.substr(0, cut), capture.caps).ok()) << cut;
  }
}

TEST(ChangeUserTest, OptionalTailWithoutPluginAuth) {
  const uint32_t caps = kClientProtocol41 | kClientSecureConnection;
  // The packet may end after the database: no charset.
  auto cu = DecodeChangeUser(std::string("u\0\0db\0", 6), caps);
  ASSERT_TRUE(cu.ok()) << cu.status();
  EXPECT_EQ(cu->username, "u");
  EXPECT_EQ(cu->auth_response, "");
  EXPECT_EQ(cu->database, "db");
  EXPECT_FALSE(cu->charset.has_value());
  // One byte after the database is not a charset.
  cu = DecodeChangeUser(std::string("u\0\0db\0\x21", 7), caps);
  ASSERT_TRUE(cu.ok());
  EXPECT_FALSE(cu->charset.has_value());
  // The last string may end with the packet.
  cu = DecodeChangeUser(std::string("u\0\0db", 5), caps);
  ASSERT_TRUE(cu.ok());
  EXPECT_EQ(cu->database, "db");
  // The database is required, if only as its NUL.
  EXPECT_FALSE(DecodeChangeUser(std::string("u\0\0", 3), caps).ok());
  EXPECT_FALSE(DecodeChangeUser(std::string("u\0", 2), caps).ok());
  EXPECT_FALSE(DecodeChangeUser("u", caps).ok());
  EXPECT_FALSE(DecodeChangeUser("", caps).ok());
}

TEST(ChangeUserTest, VariantsRoundTrip) {
  ChangeUser cu;
  cu.username = "bob@t2#c1";
  cu.auth_response = std::string(20, '\x7f');
  cu.database = "testdb";
  cu.charset = 224;
  cu.auth_plugin_name = "caching_sha2_password";
  for (uint32_t caps : {kClientProtocol41 | kClientSecureConnection,
                        kClientProtocol41 | kClientSecureConnection | kClientPluginAuth,
                        kClientProtocol41 | kClientSecureConnection | kClientPluginAuth |
                            kClientConnectAttrs,
                        kClientProtocol41 | kClientPluginAuth}) {
    auto back = DecodeChangeUser(EncodeChangeUser(cu, caps), caps);
    ASSERT_TRUE(back.ok()) << caps << " " << back.status();
    EXPECT_EQ(back->username, cu.username);
    EXPECT_EQ(back->auth_response, cu.auth_response);
    EXPECT_EQ(back->database, cu.database);
    EXPECT_EQ(back->charset, cu.charset);
    EXPECT_EQ(back->auth_plugin_name, caps & kClientPluginAuth ? cu.auth_plugin_name : "");
    EXPECT_EQ(back->connect_attrs, caps & kClientConnectAttrs ? std::string(1, '\0') : "");
  }
}

TEST(ChangeUserTest, RejectsLengthsBeyondThePacket) {
  const uint32_t caps = kClientProtocol41 | kClientSecureConnection | kClientConnectAttrs;
  // An auth response length byte past the end.
  EXPECT_FALSE(DecodeChangeUser(std::string("u\0\x14" "abc", 6), caps).ok());
  // An attribute block longer than the packet, and one past MariaDB's 64 KiB limit.
  std::string head("u\0\0db\0\x2d\0", 8);
  EXPECT_TRUE(DecodeChangeUser(head + std::string("\x02" "ab", 3), caps).ok());
  EXPECT_FALSE(DecodeChangeUser(head + std::string("\x05" "ab", 3), caps).ok());
  const std::string too_long = std::string("\xfd\x00\x00\x01", 4) + std::string(65536, 'a');
  EXPECT_FALSE(DecodeChangeUser(head + too_long, caps).ok());
  EXPECT_FALSE(DecodeChangeUser(head, caps).ok());  // the block is required
}

}  // namespace
}  // namespace obp::mysql
