#include "proxyd/session/session_info.h"

#include "absl/strings/str_cat.h"

namespace obp::session {

const char* ClientStateName(ClientState s) {
  switch (s) {
    case ClientState::kInit: return "MCS_INIT";
    case ClientState::kActiveReader: return "MCS_ACTIVE_READER";
    case ClientState::kKeepAlive: return "MCS_KEEP_ALIVE";
    case ClientState::kHalfClosed: return "MCS_HALF_CLOSED";
    case ClientState::kClosed: return "MCS_CLOSED";
  }
  return "MCS_UNKNOWN";
}

const char* ServerStateName(ServerState s) {
  switch (s) {
    case ServerState::kInit: return "MSS_INIT";
    case ServerState::kActive: return "MSS_ACTIVE";
    case ServerState::kIdle: return "MSS_KA_CLIENT_SLAVE";
  }
  return "MSS_UNKNOWN";
}

std::string ClientHostText(absl::string_view ip, uint16_t port) {
  if (port == 0 && ip == kLocalHost) return std::string(kLocalHost);
  return absl::StrCat(ip, ":", port);
}

absl::Status UnknownThreadId(uint64_t id) {
  return absl::NotFoundError(absl::StrCat("Unknown thread id: ", id));
}

}  // namespace obp::session
