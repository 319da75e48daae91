// Test helpers: load captured MariaDB bytes from testdata/*.hex and cut them into
// packets. Test-only; not thread-safe by design (plain functions on values).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace obp::mysql::testing {

struct Capture {
  std::string bytes;  // raw stream, packet headers included
  uint32_t caps = 0;  // client capabilities of the connection ("# caps:" line)
};

// Loads testdata/<name>.hex; fails the current test (ADD_FAILURE) when missing.
Capture LoadCapture(const std::string& name);

struct RawPacket {
  uint32_t length;
  uint8_t seq;
  std::string payload;
};
// Splits a stream into physical packets; REQUIRES a well-formed stream.
std::vector<RawPacket> SplitPackets(const std::string& bytes);
// Payload of the first packet.
std::string FirstPayload(const std::string& bytes);

std::string Unhex(const std::string& hex);

}  // namespace obp::mysql::testing
