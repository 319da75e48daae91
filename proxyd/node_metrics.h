// The node's side of the metrics (SPEC §8): what the scrape reads from the live
// sessions, the pools and the backend health table. Lives in the node because it
// names layers (session, control) that proxyd/metrics may not.
//
// Thread rule: the returned source is called on the metrics endpoint's threads; it
// takes only the registry's shard locks, the handles' own locks, the pools' counting
// locks and the health table's lock, each briefly.
#pragma once

#include "proxyd/control/registry.h"
#include "proxyd/metrics/metrics.h"
#include "proxyd/session/proxy_context.h"

namespace obp {

// REQUIRES: *ctx and *registry outlive every call of the returned source.
metrics::SnapshotSource MakeSnapshotSource(const session::ProxyContext* ctx,
                                           const control::SessionRegistry* registry);

}  // namespace obp
