#pragma once
// Pieces of compute_stats that the Fréchet feature route reuses, with the caller's name in the
// error messages ("frechet_distance: set 2: ...") rather than compute_stats'.

#include <Eigen/Core>

#include <cstdint>
#include <string_view>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "gensweep/metrics/statistics.h"

namespace gensweep::metrics::detail {

// Rows per block: the centred block [rows x D] in float64 is about 4 MiB, large enough for dsyrk
// to run at full speed, small enough to stay in cache-friendly territory.
std::int64_t block_rows_for(std::int64_t dim);

// Mean [D] of the rows [N x D] with valid[i] != 0 (valid: [N] or nullptr), in float64; count
// receives the number of rows used. Throws NumericalError "<what>: non-finite feature ..." naming
// the first offending row and column.
Eigen::VectorXd feature_mean(FeatureView rows, const std::uint8_t* valid, std::int64_t& count,
                             std::string_view what);

GaussianStats compute_stats(FeatureView rows, const std::uint8_t* valid, std::string_view what);

// The mean and the population std (ddof 0) of `values`, summed in order: the spread of the
// Inception Score over its splits and of KID over its subsets (torch-fidelity's convention).
struct MeanStd {
  double mean = 0, std = 0;
};
MeanStd mean_and_population_std(const std::vector<double>& values);

}  // namespace gensweep::metrics::detail
