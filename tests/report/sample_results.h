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

// sample_results() with a both-ways comparison of clean and blur2 in clip (one table; the self rows
// with fd 0 by definition and kid not computed) and its rarest-image overlaps.
report::RunResults sample_results_with_both_ways();

}  // namespace gensweep::testing
