// Test helper: feed a ResponseScanner in different chunkings and summarise the
// outcome, so tests can demand that every chunking gives the same answer.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proxyd/mysql/response_scanner.h"

namespace obp::mysql::testing {

struct Outcome {
  bool failed = false;  // Feed returned an error status
  bool done = false;
  bool infile = false;
  size_t consumed = 0;
  bool is_error = false;
  uint16_t err_code = 0;
  std::string sql_state, message;
  bool has_status = false;
  uint16_t status = 0, warnings = 0;
  uint64_t affected = 0, last_id = 0;
  uint32_t stmt_id = 0;
  uint16_t cols = 0, params = 0;
  uint8_t last_seq = 0;

  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{failed=" << o.failed << " done=" << o.done << " infile=" << o.infile
            << " consumed=" << o.consumed << " err=" << o.is_error << "/" << o.err_code << "/"
            << o.sql_state << " status=" << o.has_status << "/0x" << std::hex << o.status
            << std::dec << " warnings=" << o.warnings << " affected=" << o.affected << " last_id=" << o.last_id
            << " stmt=" << o.stmt_id << "/" << o.cols << "/" << o.params
            << " seq=" << int{o.last_seq} << "}";
}

// Copies what a finished scanner reports into `o`: this harness's Outcome, or the
// fuzz target's (tests/fuzz/scanner_fuzz.cc), which has the same fields.
template <class O>
void ReadFinalState(const ResponseScanner& s, O& o) {
  o.is_error = s.is_error();
  if (o.is_error) {
    o.err_code = s.error().code;
    o.sql_state = s.error().sql_state;
    o.message = s.error().message;
  }
  o.has_status = s.has_status();
  o.status = s.final_status_flags();
  o.warnings = s.warnings();
  o.affected = s.affected_rows();
  o.last_id = s.last_insert_id();
  o.stmt_id = s.stmt_id();
  o.cols = s.num_columns();
  o.params = s.num_params();
  o.last_seq = s.last_seq();
}

// Feeds `bytes` cut at the given ascending offsets; stops at done/infile/error.
inline Outcome FeedCuts(ResponseScanner& s, const std::string& bytes,
                        const std::vector<size_t>& cuts) {
  Outcome o;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (size_t end : ends) {
    if (end < start) continue;
    auto n = s.Feed(absl::string_view(bytes).substr(start, end - start));
    if (!n.ok()) {
      o.failed = true;
      break;
    }
    o.consumed += *n;
    if (s.done() || s.wants_local_infile()) break;
    start = end;
  }
  o.done = s.done();
  o.infile = s.wants_local_infile();
  if (o.failed) o.consumed = 0;  // not meaningful after an error
  if (o.done) ReadFinalState(s, o);
  return o;
}

inline Outcome RunWhole(uint32_t caps, ResponseKind kind, const std::string& bytes) {
  ResponseScanner s(caps, kind);
  return FeedCuts(s, bytes, {});
}

inline Outcome RunChunked(uint32_t caps, ResponseKind kind, const std::string& bytes,
                          size_t chunk) {
  std::vector<size_t> cuts;
  for (size_t at = chunk; at < bytes.size(); at += chunk) cuts.push_back(at);
  ResponseScanner s(caps, kind);
  return FeedCuts(s, bytes, cuts);
}

}  // namespace obp::mysql::testing
