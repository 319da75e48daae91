// MetricsEndpoint: serves GET /metrics on the configured loopback address, refuses
// an address it cannot bind with a Status (not an exception), and a host name.
#include "proxyd/metrics/endpoint.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "proxyd/metrics/metrics.h"

namespace obp::metrics {
namespace {

using ::testing::HasSubstr;

// A listening socket on 127.0.0.1 with a port the kernel chose; closed on scope exit.
struct Listening {
  int fd = -1;
  int port = 0;
  Listening() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1) != 0) return;
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listening() { ::close(fd); }
};

// One HTTP/1.0 GET; the whole response (headers and body), or "" if it failed.
std::string Get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};  // bounded: a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (int i = 0; i < 10000; ++i) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return out;
}

TEST(MetricsEndpoint, ServesTheMetricsOnTheConfiguredAddress) {
  auto metrics = std::make_shared<Metrics>(1);
  metrics->RecordReload(true);
  int port = 0;
  {
    Listening probe;  // learn a free port, then free it for the endpoint
    ASSERT_GT(probe.port, 0);
    port = probe.port;
  }
  auto ep = MetricsEndpoint::Start(absl::StrCat("127.0.0.1:", port), metrics);
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ((*ep)->address(), absl::StrCat("127.0.0.1:", port));
  std::string response = Get(port, "/metrics");
  EXPECT_THAT(response, HasSubstr("200 OK"));
  EXPECT_THAT(response, HasSubstr("proxyd_config_reloads_total{result=\"ok\"} 1\n"));
  EXPECT_THAT(response, HasSubstr("# TYPE proxyd_client_sessions gauge"));
  EXPECT_THAT(Get(port, "/other"), HasSubstr("404"));
}

TEST(MetricsEndpoint, AnAddressInUseIsAStatus) {
  Listening taken;
  ASSERT_GT(taken.port, 0);
  auto ep = MetricsEndpoint::Start(absl::StrCat("127.0.0.1:", taken.port),
                                   std::make_shared<Metrics>(1));
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(ep.status().message()),
              HasSubstr(absl::StrCat("metrics_listen: cannot listen on 127.0.0.1:", taken.port)));
}

TEST(MetricsEndpoint, AHostNameIsRefused) {
  auto ep = MetricsEndpoint::Start("metrics.example:9100", std::make_shared<Metrics>(1));
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace obp::metrics
