#pragma once
// Hand-written RunResults shared by the report tests and by the program that writes the file the
// schema tests validate.

#include "gensweep/report/results.h"

namespace gensweep::testing {

// Three datasets (clean is the reference), two backbones, FD and KID entries with one missing
// cell, one numerical fallback and one non-finite value.
report::RunResults sample_results();

}  // namespace gensweep::testing
