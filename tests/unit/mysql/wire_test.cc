// Framing, Reader and Writer.
#include "proxyd/mysql/wire.h"

#include <gtest/gtest.h>

#include <limits>

#include "proxyd/mysql/constants.h"
#include "tests/unit/mysql/testdata.h"

namespace obp::mysql {
namespace {

using testing::SplitPackets;

TEST(WireTest, HeaderRoundTrip) {
  uint8_t buf[4];
  EncodeHeader(buf, 0xABCDEF, 7);
  EXPECT_EQ(buf[0], 0xEF);
  EXPECT_EQ(buf[1], 0xCD);
  EXPECT_EQ(buf[2], 0xAB);
  EXPECT_EQ(buf[3], 7);
  PacketHeader h = DecodeHeader(buf);
  EXPECT_EQ(h.length, 0xABCDEFu);
  EXPECT_EQ(h.seq, 7);
}

TEST(WireTest, FixedIntegersRoundTripAndStopAtEnd) {
  std::string s;
  Writer w(&s);
  w.U8(0x12);
  w.U16(0x3456);
  w.U24(0x789ABC);
  w.U32(0xDEF01234);
  w.U64(0x0102030405060708ull);
  ASSERT_EQ(s.size(), 1u + 2 + 3 + 4 + 8);
  Reader r(s);
  EXPECT_EQ(*r.ReadU8(), 0x12);
  EXPECT_EQ(*r.ReadU16(), 0x3456);
  EXPECT_EQ(*r.ReadU24(), 0x789ABCu);
  EXPECT_EQ(*r.ReadU32(), 0xDEF01234u);
  EXPECT_EQ(*r.ReadU64(), 0x0102030405060708ull);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.ReadU8().ok());
  EXPECT_FALSE(r.ReadFixed(1).ok());
  EXPECT_TRUE(r.ReadFixed(0).ok());
}

TEST(WireTest, ShortReadLeavesPositionUnchanged) {
  std::string s = "\x01\x02\x03";
  Reader r(s);
  EXPECT_FALSE(r.ReadU32().ok());
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(*r.ReadU24(), 0x030201u);
}

TEST(WireTest, LenEncBoundaries) {
  const uint64_t values[] = {0,
                             1,
                             0xFA,
                             0xFB,
                             0xFC,
                             0xFFFF,
                             0x10000,
                             0xFFFFFF,
                             0x1000000,
                             0xFFFFFFFFull,
                             std::numeric_limits<uint64_t>::max()};
  const size_t sizes[] = {1, 1, 1, 3, 3, 3, 4, 4, 9, 9, 9};
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string s;
    Writer(&s).LenEnc(values[i]);
    EXPECT_EQ(s.size(), sizes[i]) << values[i];
    EXPECT_EQ(LenEncSize(values[i]), sizes[i]);
    Reader r(s);
    auto v = r.ReadLenEnc();
    ASSERT_TRUE(v.ok()) << values[i];
    EXPECT_EQ(*v, values[i]);
    EXPECT_TRUE(r.empty());
    // Every strict prefix is an error.
    for (size_t cut = 0; cut < s.size(); ++cut) {
      Reader rp(absl::string_view(s).substr(0, cut));
      EXPECT_FALSE(rp.ReadLenEnc().ok()) << values[i] << " cut " << cut;
    }
  }
}

TEST(WireTest, LenEncNullAndInvalid) {
  std::string null_marker = "\xFB";
  Reader r(null_marker);
  EXPECT_FALSE(r.ReadLenEnc().ok());
  EXPECT_EQ(r.remaining(), 1u);
  auto v = r.ReadLenEncOrNull();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  EXPECT_TRUE(r.empty());

  std::string ff = "\xFF\x00\x00";
  Reader r2(ff);
  EXPECT_FALSE(r2.ReadLenEncOrNull().ok());
}

TEST(WireTest, Strings) {
  std::string s;
  Writer w(&s);
  w.LenEncString("hello");
  w.NulString("world");
  w.Null();
  w.Bytes("rest");
  Reader r(s);
  EXPECT_EQ(*r.ReadLenEncString(), "hello");
  EXPECT_EQ(*r.ReadNulString(), "world");
  EXPECT_FALSE(r.ReadLenEncString().ok());  // NULL is not a string length
  ASSERT_TRUE(r.Skip(1).ok());
  EXPECT_EQ(r.ReadRest(), "rest");
  EXPECT_TRUE(r.empty());

  std::string no_nul = "abc";
  Reader r2(no_nul);
  EXPECT_FALSE(r2.ReadNulString().ok());
  std::string short_str =
      "\x05"
      "abc";
  Reader r3(short_str);
  EXPECT_FALSE(r3.ReadLenEncString().ok());
  EXPECT_EQ(r3.remaining(), 4u);
}

void ExpectFrames(size_t payload_size, std::vector<uint32_t> lengths) {
  std::string payload(payload_size, 'x');
  std::string out;
  uint8_t seq = 250;
  AppendPacket(&out, &seq, payload);
  auto packets = SplitPackets(out);
  ASSERT_EQ(packets.size(), lengths.size()) << payload_size;
  size_t total = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(packets[i].length, lengths[i]);
    EXPECT_EQ(packets[i].seq, static_cast<uint8_t>(250 + i));  // wraps past 255
    total += 4 + packets[i].length;
  }
  EXPECT_EQ(total, out.size());
  EXPECT_EQ(seq, static_cast<uint8_t>(250 + lengths.size()));
}

TEST(WireTest, AppendPacketSplitsAtMaxPayload) {
  ExpectFrames(0, {0});
  ExpectFrames(10, {10});
  ExpectFrames(kMaxPacketPayload - 1, {kMaxPacketPayload - 1});
  ExpectFrames(kMaxPacketPayload, {kMaxPacketPayload, 0});
  ExpectFrames(kMaxPacketPayload + 1, {kMaxPacketPayload, 1});
  ExpectFrames(2 * size_t{kMaxPacketPayload}, {kMaxPacketPayload, kMaxPacketPayload, 0});
}

}  // namespace
}  // namespace obp::mysql
