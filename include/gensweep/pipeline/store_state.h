#pragma once
// What `gensweep submit` and `gensweep status` need to know about a job's stores without
// extracting anything: which exist, which are complete, how far the partial ones got. Cheap: it
// reads each store's layout and done-map, and lists image folders, but hashes no image (a login
// node must answer in seconds for 10^6 images). The extraction task itself verifies the dataset's
// content fingerprint before it writes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gensweep/pipeline/plan.h"

namespace gensweep::pipeline {

struct StoreState {
  enum class Kind {
    kMissing,   // no file yet
    kPartial,   // some units done (or none), resumable
    kComplete,  // every unit done and statistics written
    kStale,     // exists but cannot be resumed for this job (rows differ, unreadable): --rebuild
  };
  std::string dataset;
  std::string backbone;
  std::filesystem::path path;
  Kind kind = Kind::kMissing;
  std::int64_t units_done = 0;
  std::int64_t units = 0;
  std::string problem;  // kStale: why; kPartial: "being written by another process now" or ""
};

const char* state_name(StoreState::Kind kind);  // "missing", "partial", "complete", "stale"

// Every store the plan's extraction tasks produce, in plan order (dataset, then backbone).
std::vector<StoreState> inspect_stores(const Plan& plan);

}  // namespace gensweep::pipeline
