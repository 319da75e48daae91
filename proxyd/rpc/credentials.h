// The gRPC port's server credentials from [grpc_tls] (SPEC §6): plain, TLS, or TLS
// that requires a client certificate signed by ca_file (mTLS).
//
// Thread rule: a pure function; call at start-up.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "proxyd/config/config.h"

namespace obp::rpc {

// Reads and checks every file now, so a wrong path or a key that does not match
// its certificate stops the node instead of failing every handshake later.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const config::TlsConfig& tls);

}  // namespace obp::rpc
