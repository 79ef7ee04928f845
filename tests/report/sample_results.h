#pragma once
// Hand-written RunResults shared by the report tests and by the program that writes the file the
// schema tests validate.

#include "gensweep/report/results.h"

namespace gensweep::testing {

// Three datasets (clean is the reference), two backbones, FD and KID entries with one missing
// cell, one numerical fallback and one non-finite value.
report::RunResults sample_results();

// sample_results() with one corruptions study ("sweep": 3 corruptions at severities 1 and 2 of
// "blur2" against "clean", backbones clip and inception, fd): a missing cell (NaN value), an
// undefined tau (NaN) and a normalising cell.
report::RunResults sample_results_with_study();

}  // namespace gensweep::testing
