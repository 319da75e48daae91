// ResponseScanner on payloads that span several packets (>= 0xFFFFFF bytes).
#include <gtest/gtest.h>

#include "proxyd/mysql/constants.h"
#include "proxyd/mysql/response_scanner.h"
#include "proxyd/mysql/resultset.h"
#include "proxyd/mysql/wire.h"
#include "tests/unit/mysql/scanner_harness.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::FeedCuts;
using testing::Outcome;
using testing::RunChunked;
using testing::RunWhole;
using testing::SplitPackets;

constexpr uint16_t kStatus = kServerStatusAutocommit | kServerStatusInTrans;

// Text result set with the single row `row`.
std::string BigResult(const Row& row, uint32_t caps) {
  std::vector<ColumnDef> cols(row.size());
  for (size_t i = 0; i < cols.size(); ++i) cols[i].name = "c" + std::to_string(i);
  std::string out;
  uint8_t seq = 1;
  AppendTextResultSet(&out, &seq, cols, {row}, caps, 0, kStatus);
  return out;
}
std::string BigResult(const std::string& value, uint32_t caps) {
  return BigResult(Row{value}, caps);
}

// Same outcome for: whole, chunks of various sizes, and two-chunk splits around
// every packet boundary (header bytes included).
void CheckAllChunkings(const std::string& stream, uint32_t caps, size_t response_size) {
  Outcome whole = RunWhole(caps, ResponseKind::kGeneric, stream);
  EXPECT_FALSE(whole.failed);
  EXPECT_TRUE(whole.done);
  EXPECT_FALSE(whole.is_error);
  EXPECT_EQ(whole.consumed, response_size);
  EXPECT_EQ(whole.status, kStatus);
  for (size_t chunk : {size_t{7}, size_t{4096}, size_t{1000003}, size_t{kMaxPacketPayload}}) {
    ASSERT_EQ(RunChunked(caps, ResponseKind::kGeneric, stream, chunk), whole) << chunk;
  }
  size_t boundary = 0;
  for (const auto& p : SplitPackets(stream)) {
    for (size_t d = 0; d < 12; ++d) {
      for (size_t cut : {boundary + d, boundary > d ? boundary - d : 0}) {
        ResponseScanner s(caps, ResponseKind::kGeneric);
        ASSERT_EQ(FeedCuts(s, stream, {cut}), whole) << "cut " << cut;
      }
    }
    boundary += 4 + p.length;
  }
}

class MultiPacketTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(MultiPacketTest, RowOf16MiBPlusOne) {
  const uint32_t caps = GetParam();
  // Row payload = 4-byte length prefix + value = 16 MiB + 1 bytes.
  std::string value((16u << 20) + 1 - 4, 'r');
  std::string response = BigResult(value, caps);
  auto packets = SplitPackets(response);
  bool found = false;
  for (size_t i = 0; i + 1 < packets.size(); ++i) {
    if (packets[i].length == kMaxPacketPayload) {
      EXPECT_EQ(packets[i + 1].length, 2u);
      found = true;
    }
  }
  ASSERT_TRUE(found);
  CheckAllChunkings(response + BigResult("x", caps), caps, response.size());
}

TEST_P(MultiPacketTest, RowOfExactlyMaxPayloadHasEmptyContinuation) {
  const uint32_t caps = GetParam();
  std::string value(kMaxPacketPayload - 4, 'e');
  std::string response = BigResult(value, caps);
  auto packets = SplitPackets(response);
  size_t big = 0;
  while (packets[big].length != kMaxPacketPayload) ++big;
  ASSERT_EQ(packets[big + 1].length, 0u);  // continuation, must not be classified
  CheckAllChunkings(response + BigResult("y", caps), caps, response.size());
}

TEST_P(MultiPacketTest, ContinuationThatLooksLikeEofOrErrIsNotClassified) {
  const uint32_t caps = GetParam();
  for (char lookalike : {'\xFE', '\xFF', '\x00', '\xFB'}) {
    // Row = [FD + 3-byte length, 0xFFFFFF bytes][00 (empty string)]: payload
    // 0xFFFFFF + 5 bytes, so the continuation holds the value's last 4 bytes and the
    // 00, here set to e.g. FE 00 00 02 00: a perfect EOF if it were classified.
    std::string value(kMaxPacketPayload, 'v');
    value[kMaxPacketPayload - 4] = lookalike;
    value[kMaxPacketPayload - 3] = 0;
    value[kMaxPacketPayload - 2] = 0;
    value[kMaxPacketPayload - 1] = 2;
    std::string response = BigResult(Row{value, ""}, caps);
    auto packets = SplitPackets(response);
    size_t big = 0;
    while (packets[big].length != kMaxPacketPayload) ++big;
    ASSERT_EQ(packets[big + 1].length, 5u);
    ASSERT_EQ(packets[big + 1].payload, std::string(1, lookalike) + std::string("\0\0\x02\0", 4));
    CheckAllChunkings(response + BigResult("z", caps), caps, response.size());
  }
}

TEST_P(MultiPacketTest, RowStartingWithFeIsARow) {
  // A value of 16 MiB needs the 0xFE (8-byte) length prefix: the row payload starts
  // with 0xFE like a terminator, and only its length tells it apart.
  const uint32_t caps = GetParam();
  std::string value(16u << 20, 'f');
  std::string response = BigResult(value, caps);
  auto packets = SplitPackets(response);
  size_t big = 0;
  while (packets[big].length != kMaxPacketPayload) ++big;
  ASSERT_EQ(static_cast<uint8_t>(packets[big].payload[0]), 0xFE);
  CheckAllChunkings(response, caps, response.size());
}

INSTANTIATE_TEST_SUITE_P(Caps, MultiPacketTest,
                         ::testing::Values(kClientProtocol41,
                                           kClientProtocol41 | kClientDeprecateEof));

TEST(MultiPacketStatisticsTest, PayloadOfExactlyMaxSize) {
  std::string big(kMaxPacketPayload, 's');
  std::string stream;
  uint8_t seq = 1;
  AppendPacket(&stream, &seq, big);
  Outcome o = RunChunked(kClientProtocol41, ResponseKind::kStatistics, stream, 65536);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.consumed, stream.size());
  EXPECT_EQ(o.last_seq, 2);  // the empty continuation packet
}

}  // namespace
}  // namespace obp::mysql
