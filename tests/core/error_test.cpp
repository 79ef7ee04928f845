#include "gensweep/core/error.h"

#include <gtest/gtest.h>

#include <set>

#include "test_util.h"

namespace gensweep {
namespace {

TEST(Error, CheckThrowsTypedErrorWithMessage) {
  int batch = -1;
  EXPECT_THROW_WITH(
      GENSWEEP_CHECK(batch > 0, ConfigError, "batch_size must be positive, got {}", batch),
      ConfigError, "batch_size must be positive, got -1");
  try {
    GENSWEEP_CHECK(false, StoreError, "x");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kStore);
  }
}

TEST(Error, AssertNamesExpressionAndLocation) {
  EXPECT_THROW_WITH(GENSWEEP_ASSERT(1 == 2, "rows {}", 3), InternalError,
                    "`1 == 2` failed: rows 3");
  EXPECT_THROW_WITH(GENSWEEP_ASSERT(false, "x"), InternalError, "error_test.cpp:");
}

TEST(Error, ExitCodesAreDistinct) {
  std::set<int> codes;
  for (auto kind : {ErrorKind::kUsage, ErrorKind::kConfig, ErrorKind::kIo, ErrorKind::kStore,
                    ErrorKind::kComm, ErrorKind::kNumerical, ErrorKind::kData, ErrorKind::kBackbone,
                    ErrorKind::kScheduler, ErrorKind::kInterrupted, ErrorKind::kInternal}) {
    int code = exit_code_for(kind);
    EXPECT_NE(code, 0);
    EXPECT_NE(code,
              1);  // 1 is reserved for "finished, but thresholds (e.g. failed images) exceeded"
    EXPECT_TRUE(codes.insert(code).second) << error_kind_name(kind);
  }
}

}  // namespace
}  // namespace gensweep
