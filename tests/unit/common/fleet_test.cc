#include "common/core/fleet.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace obp {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const char* text) {
  auto nodes = ParseFleet(text, "fleet.toml");
  if (nodes.ok()) return "<accepted>";
  EXPECT_EQ(nodes.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(nodes.status().message());
}

TEST(ParseFleet, SpecExampleAndOptionalSql) {
  auto nodes = ParseFleet(R"(
[[node]]
id = 1
grpc = "127.0.0.1:2884"
sql = "127.0.0.1:2883"

[[node]]
id = 8191
grpc = "[::1]:2994"
)",
                          "fleet.toml");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 2u);
  EXPECT_EQ((*nodes)[0].id, 1u);
  EXPECT_EQ((*nodes)[0].grpc, "127.0.0.1:2884");
  EXPECT_EQ((*nodes)[0].sql, "127.0.0.1:2883");
  EXPECT_EQ((*nodes)[1].id, 8191u);
  EXPECT_EQ((*nodes)[1].grpc, "[::1]:2994");
  EXPECT_EQ((*nodes)[1].sql, "");
}

TEST(ParseFleet, InlineArrayOfTablesIsAccepted) {
  auto nodes = ParseFleet(R"(node = [ { id = 2, grpc = "h:1" }, { id = 3, grpc = "h:2" } ])", "f");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ(nodes->size(), 2u);
}

TEST(ParseFleet, MalformedAddressNamesFileLineKey) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\ngrpc = \"h:1\"\n\n[[node]]\nid = 2\ngrpc = \"h:2\"\n"
                    "\n[[node]]\nid = 3\ngrpc = \"abc\"\n"),
            "fleet.toml:11:1: node[2].grpc: expected \"HOST:PORT\", got \"abc\"");
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\ngrpc = \"h:1\"\nsql = \"h:0\"\n"),
            "fleet.toml:4:1: node[0].sql: expected \"HOST:PORT\", got \"h:0\"");
}

TEST(ParseFleet, SyntaxErrorHasLineAndColumn) {
  std::string e = ErrorOf("[[node]]\nid = 1\ngrpc = \"h:1\n");
  EXPECT_THAT(e, HasSubstr("fleet.toml:3:"));
  e = ErrorOf("[[node]]\nid = 1\nid = 2\ngrpc = \"h:1\"\n");
  EXPECT_THAT(e, HasSubstr("fleet.toml:3:"));
}

TEST(ParseFleet, IdRangeAndType) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 0\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got 0");
  EXPECT_EQ(ErrorOf("[[node]]\nid = 8192\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got 8192");
  EXPECT_EQ(ErrorOf("[[node]]\nid = -4\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got -4");
  EXPECT_EQ(ErrorOf("[[node]]\nid = \"1\"\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got a string");
  // toml++ would convert these silently with value<>(); they must be refused.
  EXPECT_EQ(ErrorOf("[[node]]\nid = true\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got a boolean");
  EXPECT_EQ(ErrorOf("[[node]]\nid = 2.0\ngrpc = \"h:1\"\n"),
            "fleet.toml:2:1: node[0].id: expected an integer 1..8191, got a float");
}

TEST(ParseFleet, WrongTypedAddress) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\ngrpc = 2884\n"),
            "fleet.toml:3:1: node[0].grpc: expected a string \"HOST:PORT\", got an integer");
}

TEST(ParseFleet, DuplicateId) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 4\ngrpc = \"h:1\"\n[[node]]\ngrpc = \"h:2\"\nid = 4\n"),
            "fleet.toml:6:1: node[1].id: duplicate id 4 (also node[0])");
}

TEST(ParseFleet, MissingKeysPointAtTheTable) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\ngrpc = \"h:1\"\n\n[[node]]\ngrpc = \"h:2\"\n"),
            "fleet.toml:5:1: node[1].id: missing");
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\n"), "fleet.toml:1:1: node[0].grpc: missing");
}

TEST(ParseFleet, UnknownKeys) {
  EXPECT_EQ(ErrorOf("[[node]]\nid = 1\ngrcp = \"h:1\"\n"),
            "fleet.toml:3:1: node[0].grcp: unknown key (a node has id, grpc, sql)");
  EXPECT_EQ(ErrorOf("[[nodes]]\nid = 1\ngrpc = \"h:1\"\n"),
            "fleet.toml:1:3: nodes: unknown key (a fleet file holds only [[node]] tables)");
}

TEST(ParseFleet, ShapeErrors) {
  EXPECT_EQ(ErrorOf(""), "fleet.toml: no [[node]]");
  EXPECT_EQ(ErrorOf("node = []\n"), "fleet.toml: no [[node]]");
  EXPECT_EQ(ErrorOf("[node]\nid = 1\ngrpc = \"h:1\"\n"),
            "fleet.toml:1:1: node: expected [[node]] tables, got a table");
  EXPECT_EQ(ErrorOf("node = [1]\n"), "fleet.toml:1:9: node[0]: expected a table, got an integer");
}

class FleetFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("obp_fleet_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FleetFileTest, LoadsAFile) {
  std::string path = Write("fleet.toml", "[[node]]\nid = 2\ngrpc = \"127.0.0.1:1\"\n");
  auto nodes = LoadFleetFile(path);
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].id, 2u);
}

TEST_F(FleetFileTest, ErrorsCarryThePath) {
  std::string path = Write("bad.toml", "[[node]]\nid = 2\ngrpc = \"x\"\n");
  auto nodes = LoadFleetFile(path);
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().message(),
            path + ":3:1: node[0].grpc: expected \"HOST:PORT\", got \"x\"");
}

TEST_F(FleetFileTest, MissingFileAndDirectory) {
  std::string missing = (dir_ / "nope.toml").string();
  auto nodes = LoadFleetFile(missing);
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(nodes.status().message(), HasSubstr(missing + ": cannot read fleet file"));
  nodes = LoadFleetFile(dir_.string());
  ASSERT_FALSE(nodes.ok());
  EXPECT_THAT(nodes.status().message(), HasSubstr("is a directory"));
}

}  // namespace
}  // namespace obp
