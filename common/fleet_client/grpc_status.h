// Conversions between grpc::Status and absl::Status, the one place where the
// two meet. Used by the fan-out client (grpc -> absl) and by proxyd's
// SessionService handlers (absl -> grpc). Codes are preserved in both
// directions (the two enums share values 0..16); the message is carried
// unchanged. Stateless; safe from any thread.
#ifndef OBP_COMMON_FLEET_CLIENT_GRPC_STATUS_H_
#define OBP_COMMON_FLEET_CLIENT_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace obp::fleet {

// grpc -> absl. An out-of-range code becomes UNKNOWN with the code number
// kept in the message, so nothing is silently dropped.
absl::Status FromGrpcStatus(const grpc::Status& status);

// absl -> grpc, for service handlers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Lower-case code name as operators read it: "deadline exceeded",
// "not found", "unavailable", ...
std::string CodeText(absl::StatusCode code);

// CodeText, plus ": message" when the message says more than the code
// ("deadline exceeded", "unavailable: failed to connect to all addresses").
std::string StatusText(const absl::Status& status);

}  // namespace obp::fleet

#endif  // OBP_COMMON_FLEET_CLIENT_GRPC_STATUS_H_
