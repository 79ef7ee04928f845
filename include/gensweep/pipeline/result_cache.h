#pragma once
// Row cache of the reduce stage: the result of every reduction item (one metric group of one
// comparison in one backbone) in one JSON file under <output>/cache/rows/, keyed by a sha256 of
// everything its numbers depend on, so that a job that gains a dataset recomputes only the new
// rows of its tables (docs/METRICS.md, "Caching").
//
// Key material (canonical JSON; make_item_key):
//   group, the requested members (sorted), every member's resolved parameters (defaults included)
//   and which of them the job set (KID's subset_size rule depends on it), the identity of the
//   reference and of the evaluated features (reference_cache.h: set_identity), the tool version
//   and git commit (another build may compute differently: correctness over reuse).
//
// Entry file <evaluated>__vs__<reference>__<backbone>__<group>__<h>.json, h = 8 hex digits of the
// members and parameters (variants of one comparison keep separate files):
//   {"format": "gensweep-row-cache", "format_version": 1, "key": <sha256>, "material": {...},
//    "computed_utc": ..., "values": {metric: {"value": <number|null>, "bits": <16 hex digits of
//    the double>, "diagnostics": {...}, "non_finite": {<pointer>: "nan"|"inf"|"-inf"}}},
//    "per_sample": {"reals": {name: length}, "integers": {name: length}}}
// Values are restored from "bits" (exact); non-finite numbers inside diagnostics from
// "non_finite". The per-sample arrays are not copied: they stay in the comparison's per-sample
// file, which records each group's key in the attribute cache_key_<group>; an entry is reused
// only when that file holds the same key and every array with its length.
//
// Files are written atomically (temporary name, fsync, rename), one per item, so concurrent runs
// never corrupt each other. Deleting <output>/cache is always safe.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/store/provenance.h"

namespace gensweep::pipeline {

inline constexpr const char* kResultCacheFormat = "gensweep-row-cache";
inline constexpr int kResultCacheVersion = 1;

struct ItemKey {
  nlohmann::json material;  // what the key covers, kept in the entry to say what changed
  std::string hex;          // sha256 of material.dump()
};

// `parameters`: one per member of `metrics`.
ItemKey make_item_key(const std::string& group, const std::vector<std::string>& metrics,
                      const std::map<std::string, MetricParameters>& parameters,
                      const store::Attributes& reference, const store::Attributes& evaluated);

struct CachedItem {
  std::string key;
  nlohmann::json material;
  std::string computed_utc;
  std::map<std::string, MetricValue> values;  // as the group returned them
  // The per-sample arrays the group produced: name -> length (held in the per-sample file).
  std::map<std::string, std::int64_t> reals, integers;
};

std::string encode_cached_item(const CachedItem& item);
// Throws IoError saying what is wrong for anything but a well-formed entry of this version.
CachedItem decode_cached_item(std::string_view text);

// <output>/cache/rows
std::filesystem::path result_cache_dir(const Plan& plan);
std::filesystem::path result_cache_path(const Plan& plan, const ReductionTask& task,
                                        const std::string& group,
                                        const std::vector<std::string>& metrics,
                                        const std::map<std::string, MetricParameters>& parameters);

// The per-sample file attribute holding the key of `group`'s arrays.
std::string per_sample_key_attribute(const std::string& group);

// "precision/recall/...: ... differs" for the first part of `now` that differs from `cached`.
std::string describe_key_change(const nlohmann::json& cached, const nlohmann::json& now);

}  // namespace gensweep::pipeline
