// SessionRegistry: cs_id layout on registration, lookup, removal, and ids handed
// out concurrently never collide.
#include "proxyd/control/registry.h"

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/core/ids.h"

namespace obp::control {
namespace {

std::shared_ptr<session::SessionHandle> NewHandle(asio::io_context& io) {
  return std::make_shared<session::SessionHandle>(session::SessionFacts{}, io.get_executor(),
                                                  std::weak_ptr<session::SessionControl>());
}

TEST(RegistryTest, RegisterGivesANodeCsIdBeforePublishing) {
  asio::io_context io;
  SessionRegistry registry(5);
  auto h = NewHandle(io);
  ASSERT_TRUE(registry.Register(h).ok());
  EXPECT_TRUE(IsValidCsIdShape(h->cs_id()));
  EXPECT_EQ(NodeIdOfCsId(h->cs_id()), 5u);
  EXPECT_EQ(registry.Find(h->cs_id()), h);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.All().size(), 1u);
  registry.Unregister(h->cs_id());
  EXPECT_EQ(registry.Find(h->cs_id()), nullptr);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(RegistryTest, ConcurrentRegistrationsGetDistinctIds) {
  asio::io_context io;
  SessionRegistry registry(1);
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::vector<std::shared_ptr<session::SessionHandle>>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        made[t].push_back(NewHandle(io));
        ASSERT_TRUE(registry.Register(made[t].back()).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint32_t> ids;
  for (const auto& list : made) {
    for (const auto& h : list) ids.insert(h->cs_id());
  }
  EXPECT_EQ(ids.size(), size_t{kThreads * kEach});
  EXPECT_EQ(registry.size(), size_t{kThreads * kEach});
}

}  // namespace
}  // namespace obp::control
