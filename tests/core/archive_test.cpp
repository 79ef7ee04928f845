#include "gensweep/core/archive.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "gensweep/core/error.h"

namespace gensweep {
namespace {

TEST(Archive, RoundTripsValuesInOrderWithExactBits) {
  const double nan_payload = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123});
  ByteWriter w;
  w.put(std::int64_t{-7});
  w.put(-0.0);
  w.put(nan_payload);
  w.put_string("rank ü");
  w.put_vector(std::vector<float>{1.5f, std::numeric_limits<float>::infinity()});
  w.put_vector(std::vector<std::int32_t>{});
  w.put_string("");
  const auto bytes = w.take();

  ByteReader r(bytes, "test payload");
  EXPECT_EQ(r.get<std::int64_t>(), -7);
  const double zero = r.get<double>();
  EXPECT_EQ(zero, 0.0);
  EXPECT_TRUE(std::signbit(zero));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(r.get<double>()), 0x7ff8000000000123u);
  EXPECT_EQ(r.get_string(), "rank ü");
  const auto floats = r.get_vector<float>();
  ASSERT_EQ(floats.size(), 2u);
  EXPECT_EQ(floats[0], 1.5f);
  EXPECT_TRUE(std::isinf(floats[1]));
  EXPECT_TRUE(r.get_vector<std::int32_t>().empty());
  EXPECT_EQ(r.get_string(), "");
  EXPECT_TRUE(r.at_end());
  EXPECT_NO_THROW(r.expect_end());
}

TEST(Archive, TruncatedPayloadIsAnInternalErrorNamingIt) {
  ByteWriter w;
  w.put_vector(std::vector<double>{1, 2, 3});
  auto bytes = w.take();
  bytes.resize(bytes.size() - 1);
  ByteReader r(bytes, "group result");
  try {
    r.get_vector<double>();
    FAIL() << "no error";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("group result"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("length 3"), std::string::npos) << e.what();
  }
  ByteReader scalar(std::span<const std::uint8_t>(bytes.data(), 4), "statistics block");
  EXPECT_THROW(scalar.get<std::int64_t>(), InternalError);
}

TEST(Archive, NegativeOrHugeLengthIsRefusedBeforeAllocating) {
  ByteWriter w;
  w.put(std::int64_t{-1});
  ByteReader negative(w.bytes(), "x");
  EXPECT_THROW(negative.get_string(), InternalError);
  ByteWriter h;
  h.put(std::int64_t{1} << 60);
  ByteReader huge(h.bytes(), "x");
  EXPECT_THROW(huge.get_vector<double>(), InternalError);
}

TEST(Archive, LeftoverBytesAreReported) {
  ByteWriter w;
  w.put(std::int32_t{1});
  w.put(std::int32_t{2});
  ByteReader r(w.bytes(), "unit result");
  r.get<std::int32_t>();
  EXPECT_FALSE(r.at_end());
  EXPECT_THROW(r.expect_end(), InternalError);
}

}  // namespace
}  // namespace gensweep
