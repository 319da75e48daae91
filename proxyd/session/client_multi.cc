// Multi-statement queries that hold a statement proxyd answers itself (SPEC §3:
// `KILL 5; SELECT 1` runs the kill in its place and its reply is one of the
// query's results, as on MariaDB).
//
// The query is answered in parts (sql::PlanMultiStatement): consecutive forwarded
// statements go to the backend together as one COM_QUERY, each proxy statement is
// answered by the AdminFrontDoor. The client must see one reply, as from a server:
// sequence ids continuing across the parts, and every part but the last ending in
// an OK/EOF that says more results follow. ReplyShape carries that framing; proxyd's
// own replies apply it where they are built (SendOk/SendRows/SendError), a
// backend's reply is rewritten packet by packet here. An error ends the query, as
// the server ends a multi-statement query at its first error.
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/packets.h"
#include "proxyd/mysql/wire.h"
#include "proxyd/session/client_session.h"

namespace obp::session {
namespace {
// A shaped reply is written in batches of whole packets of about this size.
constexpr size_t kShapedBatch = 64 * 1024;
}  // namespace

asio::awaitable<absl::Status> ClientSession::RunMultiStatement(
    absl::string_view sql, absl::string_view body, const std::optional<std::string>& hint) {
  // The parts are views into a copy: a part's LOAD DATA LOCAL reads the client's
  // connection, which reuses the buffer the query arrived in.
  const std::string statement(sql);
  const std::string text(body);
  std::optional<std::vector<sql::QueryPart>> plan = sql::PlanMultiStatement(text);
  absl::Status s;
  uint8_t next_seq = 1;
  for (size_t i = 0; plan && i < plan->size() && s.ok() && !closing_; ++i) {
    const sql::QueryPart& part = (*plan)[i];
    shape_ = ReplyShape{};
    shape_.seq_offset = static_cast<uint8_t>(next_seq - 1);
    shape_.more = i + 1 < plan->size();
    shape_.next_seq = next_seq;
    SetCommand("Query", statement);
    if (!part.error.ok()) {
      s = co_await SendError(1, 1064, "42000", part.error.message());
    } else if (part.admin) {
      s = co_await ctx_->admin->Execute(*this, *part.admin);
    } else {
      std::string raw;
      uint8_t seq = 0;
      mysql::AppendPacket(&raw, &seq, absl::StrCat("\x03", part.text));
      s = co_await ForwardQuery(part.text, sql::Classify(part.text), raw, nullptr, hint);
    }
    if (shape_.failed) break;
    next_seq = shape_.next_seq;
  }
  shape_ = ReplyShape{};
  finished_ = false;  // the command loop marks the session idle again
  co_return s;
}

asio::awaitable<absl::Status> ClientSession::StreamShapedResponse(ServerSession* ss) {
  mysql::ResponseScanner& scanner = ss->scanner();
  std::string out;
  bool forwarded = false;
  while (!scanner.done()) {
    auto pkt = co_await ss->conn().ReadPacket();
    if (!pkt.ok()) {
      if (!forwarded && out.empty() && !closing_) {
        co_return absl::UnavailableError(pkt.status().message());
      }
      client_.Close();
      NoteEnd(EndReason::kBackendLost,
              absl::StrCat("backend '", ss->backend().name, "' closed the connection mid-response: ",
                           pkt.status().message()));
      co_return absl::CancelledError("backend closed mid-response");
    }
    auto used = scanner.Feed(pkt->raw);
    if (!used.ok() || *used != pkt->raw.size()) {
      spdlog::warn("cs_id {}: bad response from backend {}: {}", cs_id(), ss->backend().name,
                   used.ok() ? "response ended inside a packet"
                             : std::string(used.status().message()));
      ss->conn().Close();
      client_.Close();
      NoteEnd(EndReason::kError, absl::StrCat("malformed response from backend '", ss->backend().name, "'"));
      co_return absl::CancelledError("malformed backend response");
    }
    const size_t at = out.size();
    out.append(pkt->raw.data(), pkt->raw.size());
    const uint8_t seq = static_cast<uint8_t>(static_cast<uint8_t>(out[at + 3]) + shape_.seq_offset);
    out[at + 3] = static_cast<char>(seq);
    shape_.next_seq = static_cast<uint8_t>(seq + 1);
    if (scanner.done()) {
      if (scanner.is_error()) {
        shape_.failed = true;
      } else if (shape_.more) {
        absl::Status flagged = mysql::SetMoreResultsFlag(&out[at + 4], pkt->payload.size(), caps_);
        if (!flagged.ok()) {
          // A reply that ends in neither OK nor EOF cannot say more follows.
          shape_.failed = true;
          spdlog::warn("cs_id {}: cannot join the reply of backend {}: {}", cs_id(),
                       ss->backend().name, std::string(flagged.message()));
        }
      }
      FinishStatement(ss);
    }
    if (scanner.done() || scanner.wants_local_infile() || out.size() >= kShapedBatch ||
        !ss->conn().has_buffered()) {
      absl::Status w = co_await client_.Write(out);
      out.clear();
      forwarded = true;
      if (!w.ok()) {
        ss->conn().Close();
        co_return absl::CancelledError(w.message());
      }
    }
    if (scanner.wants_local_infile()) {
      // The client numbers its file packets after the shaped request; the backend
      // expects them after its own.
      if (absl::Status s = co_await ForwardLocalInfile(ss, shape_.seq_offset); !s.ok()) {
        co_return s;
      }
      scanner.ResumeAfterLocalInfile();
    }
  }
  co_return absl::OkStatus();
}

}  // namespace obp::session
