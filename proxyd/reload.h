// Configuration reload (SPEC §8 "Reload", SIGHUP) and the checks it shares with
// the start and with `proxyd --check-config`.
//
// A configuration is prepared whole before anything uses it: the file parsed
// and checked (with the command line's flags applied over it, as at start), the
// TLS files read into contexts, the tokens file and the fleet file loaded. Any
// failure leaves the running node exactly as it was, and the message is the one a
// start with that file would print ("FILE:LINE:COL: key: what"). Only then is each
// part published: the data plane's generation (new sessions take it; running
// sessions keep theirs), the gRPC tokens, the kill path's peers and audit log, and
// the log level. Keys that cannot change while running (config/reload_diff.h)
// keep their running values and are named in the log.
//
// Thread rule: PrepareConfig is pure apart from reading files (any thread).
// Reloader::Reload runs on the node's main thread (the one handling signals),
// never on an io thread; the objects it updates are safe to update from there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proxyd/config/config.h"
#include "proxyd/control/kill_service.h"
#include "proxyd/control/peer_forwarder.h"
#include "proxyd/rpc/rpc_server.h"
#include "proxyd/rpc/tokens.h"
#include "proxyd/session/proxy_context.h"
#include "proxyd/session/runtime_config.h"

namespace obp {

// A configuration fully checked, and what the node builds from it.
struct PreparedConfig {
  std::shared_ptr<const session::RuntimeConfig> runtime;
  std::shared_ptr<const rpc::TokenTable> tokens;  // null: no tokens_file
  std::shared_ptr<control::PeerForwarder> peers;  // null: no fleet file, or no peers in it
};

// Builds everything `config` names (TLS contexts, tokens, peers). The one check
// path of the start, of --check-config and of a reload.
absl::StatusOr<PreparedConfig> PrepareConfig(config::ProxyConfig config, uint64_t generation);

// `proxyd --check-config FILE`: what a start with this file and these flags would
// accept. OK, or the error a start would print.
absl::Status CheckConfigFile(const std::string& path, const config::Overrides& overrides);

struct ReloadResult {
  bool ok = false;
  std::string message;  // the line logged: "reload ok: ..." / "reload failed: ..."
};

class Reloader {
 public:
  // What a reload updates. REQUIRES: every pointer outlives the Reloader.
  struct Targets {
    session::ProxyContext* ctx = nullptr;
    control::KillService* kills = nullptr;
    rpc::RpcServer* rpc = nullptr;
  };
  // `path` and `overrides`: the --config file and the flags of the command line,
  // applied again at every reload (flags still win). `running`: what the node
  // started with.
  Reloader(std::string path, config::Overrides overrides, Targets targets,
           const PreparedConfig& running);

  // Re-reads the configuration and applies it, or changes nothing. Logs one line
  // with the result and what changed, and returns it (the metrics' reload counter
  // is fed from the caller's use of this result).
  ReloadResult Reload();

 private:
  // What the files a configuration names brought ("peers 1->2", "tokens 2->3",
  // "sql_tls certificate reloaded"): they are re-read even when their paths did not
  // change. Remembers the new counts.
  std::vector<std::string> FileChanges(const PreparedConfig& next);

  const std::string path_;
  const config::Overrides overrides_;
  const Targets targets_;
  size_t peer_count_;
  size_t token_count_;
  bool has_tokens_;
};

}  // namespace obp
