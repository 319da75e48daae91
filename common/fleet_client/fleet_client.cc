#include "common/fleet_client/fleet_client.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/core/mutex.h"
#include "common/fleet_client/grpc_status.h"
#include "common/fleet_client/unary_call.h"

namespace obp::fleet {

struct FleetClient::Node {
  std::string address;
  std::atomic<uint32_t> id{0};  // 0 until configured or learned
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::SessionService::Stub> stub;
  std::shared_ptr<CallTracker> tracker;  // the client's, shared by its nodes

  NodeTarget target() const { return NodeTarget{id.load(std::memory_order_relaxed), address}; }
  // Records the id a node reports about itself if it was not known.
  void Learn(uint32_t reported) {
    uint32_t expected = 0;
    if (reported != 0) id.compare_exchange_strong(expected, reported, std::memory_order_relaxed);
  }
};

// Which rpc a Pager calls (the generated async methods are overloaded, so a
// plain function stands in for a member pointer), and the word for what its
// pages hold.
template <class Req, class Resp>
struct PagedRpc {
  using Invoke = void (*)(pb::SessionService::Stub::async_interface*, grpc::ClientContext*,
                          const Req*, Resp*, std::function<void(grpc::Status)>);
  Invoke invoke;
  const char* what;  // "sessions", for "stopped after N pages of sessions"
};

namespace {

using Node = FleetClient::Node;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " file ", path));
  std::stringstream buf;
  buf << in.rdbuf();
  if (buf.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " file ", path, " is empty"));
  }
  return buf.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(
    const ClientOptions& o) {
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both a cert file and a key file");
  }
  const bool tls = o.tls || !o.ca_file.empty() || !o.cert_file.empty();
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!o.ca_file.empty()) {
    auto ca = ReadPem(o.ca_file, "CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
  }
  if (!o.cert_file.empty()) {
    auto cert = ReadPem(o.cert_file, "certificate");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(o.key_file, "key");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

UnaryCallSetup SetupFor(const std::shared_ptr<Node>& node, const ClientOptions& o,
                        absl::Time deadline) {
  return UnaryCallSetup{node->stub.get(), node->tracker, deadline, o.token};
}

// Merges one more page into the accumulated per-node answer.
void AppendPage(pb::ListSessionsResponse& into, pb::ListSessionsResponse& page) {
  into.set_node_id(page.node_id());
  for (auto& s : *page.mutable_sessions()) *into.add_sessions() = std::move(s);
}

// The history's bookkeeping comes from the latest page: sessions pushed out
// while we paged are forgotten by then.
void AppendPage(pb::ListEndedSessionsResponse& into, pb::ListEndedSessionsResponse& page) {
  into.set_node_id(page.node_id());
  if (page.has_kept_since()) {
    *into.mutable_kept_since() = page.kept_since();
  } else {
    into.clear_kept_since();
  }
  into.set_forgotten(page.forgotten());
  into.set_history_size(page.history_size());
  for (auto& s : *page.mutable_sessions()) *into.add_sessions() = std::move(s);
}

const PagedRpc<pb::ListSessionsRequest, pb::ListSessionsResponse> kListSessions{
    [](auto* a, auto* c, auto* req, auto* resp, auto f) {
      a->ListSessions(c, req, resp, std::move(f));
    },
    "sessions"};

const PagedRpc<pb::ListEndedSessionsRequest, pb::ListEndedSessionsResponse> kListEnded{
    [](auto* a, auto* c, auto* req, auto* resp, auto f) {
      a->ListEndedSessions(c, req, resp, std::move(f));
    },
    "ended sessions"};

// Fetches one node's pages one after the other, all under one deadline.
template <class Req, class Resp>
struct Pager : std::enable_shared_from_this<Pager<Req, Resp>> {
  PagedRpc<Req, Resp> rpc;
  std::shared_ptr<Node> node;
  std::shared_ptr<const ClientOptions> options;
  Req request;
  absl::Time deadline;
  int pages = 0;
  Resp merged;
  std::function<void(absl::Status, Resp)> report;

  void Next() {
    auto self = this->shared_from_this();
    StartUnary<Req, Resp>(SetupFor(node, *options, deadline), request, rpc.invoke,
                          [self](absl::Status status, Resp page) {
                            self->OnPage(std::move(status), page);
                          });
  }

  void OnPage(absl::Status status, Resp& page) {
    if (!status.ok()) return report(std::move(status), std::move(merged));
    node->Learn(page.node_id());
    AppendPage(merged, page);
    ++pages;
    if (page.next_page_token().empty()) return report(absl::OkStatus(), std::move(merged));
    if (pages >= options->max_pages) {
      return report(absl::ResourceExhaustedError(
                        absl::StrCat("stopped after ", pages, " pages of ", rpc.what)),
                    std::move(merged));
    }
    request.set_page_token(page.next_page_token());
    Next();
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<FleetClient>> FleetClient::Create(std::vector<NodeTarget> targets,
                                                                 ClientOptions options) {
  if (targets.empty()) return absl::InvalidArgumentError("no nodes given");
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  auto creds = MakeCredentials(options);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  std::vector<std::shared_ptr<Node>> nodes;
  auto tracker = std::make_shared<CallTracker>();
  for (auto& t : targets) {
    if (t.address.empty()) return absl::InvalidArgumentError("empty node address");
    auto node = std::make_shared<Node>();
    node->address = t.address;
    node->id.store(t.id, std::memory_order_relaxed);
    node->channel = grpc::CreateCustomChannel(t.address, *creds, args);
    node->stub = pb::SessionService::NewStub(node->channel);
    node->tracker = tracker;
    nodes.push_back(std::move(node));
  }
  return std::unique_ptr<FleetClient>(new FleetClient(
      std::move(nodes), std::make_shared<const ClientOptions>(std::move(options))));
}

FleetClient::FleetClient(std::vector<std::shared_ptr<Node>> nodes,
                         std::shared_ptr<const ClientOptions> options)
    : nodes_(std::move(nodes)), options_(std::move(options)) {}

FleetClient::~FleetClient() {
  // Channels must outlive every call and be released here, not on a gRPC
  // thread (see CallTracker).
  if (!nodes_.empty()) nodes_.front()->tracker->CancelAllAndWait();
}

std::vector<NodeTarget> FleetClient::nodes() const {
  std::vector<NodeTarget> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n->target());
  return out;
}

std::optional<size_t> FleetClient::FindNode(uint32_t node_id) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (node_id != 0 && nodes_[i]->id.load(std::memory_order_relaxed) == node_id) return i;
  }
  return std::nullopt;
}

template <class T>
void FleetClient::FanOut(
    std::function<void(const std::shared_ptr<Node>&, std::function<void(absl::Status, T)>)> start,
    AllCallback<T> done) {
  // Shared by the per-node reports; the last one to arrive calls `done`.
  struct Gather {
    obp::Mutex mu;
    std::vector<NodeResult<T>> results ABSL_GUARDED_BY(mu);
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    AllCallback<T> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->done = std::move(done);
  {
    obp::MutexLock lock(&gather->mu);
    gather->results.resize(nodes_.size());
    gather->pending = nodes_.size();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    std::shared_ptr<Node> node = nodes_[i];
    start(node, [gather, node, i](absl::Status status, T response) {
      bool last = false;
      {
        obp::MutexLock lock(&gather->mu);
        auto& r = gather->results[i];
        r.node = node->target();
        r.status = std::move(status);
        r.response = std::move(response);
        last = --gather->pending == 0;
      }
      if (!last) return;
      std::vector<NodeResult<T>> results;
      {
        obp::MutexLock lock(&gather->mu);
        results = std::move(gather->results);
      }
      gather->done(std::move(results));
    });
  }
}

template <class Req, class Resp>
void FleetClient::PagedAll(const Req& request, const PagedRpc<Req, Resp>& rpc,
                           AllCallback<Resp> done) {
  const absl::Time deadline = absl::Now() + options_->timeout;
  auto options = options_;
  const PagedRpc<Req, Resp> paged = rpc;
  FanOut<Resp>(
      [request, deadline, options, paged](const std::shared_ptr<Node>& node, auto report) {
        auto pager = std::make_shared<Pager<Req, Resp>>();
        pager->rpc = paged;
        pager->node = node;
        pager->options = options;
        pager->request = request;
        pager->deadline = deadline;
        pager->report = std::move(report);
        pager->Next();
      },
      std::move(done));
}

void FleetClient::ListSessionsAll(const pb::ListSessionsRequest& request,
                                  AllCallback<pb::ListSessionsResponse> done) {
  PagedAll<pb::ListSessionsRequest, pb::ListSessionsResponse>(request, kListSessions,
                                                              std::move(done));
}

void FleetClient::ListEndedSessionsAll(const pb::ListEndedSessionsRequest& request,
                                       AllCallback<pb::ListEndedSessionsResponse> done) {
  PagedAll<pb::ListEndedSessionsRequest, pb::ListEndedSessionsResponse>(request, kListEnded,
                                                                        std::move(done));
}

void FleetClient::GetNodeInfoAll(AllCallback<pb::GetNodeInfoResponse> done) {
  const absl::Time deadline = absl::Now() + options_->timeout;
  auto options = options_;
  FanOut<pb::GetNodeInfoResponse>(
      [deadline, options](const std::shared_ptr<Node>& node, auto report) {
        StartUnary<pb::GetNodeInfoRequest, pb::GetNodeInfoResponse>(
            SetupFor(node, *options, deadline), pb::GetNodeInfoRequest(),
            [](auto* a, auto* c, auto* req, auto* resp, auto f) {
              a->GetNodeInfo(c, req, resp, std::move(f));
            },
            [node, report](absl::Status status, pb::GetNodeInfoResponse resp) {
              const uint32_t configured = node->id.load(std::memory_order_relaxed);
              if (status.ok() && configured != 0 && resp.node_id() != configured) {
                status = absl::FailedPreconditionError(
                    absl::StrCat("node at ", node->address, " says it is node ", resp.node_id(),
                                 ", expected node ", configured));
              }
              if (status.ok()) node->Learn(resp.node_id());
              report(std::move(status), std::move(resp));
            });
      },
      std::move(done));
}

void FleetClient::GetAttributesAll(const pb::GetAttributesRequest& request,
                                   AllCallback<pb::GetAttributesResponse> done) {
  const absl::Time deadline = absl::Now() + options_->timeout;
  auto options = options_;
  FanOut<pb::GetAttributesResponse>(
      [request, deadline, options](const std::shared_ptr<Node>& node, auto report) {
        StartUnary<pb::GetAttributesRequest, pb::GetAttributesResponse>(
            SetupFor(node, *options, deadline), request,
            [](auto* a, auto* c, auto* req, auto* resp, auto f) {
              a->GetAttributes(c, req, resp, std::move(f));
            },
            [node, report](absl::Status status, pb::GetAttributesResponse resp) {
              if (status.ok()) node->Learn(resp.node_id());
              report(std::move(status), std::move(resp));
            });
      },
      std::move(done));
}

void FleetClient::GetAttributes(size_t node_index, const pb::GetAttributesRequest& request,
                                OneCallback<pb::GetAttributesResponse> done) {
  auto node = nodes_.at(node_index);
  StartUnary<pb::GetAttributesRequest, pb::GetAttributesResponse>(
      SetupFor(node, *options_, absl::Now() + options_->timeout), request,
      [](auto* a, auto* c, auto* req, auto* resp, auto f) {
        a->GetAttributes(c, req, resp, std::move(f));
      },
      [done = std::move(done)](absl::Status status, pb::GetAttributesResponse resp) {
        if (!status.ok()) return done(std::move(status));
        done(std::move(resp));
      });
}

void FleetClient::KillSession(size_t node_index, const pb::KillSessionRequest& request,
                              OneCallback<pb::KillSessionResponse> done) {
  auto node = nodes_.at(node_index);
  StartUnary<pb::KillSessionRequest, pb::KillSessionResponse>(
      SetupFor(node, *options_, absl::Now() + options_->timeout), request,
      [](auto* a, auto* c, auto* req, auto* resp, auto f) {
        a->KillSession(c, req, resp, std::move(f));
      },
      [done = std::move(done)](absl::Status status, pb::KillSessionResponse resp) {
        if (!status.ok()) return done(std::move(status));
        done(std::move(resp));
      });
}

void FleetClient::GetNodeInfo(size_t node_index, OneCallback<pb::GetNodeInfoResponse> done) {
  auto node = nodes_.at(node_index);
  StartUnary<pb::GetNodeInfoRequest, pb::GetNodeInfoResponse>(
      SetupFor(node, *options_, absl::Now() + options_->timeout), pb::GetNodeInfoRequest(),
      [](auto* a, auto* c, auto* req, auto* resp, auto f) {
        a->GetNodeInfo(c, req, resp, std::move(f));
      },
      [node, done = std::move(done)](absl::Status status, pb::GetNodeInfoResponse resp) {
        if (!status.ok()) return done(std::move(status));
        node->Learn(resp.node_id());
        done(std::move(resp));
      });
}

void FleetClient::Drain(size_t node_index, const pb::DrainRequest& request, absl::Time deadline,
                        OneCallback<pb::DrainResponse> done) {
  auto node = nodes_.at(node_index);
  StartUnary<pb::DrainRequest, pb::DrainResponse>(
      SetupFor(node, *options_, deadline), request,
      [](auto* a, auto* c, auto* req, auto* resp, auto f) { a->Drain(c, req, resp, std::move(f)); },
      [done = std::move(done)](absl::Status status, pb::DrainResponse resp) {
        if (!status.ok()) return done(std::move(status));
        done(std::move(resp));
      });
}

// --- blocking forms: start the async call and wait for its one callback ---

namespace {

template <class R, class Start>
R Wait(Start start) {
  std::latch done(1);
  std::optional<R> out;
  start([&](R r) {
    out.emplace(std::move(r));
    done.count_down();
  });
  done.wait();
  return *std::move(out);
}

}  // namespace

std::vector<NodeResult<pb::ListSessionsResponse>> FleetClient::ListSessionsAllSync(
    const pb::ListSessionsRequest& request) {
  return Wait<std::vector<NodeResult<pb::ListSessionsResponse>>>(
      [&](auto cb) { ListSessionsAll(request, std::move(cb)); });
}

std::vector<NodeResult<pb::ListEndedSessionsResponse>> FleetClient::ListEndedSessionsAllSync(
    const pb::ListEndedSessionsRequest& request) {
  return Wait<std::vector<NodeResult<pb::ListEndedSessionsResponse>>>(
      [&](auto cb) { ListEndedSessionsAll(request, std::move(cb)); });
}

std::vector<NodeResult<pb::GetNodeInfoResponse>> FleetClient::GetNodeInfoAllSync() {
  return Wait<std::vector<NodeResult<pb::GetNodeInfoResponse>>>(
      [&](auto cb) { GetNodeInfoAll(std::move(cb)); });
}

ResolveResult FleetClient::ResolveConnectionIdSync(uint64_t connection_id,
                                                   const std::string& backend) {
  return Wait<ResolveResult>(
      [&](auto cb) { ResolveConnectionId(connection_id, backend, std::move(cb)); });
}

absl::StatusOr<pb::GetAttributesResponse> FleetClient::GetAttributesSync(
    size_t node_index, const pb::GetAttributesRequest& request) {
  return Wait<absl::StatusOr<pb::GetAttributesResponse>>(
      [&](auto cb) { GetAttributes(node_index, request, std::move(cb)); });
}

absl::StatusOr<pb::KillSessionResponse> FleetClient::KillSessionSync(
    size_t node_index, const pb::KillSessionRequest& request) {
  return Wait<absl::StatusOr<pb::KillSessionResponse>>(
      [&](auto cb) { KillSession(node_index, request, std::move(cb)); });
}

absl::StatusOr<pb::DrainResponse> FleetClient::DrainSync(size_t node_index,
                                                        const pb::DrainRequest& request,
                                                        absl::Time deadline) {
  return Wait<absl::StatusOr<pb::DrainResponse>>(
      [&](auto cb) { Drain(node_index, request, deadline, std::move(cb)); });
}

}  // namespace obp::fleet
