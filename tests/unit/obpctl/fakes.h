// Shorthands for the obpctl tests: start fake nodes, build targets.
// Test-only; each test owns its fakes.
#ifndef OBP_TESTS_UNIT_OBPCTL_FAKES_H_
#define OBP_TESTS_UNIT_OBPCTL_FAKES_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/fleet_client/fleet_client.h"
#include "tests/tools/fake_node/fake_node.h"

namespace obp::testing {

inline std::unique_ptr<FakeNode> StartFake(uint32_t node_id, std::vector<pb::Session> sessions,
                                           bool hang = false,
                                           std::map<std::string, std::string> tokens = {}) {
  FakeNodeConfig config;
  config.node_id = node_id;
  config.sessions = std::move(sessions);
  config.hang = hang;
  config.tokens = std::move(tokens);
  auto node = FakeNode::Start(std::move(config));
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *std::move(node) : nullptr;
}

inline std::unique_ptr<FakeNode> StartFake(FakeNodeConfig config) {
  auto node = FakeNode::Start(std::move(config));
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *std::move(node) : nullptr;
}

inline fleet::NodeTarget Target(const FakeNode& node, uint32_t id) {
  return fleet::NodeTarget{id, node.address()};
}

// An address nothing listens on: bind a port, then close it.
std::string DeadAddress();

}  // namespace obp::testing

#endif  // OBP_TESTS_UNIT_OBPCTL_FAKES_H_
