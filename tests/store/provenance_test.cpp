#include "gensweep/store/provenance.h"

#include "test_util.h"

namespace gensweep::store {
namespace {

TEST(DescribeMismatch, Placeholder) {
  EXPECT_FALSE(describe_mismatch({}, {}).has_value());
}

}  // namespace
}  // namespace gensweep::store
