// KillOnBackend: ends a backend thread (KILL CONNECTION n) or its statement (KILL
// QUERY n) over a fresh control connection, logged in as the session's own user:
// MariaDB and MySQL let a user kill its own threads without extra privileges.
//
// Thread rule: a coroutine; run it on any io_context.
#pragma once

#include <asio/awaitable.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proxyd/config/config.h"
#include "proxyd/session/server_session.h"

namespace obp::session {

// OK once the backend confirmed the KILL (or said the thread is already gone).
// The whole exchange (connect, login, KILL, reply) is bounded by `timeout`: a hung
// backend gets DeadlineExceeded, never a wait without end.
asio::awaitable<absl::Status> KillOnBackend(const config::Backend& backend, LoginParams login,
                                            uint32_t connection_id, bool query_only,
                                            absl::Duration timeout);

}  // namespace obp::session
