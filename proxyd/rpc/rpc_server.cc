#include "proxyd/rpc/rpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "proxyd/rpc/credentials.h"
#include "proxyd/rpc/session_service.h"
#include "proxyd/rpc/tokens.h"

namespace obp::rpc {
namespace {

constexpr int kMaxRequestBytes = 64 * 1024;
// What gRPC's buffers may take in all: the control plane slows down past it, the
// data plane does not notice.
constexpr size_t kGrpcMemoryBytes = 32 << 20;

class GrpcRpcServer final : public RpcServer {
 public:
  GrpcRpcServer(std::unique_ptr<SessionServiceImpl> service, std::unique_ptr<grpc::Server> server,
                std::string address)
      : service_(std::move(service)), server_(std::move(server)), address_(std::move(address)) {}
  std::string address() const override { return address_; }
  void SetServing(bool serving) override {
    server_->GetHealthCheckService()->SetServingStatus(serving);
  }
  void Shutdown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    service_->AwaitCalls();
  }
  void SetTokens(std::shared_ptr<const TokenTable> tokens) override {
    service_->SetTokens(std::move(tokens));
  }

 private:
  std::unique_ptr<SessionServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TokenTable>> LoadConfiguredTokens(
    const config::ProxyConfig& c) {
  if (c.tokens_file.empty()) {
    auto hp = ParseHostPort(c.grpc_listen);
    if (hp.ok() && !IsLoopback(hp->host)) {
      spdlog::warn("gRPC listens on {} without tokens_file: anyone who reaches it can list "
                   "and kill sessions", c.grpc_listen);
    }
    return nullptr;
  }
  auto tokens = LoadTokens(c.tokens_file);
  if (!tokens.ok()) return tokens.status();
  spdlog::info("gRPC: {} bearer token(s) from {}", tokens->size(), c.tokens_file);
  return std::make_shared<const TokenTable>(*std::move(tokens));
}

absl::StatusOr<std::unique_ptr<RpcServer>> StartRpcServer(const config::ProxyConfig& c,
                                                          std::shared_ptr<const TokenTable> tokens,
                                                          session::ProxyContext* ctx,
                                                          const control::SessionRegistry* registry,
                                                          control::KillService* kills,
                                                          control::Drainer* drainer) {
  const std::string& listen = c.grpc_listen;
  auto hp = ParseHostPort(listen);
  if (!hp.ok()) return hp.status();
  // Health and reflection stay open without a token: probes and tools need them,
  // and they reveal no session.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto service = std::make_unique<SessionServiceImpl>(ctx, registry, kills, drainer,
                                                      std::move(tokens),
                                                      c.grpc_max_concurrent_calls);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  auto creds = MakeServerCredentials(c.grpc_tls);
  if (!creds.ok()) return creds.status();
  builder.AddListeningPort(listen, *creds, &bound_port);
  // No request of the SessionService comes near this; larger ones are refused by
  // gRPC before they are buffered whole.
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  // SPEC §4: calls in flight are bounded. Per connection, HTTP/2 holds the rest
  // back at the client (a flood queues there, not in this process); across
  // connections, SessionServiceImpl refuses what is past the same limit.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, c.grpc_max_concurrent_calls);
  grpc::ResourceQuota quota("proxyd-grpc");
  quota.Resize(kGrpcMemoryBytes);
  builder.SetResourceQuota(quota);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    return absl::UnavailableError(absl::StrCat("gRPC: cannot listen on ", listen));
  }
  std::string address = absl::StrCat(hp->host, ":", bound_port);
  service->SetAddress(address);
  return std::make_unique<GrpcRpcServer>(std::move(service), std::move(server),
                                         std::move(address));
}

}  // namespace obp::rpc
