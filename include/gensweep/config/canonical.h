#pragma once
// The resolved job as deterministic text, and its hash. The text is itself a valid job file
// (presets applied, every default written out, paths absolute); `gensweep validate` prints it, and
// its sha256 goes into every store and result as the job's identity.

#include <string>

#include "gensweep/config/job.h"

namespace gensweep::config {

std::string canonical_form(const Job& job);
// Lowercase hex sha256 of canonical_form(job).
std::string config_hash(const Job& job);

}  // namespace gensweep::config
