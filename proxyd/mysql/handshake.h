// Connection-phase messages: the server greeting (Initial Handshake v10, with
// MariaDB's extended capabilities), the client's HandshakeResponse41, SSLRequest
// detection and AuthSwitchRequest. Payloads only (no packet headers).
// Pure functions on values; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proxyd/mysql/constants.h"

namespace obp::mysql {

struct InitialHandshake {
  uint8_t protocol_version = 10;
  std::string server_version;
  uint32_t connection_id = 0;
  std::string scramble;  // the 20 bytes, without the trailing NUL of the wire form
  uint32_t capabilities = 0;
  // Valid (and encoded) only when kClientMysql is clear in `capabilities`.
  uint32_t mariadb_ext_capabilities = 0;
  uint8_t charset = kCharsetUtf8mb4GeneralCi;
  uint16_t status_flags = kServerStatusAutocommit;
  std::string auth_plugin_name = kNativePasswordPlugin;
};

// REQUIRES: no NUL in server_version and auth_plugin_name; with kClientPluginAuth a
// scramble of at most 254 bytes (its length goes in one byte), else of 20.
std::string EncodeInitialHandshake(const InitialHandshake& hs);
absl::StatusOr<InitialHandshake> DecodeInitialHandshake(absl::string_view payload);

struct HandshakeResponse {
  uint32_t capabilities = 0;
  uint32_t max_packet_size = 0;
  uint8_t charset = 0;
  // Read/written in the filler only when kClientMysql is clear in `capabilities`.
  uint32_t mariadb_ext_capabilities = 0;
  std::string username;
  std::string auth_response;
  std::string database;          // only with kClientConnectWithDb
  std::string auth_plugin_name;  // only with kClientPluginAuth; may be "" (see below)
  // Raw attribute block including its length-encoded total size prefix, as
  // received; empty when the client sent none.
  std::string connect_attrs;
};

// REQUIRES: no NUL in username, database and auth_plugin_name; an auth_response of at
// most 255 bytes unless kClientPluginAuthLenencData, and without NUL when neither that
// nor kClientSecureConnection is set.
std::string EncodeHandshakeResponse(const HandshakeResponse& r);
// Protocol 4.1 only: a client without kClientProtocol41 gets an error status. Like
// MariaDB, tolerates a packet that ends where the plugin name or the connection
// attributes would start (some clients set the flag and send nothing): those
// fields are then empty, and an empty plugin means mysql_native_password.
absl::StatusOr<HandshakeResponse> DecodeHandshakeResponse(absl::string_view payload);

// COM_CHANGE_USER, without its command byte. Which fields are present and how the
// auth response is framed depend on the capabilities negotiated at login, not on
// anything in the packet.
struct ChangeUser {
  std::string username;
  std::string auth_response;
  std::string database;
  std::optional<uint16_t> charset;  // absent when the packet ends after the database
  std::string auth_plugin_name;     // only with kClientPluginAuth
  // As in HandshakeResponse: the raw block with its length prefix; only with
  // kClientConnectAttrs.
  std::string connect_attrs;
};

// `caps`: the session's negotiated capabilities. Reads the packet as MariaDB does:
// with kClientSecureConnection the auth response is one length byte and the bytes
// (even with kClientPluginAuthLenencData), else NUL-terminated; the character set
// is read only if two bytes follow the database; with kClientPluginAuth the plugin
// name and with kClientConnectAttrs the attribute block are required. The last
// string may end with the packet instead of a NUL. InvalidArgument for anything
// else (MariaDB answers 1047 Unknown command).
absl::StatusOr<ChangeUser> DecodeChangeUser(absl::string_view payload, uint32_t caps);
// The packet a libmariadb client sends (without the command byte): every field
// NUL-terminated, the charset always, an empty attribute block when `connect_attrs`
// is empty. REQUIRES: as for EncodeHandshakeResponse, and a charset.
std::string EncodeChangeUser(const ChangeUser& cu, uint32_t caps);

// True for the 32-byte SSLRequest a client sends instead of its login when it
// wants TLS (kClientSsl set).
bool IsSslRequest(absl::string_view payload);
// That packet, as a client sends it: `caps` (kClientSsl is added), the maximum
// packet size, the charset, 19 zero bytes and MariaDB's extended capabilities
// (`ext`, written only when kClientMysql is clear in `caps`; zeros otherwise).
std::string EncodeSslRequest(uint32_t caps, uint32_t max_packet_size, uint8_t charset,
                             uint32_t ext);

// 0xFE + NUL-terminated plugin name + plugin data. For mysql_native_password the
// data is the 20-byte scramble followed by a NUL, which is kept in `data` as sent;
// use the first 20 bytes.
struct AuthSwitchRequest {
  std::string plugin;
  std::string data;
};

absl::StatusOr<AuthSwitchRequest> DecodeAuthSwitchRequest(absl::string_view payload);
// Writes `data` verbatim (append the NUL yourself for mysql_native_password).
std::string EncodeAuthSwitchRequest(const AuthSwitchRequest& req);

}  // namespace obp::mysql
