#pragma once
// What one rank computed for one work unit, and its wire format for the gather to rank 0.

#include <cstdint>
#include <span>
#include <vector>

#include "gensweep/store/feature_store.h"

namespace gensweep::pipeline {

struct UnitResult {
  std::int64_t unit = -1;  // -1: this rank had no unit in this round
  std::int64_t row_begin = 0;
  std::int64_t rows = 0;
  std::vector<std::uint8_t> valid;           // [rows]
  std::vector<store::Failure> failures;      // absolute rows
  std::vector<std::int32_t> backbones;       // indices into the task's backbones
  std::vector<std::vector<float>> features;  // per listed backbone: [rows x dim]
};

std::vector<std::uint8_t> encode_unit_result(const UnitResult& result);
UnitResult decode_unit_result(std::span<const std::uint8_t> bytes);

}  // namespace gensweep::pipeline
