// How a client session ends, and the one entry it leaves in the node's session
// history (SPEC §9). Every session leaves by the end of ClientSession::Run, which
// calls RecordEnd: so no ending goes unrecorded, and none is recorded twice.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "proxyd/session/client_session.h"

namespace obp::session {

void ClientSession::NoteEnd(EndReason reason, absl::string_view detail) {
  SessionEnd end;
  end.reason = reason;
  end.detail = std::string(detail);
  NoteEnd(std::move(end));
}

void ClientSession::NoteEnd(SessionEnd end) {
  if (!end_) end_ = std::move(end);
}

SessionEnd ClientSession::EndOf(const absl::Status& last) const {
  SessionEnd end;
  if (end_) {
    end = *end_;
  } else if (!logged_in_) {
    // A client that closed before sending its login (a port scan, a TCP health
    // check) left; one that sent it and was refused failed its login.
    end.reason = login_packet_seen_ ? EndReason::kLoginFailed : EndReason::kClientGone;
    end.detail = login_packet_seen_ ? std::string(last.message())
                                    : absl::StrCat("closed before logging in: ", last.message());
  } else if (last.ok()) {
    end.reason = EndReason::kClientQuit;  // CommandLoop ended without a word: nothing failed
  } else if (last.code() == absl::StatusCode::kCancelled) {
    end.reason = EndReason::kClientGone;
    end.detail = std::string(last.message());
  } else {
    end.reason = EndReason::kError;
    end.detail = std::string(last.message());
  }
  // A client that leaves right after it was told its backend connection was lost
  // (2013) leaves because of that loss.
  const bool left = end.reason == EndReason::kClientQuit || end.reason == EndReason::kClientGone;
  if (left && !backend_lost_.empty()) {
    const char* how = end.reason == EndReason::kClientQuit ? "quit" : "left";
    end.reason = EndReason::kBackendLost;
    end.detail = absl::StrCat(backend_lost_, " (then the client ", how, ")");
  }
  return end;
}

void ClientSession::RecordEnd(const absl::Status& last) {
  SessionEnd end = EndOf(last);
  spdlog::debug("cs_id {}: session ended: {}{}{}", cs_id(), EndReasonName(end.reason),
                end.detail.empty() ? "" : ": ", end.detail);
  SessionHistory* history = ctx_->history;
  if (!history) return;
  const SessionInfo info = handle_->Info();
  const std::string host = ClientHostText(info.host_ip, info.host_port);
  EndedSession::Text text;
  // A failed login keeps the name the client tried: who was refused is the point.
  text.user = logged_in_ || login_name_.empty() ? absl::string_view(info.user)
                                                 : absl::string_view(login_name_);
  text.tenant = info.tenant;
  text.host = host;
  text.db = info.db ? absl::string_view(*info.db) : absl::string_view();
  text.last_statement = info.current_statement;
  text.actor = end.actor;
  text.detail = end.detail;
  EndedSession entry(text, info.db.has_value());
  entry.proxy_sessid = info.proxy_sessid;
  entry.cs_id = info.cs_id;
  entry.reason = end.reason;
  entry.via = end.via;
  entry.created = info.created;
  entry.ended = absl::Now();
  entry.statements = statements_;
  entry.transactions = total_trans_;
  entry.bytes_from_client = info.bytes_from_client;
  entry.bytes_to_client = info.bytes_to_client;
  history->Add(std::move(entry));
}

}  // namespace obp::session
