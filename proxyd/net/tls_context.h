// TLS contexts for the data plane (SPEC §2 "TLS, sockets, change user"): the
// server side offered on the SQL port, and the client side a server session uses
// toward a backend. Built from PEM files once (at start, and on reload); a context
// is then shared read-only by every io thread, as OpenSSL allows for an SSL_CTX
// whose settings no longer change.
//
// Thread rule: the Make* functions are pure (they read files); call them on any
// thread. The contexts they return may be used from any thread at once.
#pragma once

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <system_error>

#include "absl/status/statusor.h"

namespace obp::net {

struct ServerTlsFiles {
  std::string cert_file, key_file;  // the certificate (chain) and its key; both PEM
  std::string ca_file;              // optional: CAs a client certificate must chain to
  bool require_client_cert = false;  // refuse a TLS client without one (needs ca_file)
};

// TLS 1.2 and later. With a ca_file, a client certificate is checked when the
// client presents one, and required when require_client_cert is set. An unreadable
// file, a key that does not match the certificate: InvalidArgument naming the file.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(
    const ServerTlsFiles& files);

// How a client leg checks its server, as MariaDB's --ssl-mode names it.
enum class TlsVerify { kNone, kCa, kIdentity };

// TLS 1.2 and later, checking the server per `verify` against `ca_file` (PEM), or
// the system's CAs when it is empty. The host name itself is checked per
// connection (TlsClientIdentity below), the context is shared by every backend
// with the same mode and file.
absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(
    TlsVerify verify, const std::string& ca_file);

// OpenSSL's reason in words ("certificate verify failed", "no start line") for an
// error_code of Asio's SSL category, which carries the OpenSSL error code; any other
// error_code's own message. Clears this thread's OpenSSL error queue.
std::string TlsErrorReason(const std::error_code& ec);

}  // namespace obp::net
