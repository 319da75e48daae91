#include "proxyd/reload.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proxyd/config/reload_diff.h"

namespace obp {
namespace {

size_t PeerCount(const PreparedConfig& p) { return p.peers ? p.peers->peer_count() : 0; }

// "tokens 2->3", "tokens off->1", "tokens reloaded (2)": the file is re-read even
// when its path did not change, so its content may have.
std::string TokensChange(bool had, size_t before, const PreparedConfig& next) {
  if (!had && !next.tokens) return "";
  auto text = [](bool on, size_t n) { return on ? absl::StrCat(n) : std::string("off"); };
  const size_t after = next.tokens ? next.tokens->size() : 0;
  if (had != static_cast<bool>(next.tokens) || before != after) {
    return absl::StrCat("tokens ", text(had, before), "->", text(next.tokens != nullptr, after));
  }
  return absl::StrCat("tokens reloaded (", after, ")");
}

}  // namespace

absl::StatusOr<PreparedConfig> PrepareConfig(config::ProxyConfig config, uint64_t generation) {
  PreparedConfig p;
  // The peers and tokens first: they read the config, which the runtime takes.
  auto peers = control::PeerForwarder::Create(config);
  if (!peers.ok()) return peers.status();
  p.peers = *std::move(peers);
  auto tokens = rpc::LoadConfiguredTokens(config);
  if (!tokens.ok()) return tokens.status();
  p.tokens = *std::move(tokens);
  auto runtime = session::BuildRuntimeConfig(std::move(config), generation);
  if (!runtime.ok()) return runtime.status();
  p.runtime = *std::move(runtime);
  return p;
}

absl::Status CheckConfigFile(const std::string& path, const config::Overrides& overrides) {
  auto c = config::LoadConfig(path, overrides);
  if (!c.ok()) return c.status();
  auto prepared = PrepareConfig(*std::move(c), 0);
  return prepared.ok() ? absl::OkStatus() : prepared.status();
}

Reloader::Reloader(std::string path, config::Overrides overrides, Targets targets,
                   const PreparedConfig& running)
    : path_(std::move(path)),
      overrides_(std::move(overrides)),
      targets_(targets),
      peer_count_(PeerCount(running)),
      token_count_(running.tokens ? running.tokens->size() : 0),
      has_tokens_(running.tokens != nullptr) {}

ReloadResult Reloader::Reload() {
  const std::shared_ptr<const session::RuntimeConfig> running = targets_.ctx->Current();
  auto fail = [](const absl::Status& why) {
    ReloadResult r{false, absl::StrCat("reload failed: ", why.message(),
                                       "; keeping the running configuration")};
    spdlog::error("{}", r.message);
    return r;
  };
  auto next = config::LoadConfig(path_, overrides_);
  if (!next.ok()) return fail(next.status());
  std::vector<std::string> kept = config::KeepRestartOnly(running->config, *next);
  std::vector<std::string> changes = config::DescribeChanges(running->config, *next);
  auto prepared = PrepareConfig(*std::move(next), running->generation + 1);
  if (!prepared.ok()) return fail(prepared.status());

  // Nothing can fail from here: publish every part.
  const config::ProxyConfig& c = prepared->runtime->config;
  targets_.kills->SetAuditLog(c.audit_log);
  targets_.kills->SetPeers(prepared->peers);
  targets_.rpc->SetTokens(prepared->tokens);
  targets_.ctx->runtime.Set(prepared->runtime);
  if (targets_.ctx->history) targets_.ctx->history->Resize(static_cast<size_t>(c.history_size));
  for (std::string& item : FileChanges(*prepared)) changes.push_back(std::move(item));

  ReloadResult r{true, absl::StrCat("reload ok: ", path_, ": ",
                                    changes.empty() ? "nothing changed"
                                                    : absl::StrJoin(changes, ", "))};
  if (kept.empty()) {
    spdlog::info("{}", r.message);
  } else {
    absl::StrAppend(&r.message, "; these keys take effect only at a restart and keep their "
                                "running value: ", absl::StrJoin(kept, ", "));
    spdlog::warn("{}", r.message);
  }
  // Last, so that the line above is written at the level it was asked at.
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  return r;
}

std::vector<std::string> Reloader::FileChanges(const PreparedConfig& next) {
  std::vector<std::string> out;
  const config::ProxyConfig& c = next.runtime->config;
  const size_t peers = PeerCount(next);
  if (peers != peer_count_) {
    out.push_back(absl::StrCat("peers ", peer_count_, "->", peers));
  } else if (!c.fleet_file.empty()) {
    out.push_back(absl::StrCat("fleet file reloaded (", peers, " peers)"));
  }
  if (std::string t = TokensChange(has_tokens_, token_count_, next); !t.empty()) {
    out.push_back(std::move(t));
  }
  if (c.sql_tls.enabled()) out.push_back("sql_tls certificate reloaded");
  peer_count_ = peers;
  has_tokens_ = next.tokens != nullptr;
  token_count_ = has_tokens_ ? next.tokens->size() : 0;
  return out;
}

}  // namespace obp
