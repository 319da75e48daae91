// The global obpctl flags (which fleet, how to reach it) and turning them
// into a FleetClient: --fleet FILE / OBPCTL_FLEET, --node HOST:PORT
// (repeatable), --discover dns:NAME:PORT, --timeout, --token / OBPCTL_TOKEN,
// --token-file, --ca, --cert, --key, --server-name, --tls.
// Used once per process from main's thread; not shared.
#ifndef OBP_OBPCTL_FLEET_ARGS_H_
#define OBP_OBPCTL_FLEET_ARGS_H_

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/fleet_client/fleet_client.h"

namespace obp::ctl {

struct GlobalFlags {
  std::string fleet_file;
  std::vector<std::string> nodes;
  std::vector<std::string> discover;
  std::string timeout = "2s";
  std::string token;
  std::string token_file;
  std::string ca_file, cert_file, key_file, server_name;
  bool tls = false;
};

void AddGlobalFlags(CLI::App& app, GlobalFlags& flags);

// "500ms", "2s", "1m", "1m30s"; a bare number is seconds ("2", "0.5"). Zero,
// a negative value or "inf" is an error (INVALID_ARGUMENT naming `flag`).
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& text);

// "dns:NAME:PORT" -> one "ip:port" per A/AAAA record (getaddrinfo), in the
// resolver's order without duplicates; IPv6 as "[ip]:port".
absl::StatusOr<std::vector<std::string>> DiscoverDns(const std::string& spec);

// What obpctl says when no flag names a node: the ways to give the fleet.
inline constexpr const char* kNoFleetMessage =
    "no fleet given; name the nodes with one of:\n"
    "  --fleet FILE              a fleet file ([[node]] id, grpc, sql), or set OBPCTL_FLEET=FILE\n"
    "  --node HOST:PORT          a node's gRPC address (repeatable)\n"
    "  --discover dns:NAME:PORT  every A/AAAA record of NAME is a node\n"
    "e.g. obpctl --fleet fleet.toml sessions list";

// All nodes named by the flags: fleet file entries (with ids) first, then
// --node and --discover addresses (ids unknown, learned from the nodes). An
// address given twice is kept once. NOT_FOUND-free: an empty result is
// INVALID_ARGUMENT (kNoFleetMessage).
absl::StatusOr<std::vector<fleet::NodeTarget>> TargetsFromFlags(const GlobalFlags& flags);

absl::StatusOr<fleet::ClientOptions> OptionsFromFlags(const GlobalFlags& flags);

absl::StatusOr<std::unique_ptr<fleet::FleetClient>> ClientFromFlags(const GlobalFlags& flags);

}  // namespace obp::ctl

#endif  // OBP_OBPCTL_FLEET_ARGS_H_
