#pragma once
// The extract stage: source -> decode -> preprocess -> backbone -> store, for every extraction task
// of a plan.
//
// Distribution and determinism:
// - A dataset is cut into fixed-size work units (compute.unit_size images). Pending units are dealt
//   round-robin to ranks; batches are formed inside a unit, so a unit's features do not depend on
//   which rank computed it or how many ranks there are.
// - Rank 0 is the only writer: after each round every rank's finished unit is gathered and written
//   (data, then the done flag, then a flush). A crash loses at most the units in flight.
// - Statistics are computed after extraction from the stored features in fixed blocks of units,
//   dealt round-robin and merged on rank 0 in block order (Chan et al.), so they are bitwise the
//   same for any number of ranks.
// - One decode feeds every backbone of the task.

#include <filesystem>
#include <string>
#include <vector>

#include "gensweep/dist/comm.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/pipeline/store_catalogue.h"

namespace gensweep::pipeline {

struct RunOptions {
  bool rebuild = false;        // recreate stores whose provenance differs, instead of refusing
  bool quiet = false;          // no progress lines
  bool verify_inputs = false;  // hash every image file again (input_digests.h)
};

struct StoreOutcome {
  enum class Status { kCreated, kResumed, kReused };
  std::string dataset;
  std::string backbone;
  std::filesystem::path path;
  Status status = Status::kCreated;
  std::int64_t units_computed = 0;
  std::int64_t images = 0;
  std::int64_t valid = 0;
  std::int64_t failed = 0;
  std::string fingerprint;
};

const char* status_name(StoreOutcome::Status status);

// Runs every extraction task of the plan whose stores the catalogue (resolve_stores) does not
// hold complete. Stale stores are refused (StoreError naming each store and attribute) unless
// options.rebuild. Collective: every rank calls it. Leaves the catalogue refreshed (the stores as
// they are now). Outcomes are complete on rank 0 (other ranks get the same list).
std::vector<StoreOutcome> run_extraction(const Plan& plan, const dist::Comm& comm,
                                         const RunOptions& options, StoreCatalogue& catalogue);

// The number of units in a statistics block (a constant: statistics are bitwise a function of it).
inline constexpr std::int64_t kStatisticsBlockUnits = 64;

}  // namespace gensweep::pipeline
