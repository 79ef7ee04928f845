// Runs serially (the serial twin) and under mpiexec at 1, 2 and 4 ranks.
#include "gensweep/dist/comm.h"

#include <gtest/gtest.h>

#include "gensweep/core/error.h"
#include "gensweep/dist/phase.h"
#include "test_util.h"

namespace gensweep::dist {
namespace {

Environment* g_env = nullptr;

TEST(Comm, BroadcastFromRoot) {
  Comm& comm = g_env->world();
  std::string text = comm.is_root() ? "job text from rank 0" : "";
  comm.broadcast(text);
  EXPECT_EQ(text, "job text from rank 0");
  std::vector<double> values =
      comm.is_root() ? std::vector<double>{1.5, -2.25, 1e300} : std::vector<double>{};
  comm.broadcast(values);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[2], 1e300);
}

TEST(Comm, GatherVariableSizes) {
  Comm& comm = g_env->world();
  // Rank r sends r bytes of value r (rank 0 sends nothing: an empty contribution).
  std::vector<std::uint8_t> mine(comm.rank(), static_cast<std::uint8_t>(comm.rank()));
  auto all = comm.gather(mine);
  if (comm.is_root()) {
    ASSERT_EQ(static_cast<int>(all.size()), comm.size());
    for (int r = 0; r < comm.size(); ++r) {
      EXPECT_EQ(all[r], std::vector<std::uint8_t>(r, static_cast<std::uint8_t>(r)));
    }
  } else {
    EXPECT_TRUE(all.empty());
  }
}

TEST(Comm, SumAndMax) {
  Comm& comm = g_env->world();
  int n = comm.size();
  EXPECT_EQ(comm.sum(comm.rank() + 1), static_cast<std::int64_t>(n * (n + 1) / 2));
  EXPECT_EQ(comm.max(static_cast<double>(comm.rank())), n - 1.0);
}

TEST(Comm, AgreeWithoutErrorsPasses) {
  EXPECT_NO_THROW(g_env->world().agree(std::nullopt));
}

TEST(Comm, AnErrorOnOneRankReachesEveryRank) {
  Comm& comm = g_env->world();
  int failing = comm.size() - 1;
  std::optional<std::string> mine;
  if (comm.rank() == failing) mine = "image 7 is broken";
  EXPECT_THROW_WITH(comm.agree(mine), CommError,
                    comm.size() == 1 ? std::string("image 7 is broken")
                                     : fmt::format("rank {}: image 7 is broken", failing));
}

TEST(Phase, SucceedsOnEveryRankWhenNoRankFails) {
  int ran = 0;
  EXPECT_NO_THROW(run_phase(
      g_env->world(), [&] { ++ran; }, "statistics: "));
  EXPECT_EQ(ran, 1);
}

TEST(Phase, AFailureReachesEveryRankWithItsKindAndContext) {
  Comm& comm = g_env->world();
  const int failing = comm.size() - 1;
  auto work = [&] {
    if (comm.rank() == failing) throw StoreError("store x.h5 is damaged");
  };
  try {
    run_phase(comm, work, "reduce: ");
    FAIL() << "no error on rank " << comm.rank();
  } catch (const Error& e) {
    // The kind travels (exit code 5 on every rank), the context is put before the message.
    EXPECT_EQ(e.kind(), ErrorKind::kStore);
    const std::string expected =
        comm.size() == 1 ? std::string("reduce: store x.h5 is damaged")
                         : fmt::format("rank {}: reduce: store x.h5 is damaged", failing);
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

TEST(Phase, WithoutContextALoneRankKeepsTheOriginalType) {
  Comm serial;
  EXPECT_THROW(run_phase(serial, [] { throw DataError("k = 3 needs 4 rows"); }), DataError);
  // The lowest failing rank decides the kind when several fail with different kinds.
  Comm& comm = g_env->world();
  try {
    run_phase(comm, [&] {
      if (comm.rank() == 0) throw DataError("rank zero");
      throw IoError("another rank");
    });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
  }
}

TEST(Share, RoundRobinCoversEveryItemOnce) {
  for (int size : {1, 2, 3, 4, 7}) {
    std::vector<int> owner(10, -1);
    for (int r = 0; r < size; ++r) {
      for (auto i : round_robin_share(10, r, size)) {
        EXPECT_EQ(owner[i], -1);
        owner[i] = r;
      }
    }
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(owner[i], i % size);
  }
  EXPECT_TRUE(round_robin_share(2, 3, 4).empty());  // a rank with no work
}

}  // namespace
}  // namespace gensweep::dist

int main(int argc, char** argv) {
  gensweep::dist::Environment env(&argc, &argv);
  gensweep::dist::g_env = &env;
  ::testing::InitGoogleTest(&argc, argv);
  // Only rank 0 prints the gtest report; failures on other ranks still reach stderr through the
  // combined exit code below.
  if (env.world().rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  std::int64_t total_failed = env.world().sum(failed);
  if (total_failed != 0 && env.world().is_root() && failed == 0) {
    fmt::print(stderr, "a test failed on another rank\n");
  }
  return total_failed != 0 ? 1 : 0;
}
