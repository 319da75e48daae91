#include "obpctl/fleet_args.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "common/core/fleet.h"

namespace obp::ctl {

void AddGlobalFlags(CLI::App& app, GlobalFlags& f) {
  // Given twice (before and after the command), the last one wins, as with kubectl.
  constexpr auto kLast = CLI::MultiOptionPolicy::TakeLast;
  app.add_option("--fleet", f.fleet_file, "fleet file (TOML, [[node]] id/grpc/sql)")
      ->envname("OBPCTL_FLEET")
      ->type_name("FILE")
      ->multi_option_policy(kLast);
  app.add_option("--node", f.nodes, "a node's gRPC address (repeatable)")->type_name("HOST:PORT");
  app.add_option("--discover", f.discover, "every A/AAAA record of NAME is a node (repeatable)")
      ->type_name("dns:NAME:PORT");
  app.add_option("--timeout", f.timeout,
                 "per-node deadline: 500ms, 2s, 1m; a bare number is seconds (default 2s)")
      ->type_name("DURATION")
      ->multi_option_policy(kLast);
  app.add_option("--token", f.token, "bearer token")
      ->envname("OBPCTL_TOKEN")
      ->type_name("TOKEN")
      ->multi_option_policy(kLast);
  app.add_option("--token-file", f.token_file, "file holding the bearer token")
      ->type_name("FILE")
      ->multi_option_policy(kLast);
  app.add_option("--ca", f.ca_file, "PEM CA bundle to verify nodes (enables TLS)")
      ->type_name("FILE")
      ->multi_option_policy(kLast);
  app.add_option("--cert", f.cert_file, "PEM client certificate for mTLS (with --key)")
      ->type_name("FILE")
      ->multi_option_policy(kLast);
  app.add_option("--key", f.key_file, "PEM client key for mTLS (with --cert)")
      ->type_name("FILE")
      ->multi_option_policy(kLast);
  app.add_option("--server-name", f.server_name, "TLS: expect this name in node certificates")
      ->type_name("NAME")
      ->multi_option_policy(kLast);
  app.add_flag("--tls", f.tls, "use TLS with the system's CA roots");
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& text) {
  // A bare number is seconds: "2", "0.5". Digits with at most one '.', no sign
  // or exponent, so "1e3" and "-1" stay errors.
  const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos &&
                    std::count(text.begin(), text.end(), '.') <= 1 && text.front() != '.' &&
                    text.back() != '.';
  const std::string spelled = bare ? text + "s" : text;
  absl::Duration d;
  // absl::ParseDuration takes "inf"; that is no deadline.
  if (!absl::ParseDuration(spelled, &d) || d == absl::InfiniteDuration() ||
      d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected a positive duration like 500ms, 2s, 1m or 2 (seconds), ",
                     "got \"", text, "\""));
  }
  return d;
}

absl::StatusOr<std::vector<std::string>> DiscoverDns(const std::string& spec) {
  // dns:NAME:PORT; NAME may not contain ':' (use --node for IPv6 literals).
  const std::string body = spec.substr(absl::StartsWith(spec, "dns:") ? 4 : spec.size());
  const size_t colon = body.rfind(':');
  if (!absl::StartsWith(spec, "dns:") || colon == std::string::npos || colon == 0 ||
      colon + 1 == body.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--discover: expected dns:NAME:PORT, got \"", spec, "\""));
  }
  const std::string name = body.substr(0, colon), port = body.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(name.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("--discover: cannot resolve ", name, ": ", gai_strerror(rc)));
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char ip[INET6_ADDRSTRLEN] = {};
    std::string addr;
    if (ai->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
      inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
      addr = absl::StrCat(ip, ":", port);
    } else if (ai->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
      inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
      addr = absl::StrCat("[", ip, "]:", port);
    } else {
      continue;
    }
    if (seen.insert(addr).second) out.push_back(addr);
  }
  freeaddrinfo(res);
  if (out.empty()) {
    return absl::UnavailableError(absl::StrCat("--discover: ", name, " has no A/AAAA records"));
  }
  return out;
}

absl::StatusOr<std::vector<fleet::NodeTarget>> TargetsFromFlags(const GlobalFlags& f) {
  std::vector<fleet::NodeTarget> out;
  std::set<std::string> seen;
  if (!f.fleet_file.empty()) {
    auto fleet = LoadFleetFile(f.fleet_file);
    if (!fleet.ok()) return fleet.status();
    for (const auto& n : *fleet) {
      if (seen.insert(n.grpc).second) out.push_back({n.id, n.grpc});
    }
  }
  std::vector<std::string> addresses;
  for (const auto& a : f.nodes) {
    if (auto hp = ParseHostPort(a); !hp.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--node ", a, ": ", hp.status().message()));
    }
    addresses.push_back(a);
  }
  for (const auto& spec : f.discover) {
    auto found = DiscoverDns(spec);
    if (!found.ok()) return found.status();
    addresses.insert(addresses.end(), found->begin(), found->end());
  }
  for (auto& a : addresses) {
    if (seen.insert(a).second) out.push_back({0, a});
  }
  if (out.empty()) return absl::InvalidArgumentError(kNoFleetMessage);
  return out;
}

absl::StatusOr<fleet::ClientOptions> OptionsFromFlags(const GlobalFlags& f) {
  fleet::ClientOptions o;
  auto timeout = ParseDurationFlag("--timeout", f.timeout);
  if (!timeout.ok()) return timeout.status();
  o.timeout = *timeout;
  o.token = f.token;
  if (!f.token_file.empty()) {
    if (!f.token.empty()) {
      return absl::InvalidArgumentError("give either --token (or OBPCTL_TOKEN) or --token-file");
    }
    std::ifstream in(f.token_file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", f.token_file));
    std::stringstream buf;
    buf << in.rdbuf();
    o.token = std::string(absl::StripAsciiWhitespace(buf.str()));
    if (o.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(f.token_file, " holds no token"));
    }
  }
  o.tls = f.tls;
  o.ca_file = f.ca_file;
  o.cert_file = f.cert_file;
  o.key_file = f.key_file;
  o.server_name = f.server_name;
  return o;
}

absl::StatusOr<std::unique_ptr<fleet::FleetClient>> ClientFromFlags(const GlobalFlags& f) {
  auto targets = TargetsFromFlags(f);
  if (!targets.ok()) return targets.status();
  auto options = OptionsFromFlags(f);
  if (!options.ok()) return options.status();
  return fleet::FleetClient::Create(*std::move(targets), *std::move(options));
}

}  // namespace obp::ctl
