#include "proxyd/rpc/rpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "common/core/address.h"
#include "proxyd/rpc/session_service.h"

namespace obp::rpc {
namespace {

class GrpcRpcServer final : public RpcServer {
 public:
  GrpcRpcServer(std::unique_ptr<SessionServiceImpl> service, std::unique_ptr<grpc::Server> server,
                std::string address)
      : service_(std::move(service)), server_(std::move(server)), address_(std::move(address)) {}
  std::string address() const override { return address_; }
  void Shutdown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

 private:
  std::unique_ptr<SessionServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RpcServer>> StartRpcServer(session::ProxyContext* ctx) {
  const std::string& listen = ctx->config->grpc_listen;
  auto hp = ParseHostPort(listen);
  if (!hp.ok()) return hp.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto service = std::make_unique<SessionServiceImpl>(ctx);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  auto creds = MakeServerCredentials(ctx->config->grpc_tls);
  if (!creds.ok()) return creds.status();
  builder.AddListeningPort(listen, *creds, &bound_port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    return absl::UnavailableError(absl::StrCat("gRPC: cannot listen on ", listen));
  }
  return std::make_unique<GrpcRpcServer>(std::move(service), std::move(server),
                                         absl::StrCat(hp->host, ":", bound_port));
}

}  // namespace obp::rpc
