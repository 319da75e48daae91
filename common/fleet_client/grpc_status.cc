#include "common/fleet_client/grpc_status.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace obp::fleet {
namespace {

// Both enums are the canonical gRPC code space; anything beyond
// UNAUTHENTICATED (16) is not a code either side defines.
constexpr int kMaxCanonicalCode = 16;

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  const int code = static_cast<int>(status.error_code());
  if (code == 0) return absl::OkStatus();
  if (code < 0 || code > kMaxCanonicalCode) {
    return absl::UnknownError(
        absl::StrCat("grpc code ", code, ": ", status.error_message()));
  }
  return absl::Status(static_cast<absl::StatusCode>(code), status.error_message());
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  if (code < 0 || code > kMaxCanonicalCode) {
    return grpc::Status(grpc::StatusCode::UNKNOWN,
                        absl::StrCat("code ", code, ": ", status.message()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()));
}

std::string CodeText(absl::StatusCode code) {
  // absl names codes like "DEADLINE_EXCEEDED"; operators read lower case.
  std::string name = absl::StatusCodeToString(code);
  absl::AsciiStrToLower(&name);
  return absl::StrReplaceAll(name, {{"_", " "}});
}

std::string StatusText(const absl::Status& status) {
  const std::string code = CodeText(status.code());
  // gRPC's own messages often just repeat the code ("Deadline Exceeded").
  std::string message = absl::StrReplaceAll(absl::AsciiStrToLower(status.message()), {{"_", " "}});
  if (message.empty() || message == code) return code;
  return absl::StrCat(code, ": ", status.message());
}

}  // namespace obp::fleet
