#include "proxyd/mysql/handshake.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/core/status_macros.h"
#include "proxyd/mysql/wire.h"

namespace obp::mysql {
namespace {

constexpr size_t kScramblePart1 = 8;
// MariaDB's limit on a connection attribute block (read_client_connect_attrs).
constexpr uint64_t kMaxConnectAttrs = 65535;

absl::Status BadChangeUser(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed COM_CHANGE_USER: ", what));
}

// The connection attribute block with its length-encoded size, as sent; none is
// written as an empty block.
void WriteConnectAttrs(Writer& w, absl::string_view attrs) {
  if (attrs.empty()) {
    w.LenEnc(0);
  } else {
    w.Bytes(attrs);
  }
}

// Reads such a block, size prefix included; an error past `max_size` bytes.
absl::StatusOr<std::string> ReadConnectAttrs(Reader& r, absl::string_view payload,
                                             uint64_t max_size) {
  const size_t start = r.position();
  uint64_t total = 0;
  OBP_ASSIGN_OR_RETURN(total, r.ReadLenEnc());
  if (total > max_size) return absl::InvalidArgumentError("connection attributes too long");
  OBP_RETURN_IF_ERROR(r.Skip(total));
  return std::string(payload.substr(start, r.position() - start));
}

// A string that ends at a NUL or, for the last field, at the end of the packet:
// MariaDB reads packets from a buffer with a NUL after the end, so it accepts both.
absl::string_view ReadNulOrRest(Reader& r) {
  auto s = r.ReadNulString();
  return s.ok() ? *s : r.ReadRest();
}

}  // namespace

std::string EncodeInitialHandshake(const InitialHandshake& hs) {
  std::string out;
  Writer w(&out);
  w.U8(hs.protocol_version);
  w.NulString(hs.server_version);
  w.U32(hs.connection_id);
  std::string scramble = hs.scramble;
  scramble.resize(std::max<size_t>(scramble.size(), kScramblePart1 + 12), '\0');
  w.Bytes(absl::string_view(scramble).substr(0, kScramblePart1));
  w.U8(0);
  w.U16(static_cast<uint16_t>(hs.capabilities));
  w.U8(hs.charset);
  w.U16(hs.status_flags);
  w.U16(static_cast<uint16_t>(hs.capabilities >> 16));
  const bool plugin_auth = hs.capabilities & kClientPluginAuth;
  w.U8(plugin_auth ? static_cast<uint8_t>(scramble.size() + 1) : 0);
  w.Zeros(6);
  if (hs.capabilities & kClientMysql) {
    w.Zeros(4);
  } else {
    w.U32(hs.mariadb_ext_capabilities);
  }
  if (hs.capabilities & kClientSecureConnection) {
    w.Bytes(absl::string_view(scramble).substr(kScramblePart1));
    w.U8(0);
  }
  if (plugin_auth) w.NulString(hs.auth_plugin_name);
  return out;
}

absl::StatusOr<InitialHandshake> DecodeInitialHandshake(absl::string_view payload) {
  Reader r(payload);
  InitialHandshake hs;
  OBP_ASSIGN_OR_RETURN(hs.protocol_version, r.ReadU8());
  if (hs.protocol_version != 10) {
    return absl::InvalidArgumentError("unsupported handshake protocol version");
  }
  absl::string_view sv;
  OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
  hs.server_version = std::string(sv);
  OBP_ASSIGN_OR_RETURN(hs.connection_id, r.ReadU32());
  OBP_ASSIGN_OR_RETURN(sv, r.ReadFixed(kScramblePart1));
  hs.scramble = std::string(sv);
  OBP_RETURN_IF_ERROR(r.Skip(1));
  uint16_t caps_lo = 0, caps_hi = 0;
  OBP_ASSIGN_OR_RETURN(caps_lo, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(hs.charset, r.ReadU8());
  OBP_ASSIGN_OR_RETURN(hs.status_flags, r.ReadU16());
  OBP_ASSIGN_OR_RETURN(caps_hi, r.ReadU16());
  hs.capabilities = caps_lo | static_cast<uint32_t>(caps_hi) << 16;
  uint8_t auth_len = 0;
  OBP_ASSIGN_OR_RETURN(auth_len, r.ReadU8());
  OBP_RETURN_IF_ERROR(r.Skip(6));
  uint32_t ext = 0;
  OBP_ASSIGN_OR_RETURN(ext, r.ReadU32());
  if (!(hs.capabilities & kClientMysql)) hs.mariadb_ext_capabilities = ext;
  if (hs.capabilities & kClientSecureConnection) {
    size_t part2 = std::max<size_t>(13, auth_len > kScramblePart1 ? auth_len - kScramblePart1 : 0);
    OBP_ASSIGN_OR_RETURN(sv, r.ReadFixed(part2));
    // The wire form ends in a NUL that is not part of the scramble.
    if (!sv.empty() && sv.back() == '\0') sv.remove_suffix(1);
    hs.scramble.append(sv.data(), sv.size());
  }
  hs.auth_plugin_name.clear();
  if (hs.capabilities & kClientPluginAuth) {
    OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
    hs.auth_plugin_name = std::string(sv);
  }
  return hs;
}

std::string EncodeHandshakeResponse(const HandshakeResponse& resp) {
  std::string out;
  Writer w(&out);
  const uint32_t caps = resp.capabilities;
  w.U32(caps);
  w.U32(resp.max_packet_size);
  w.U8(resp.charset);
  w.Zeros(19);
  if (caps & kClientMysql) {
    w.Zeros(4);
  } else {
    w.U32(resp.mariadb_ext_capabilities);
  }
  w.NulString(resp.username);
  if (caps & kClientPluginAuthLenencData) {
    w.LenEncString(resp.auth_response);
  } else if (caps & kClientSecureConnection) {
    w.U8(static_cast<uint8_t>(resp.auth_response.size()));
    w.Bytes(resp.auth_response);
  } else {
    w.NulString(resp.auth_response);
  }
  if (caps & kClientConnectWithDb) w.NulString(resp.database);
  if (caps & kClientPluginAuth) w.NulString(resp.auth_plugin_name);
  if (caps & kClientConnectAttrs) WriteConnectAttrs(w, resp.connect_attrs);
  return out;
}

absl::StatusOr<HandshakeResponse> DecodeHandshakeResponse(absl::string_view payload) {
  Reader r(payload);
  HandshakeResponse resp;
  OBP_ASSIGN_OR_RETURN(resp.capabilities, r.ReadU32());
  const uint32_t caps = resp.capabilities;
  if (!(caps & kClientProtocol41)) {
    return absl::InvalidArgumentError("client does not speak protocol 4.1");
  }
  OBP_ASSIGN_OR_RETURN(resp.max_packet_size, r.ReadU32());
  OBP_ASSIGN_OR_RETURN(resp.charset, r.ReadU8());
  OBP_RETURN_IF_ERROR(r.Skip(19));
  uint32_t ext = 0;
  OBP_ASSIGN_OR_RETURN(ext, r.ReadU32());
  if (!(caps & kClientMysql)) resp.mariadb_ext_capabilities = ext;
  absl::string_view sv;
  OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
  resp.username = std::string(sv);
  if (caps & kClientPluginAuthLenencData) {
    OBP_ASSIGN_OR_RETURN(sv, r.ReadLenEncString());
  } else if (caps & kClientSecureConnection) {
    uint8_t n = 0;
    OBP_ASSIGN_OR_RETURN(n, r.ReadU8());
    OBP_ASSIGN_OR_RETURN(sv, r.ReadFixed(n));
  } else {
    OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
  }
  resp.auth_response = std::string(sv);
  if (caps & kClientConnectWithDb) {
    OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
    resp.database = std::string(sv);
  }
  if ((caps & kClientPluginAuth) && !r.empty()) {
    OBP_ASSIGN_OR_RETURN(sv, r.ReadNulString());
    resp.auth_plugin_name = std::string(sv);
  }
  if ((caps & kClientConnectAttrs) && !r.empty()) {
    OBP_ASSIGN_OR_RETURN(resp.connect_attrs, ReadConnectAttrs(r, payload, UINT64_MAX));
  }
  return resp;
}

absl::StatusOr<ChangeUser> DecodeChangeUser(absl::string_view payload, uint32_t caps) {
  Reader r(payload);
  ChangeUser cu;
  auto user = r.ReadNulString();
  if (!user.ok() || r.empty()) return BadChangeUser("no user name");
  cu.username = std::string(*user);
  absl::string_view sv;
  if (caps & kClientSecureConnection) {
    auto n = r.ReadU8();
    auto token = n.ok() ? r.ReadFixed(*n) : n.status();
    if (!token.ok()) return BadChangeUser("auth response longer than the packet");
    sv = *token;
  } else {
    sv = ReadNulOrRest(r);
  }
  cu.auth_response = std::string(sv);
  // The database is required, if only as its NUL.
  if (r.empty()) return BadChangeUser("no database");
  cu.database = std::string(ReadNulOrRest(r));
  if (r.remaining() >= 2) {
    auto charset = r.ReadU16();
    if (charset.ok()) cu.charset = *charset;
  }
  if (caps & kClientPluginAuth) {
    if (r.empty()) return BadChangeUser("no auth plugin name");
    cu.auth_plugin_name = std::string(ReadNulOrRest(r));
  }
  if (caps & kClientConnectAttrs) {
    auto attrs = ReadConnectAttrs(r, payload, kMaxConnectAttrs);
    if (!attrs.ok()) return BadChangeUser("bad connection attributes");
    cu.connect_attrs = *std::move(attrs);
  }
  return cu;
}

std::string EncodeChangeUser(const ChangeUser& cu, uint32_t caps) {
  std::string out;
  Writer w(&out);
  w.NulString(cu.username);
  if (caps & kClientSecureConnection) {
    w.U8(static_cast<uint8_t>(cu.auth_response.size()));
    w.Bytes(cu.auth_response);
  } else {
    w.NulString(cu.auth_response);
  }
  w.NulString(cu.database);
  w.U16(cu.charset.value_or(0));
  if (caps & kClientPluginAuth) w.NulString(cu.auth_plugin_name);
  if (caps & kClientConnectAttrs) WriteConnectAttrs(w, cu.connect_attrs);
  return out;
}

bool IsSslRequest(absl::string_view payload) {
  if (payload.size() != 32) return false;
  Reader r(payload);
  auto caps = r.ReadU32();
  return caps.ok() && (*caps & kClientSsl);
}

std::string EncodeSslRequest(uint32_t caps, uint32_t max_packet_size, uint8_t charset,
                             uint32_t ext) {
  std::string out;
  Writer w(&out);
  w.U32(caps | kClientSsl);
  w.U32(max_packet_size);
  w.U8(charset);
  w.Zeros(19);
  // MariaDB reads the extended capabilities from this packet too.
  w.U32((caps & kClientMysql) ? 0 : ext);
  return out;
}

absl::StatusOr<AuthSwitchRequest> DecodeAuthSwitchRequest(absl::string_view payload) {
  Reader r(payload);
  auto h = r.ReadU8();
  if (!h.ok()) return h.status();
  if (*h != kEofHeader) return absl::InvalidArgumentError("not an auth switch request");
  auto plugin = r.ReadNulString();
  if (!plugin.ok()) return plugin.status();
  return AuthSwitchRequest{std::string(*plugin), std::string(r.ReadRest())};
}

std::string EncodeAuthSwitchRequest(const AuthSwitchRequest& req) {
  std::string out;
  Writer w(&out);
  w.U8(kEofHeader);
  w.NulString(req.plugin);
  w.Bytes(req.data);
  return out;
}

}  // namespace obp::mysql
