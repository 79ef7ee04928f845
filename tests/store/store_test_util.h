#pragma once
// Deterministic store contents for the store tests: every value is a function of (row, column), so
// a test (or a parent process after SIGKILLing a writer) can check any unit without remembering
// what was written.

#include "gensweep/store/feature_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace gensweep::store::testing {

inline float feature_value(std::int64_t row, std::int64_t col) {
  return static_cast<float>(row) * 0.5f + static_cast<float>(col) / 1024.0f - 3.0f;
}
inline float logit_value(std::int64_t row, std::int64_t col) {
  return -static_cast<float>(row) - static_cast<float>(col) * 0.125f;
}
inline bool row_is_valid(std::int64_t row) {
  return row % 7 != 3;
}
inline std::string failure_reason(std::int64_t row) {
  return "cannot decode 'imäge " + std::to_string(row) + ".png': ☃ premature end of data";
}
inline std::string id_for(std::int64_t row) {
  return "sub dir/ünïcødé " + std::to_string(row) + " 日本.png";
}

inline std::vector<std::string> make_ids(std::int64_t rows) {
  std::vector<std::string> ids;
  for (std::int64_t r = 0; r < rows; ++r)
    ids.push_back(id_for(r));
  return ids;
}

inline Attributes make_provenance() {
  return {{"backbone", "random-cnn"},
          {"backbone_identity", "ab12"},
          {"preprocessing", "resize=bilinear 64x64; range=[0,1]"},
          {"dataset_fingerprint", "sha256:0f0f"},
          {"tool_version", "0.1.0"},
          {"git_commit", "deadbeef"},
          {"config_hash", "9f00"},
          {"created_utc", "2026-11-22T20:00:00Z"}};
}

// Writes unit `unit` of `store` with the deterministic contents.
inline void write_test_unit(FeatureStore& store, std::int64_t unit) {
  const StoreLayout& layout = store.layout();
  const std::int64_t begin = store.unit_begin(unit);
  const std::int64_t n = store.unit_end(unit) - begin;
  FeatureMatrix features(n, layout.dim);
  FeatureMatrix logits(layout.logits_dim > 0 ? n : 0, layout.logits_dim);
  std::vector<std::uint8_t> valid(static_cast<std::size_t>(n));
  std::vector<Failure> failures;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t row = begin + i;
    for (std::int64_t c = 0; c < layout.dim; ++c)
      features.row(i)[c] = feature_value(row, c);
    for (std::int64_t c = 0; c < layout.logits_dim; ++c)
      logits.row(i)[c] = logit_value(row, c);
    valid[static_cast<std::size_t>(i)] = row_is_valid(row) ? 1 : 0;
    if (!row_is_valid(row)) failures.push_back({row, failure_reason(row)});
  }
  store.write_unit(unit, features.view(), valid, failures, logits.view());
}

// Checks that every unit marked done holds exactly the deterministic contents. Returns the number
// of done units.
inline std::int64_t expect_done_units_intact(const FeatureStore& store) {
  const StoreLayout& layout = store.layout();
  const auto progress = store.progress();
  const auto valid = store.read_valid();
  std::int64_t done = 0;
  for (std::int64_t unit = 0; unit < store.num_units(); ++unit) {
    if (!progress[static_cast<std::size_t>(unit)]) continue;
    ++done;
    const std::int64_t begin = store.unit_begin(unit);
    const std::int64_t n = store.unit_end(unit) - begin;
    std::vector<float> features(static_cast<std::size_t>(n * layout.dim));
    store.read_features(begin, n, features.data());
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t c = 0; c < layout.dim; ++c)
        wrong +=
            features[static_cast<std::size_t>(i * layout.dim + c)] != feature_value(begin + i, c);
      wrong += valid[static_cast<std::size_t>(begin + i)] != (row_is_valid(begin + i) ? 1 : 0);
    }
    if (layout.logits_dim > 0) {
      std::vector<float> logits(static_cast<std::size_t>(n * layout.logits_dim));
      store.read_logits(begin, n, logits.data());
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < layout.logits_dim; ++c)
          wrong += logits[static_cast<std::size_t>(i * layout.logits_dim + c)] !=
                   logit_value(begin + i, c);
    }
    EXPECT_EQ(wrong, 0) << "unit " << unit << " is marked done but holds other bytes";
  }
  std::int64_t expected_failures = 0;
  for (const Failure& f : store.read_failures()) {
    ++expected_failures;
    EXPECT_FALSE(row_is_valid(f.row)) << "row " << f.row;
    EXPECT_EQ(f.reason, failure_reason(f.row)) << "row " << f.row;
  }
  std::int64_t invalid_in_done = 0;
  for (std::int64_t r = 0; r < layout.rows; ++r)
    invalid_in_done += !row_is_valid(r) && progress[static_cast<std::size_t>(r / layout.unit_size)];
  EXPECT_EQ(expected_failures, invalid_in_done);
  return done;
}

// /usr/bin/python3 with h5py and numpy, for interoperability checks (tests skip without it).
inline bool have_python_h5py() {
  static const bool available =
      std::system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") == 0;
  return available;
}

// Runs a Python script; returns its exit status (0 = success).
inline int run_python(const std::filesystem::path& dir, const std::string& script) {
  const auto file = dir / "script.py";
  {
    std::FILE* out = std::fopen(file.c_str(), "w");
    std::fputs(script.c_str(), out);
    std::fclose(out);
  }
  return std::system(("/usr/bin/python3 '" + file.string() + "'").c_str());
}

}  // namespace gensweep::store::testing
