#pragma once
// Vendi score (Friedman & Dieng, TMLR 2023, "The Vendi Score: A Diversity Evaluation Metric for
// Machine Learning"): the exponential of the (order-q) entropy of the eigenvalues of K / n, K a
// PSD similarity matrix with unit diagonal (METRICS.md §11):
//   VS_1 = exp(-sum_i l_i log l_i) over l_i > 0;  VS_q = exp(log(sum_i l_i^q) / (1 - q));
//   VS_inf = 1 / max_i l_i.  Range [1, n]: K = I gives n, identical samples give 1.
// vendi_score uses the reference's score_X kernel: cosine similarity (linear kernel on
// L2-normalised rows when normalize; raw rows otherwise). Unlike the reference's score_X, which
// ignores q (always 1), q is honoured. Form: the nonzero eigenvalues of X X^T / n (primal, n x n)
// equal those of X^T X / n (dual, D x D, vertaix's score_dual): the dual form is used when
// N > D, the primal otherwise; `form` says which. Eigenvalues by LAPACK dsyevd in float64.
// Eigenvalues at or below n * DBL_EPSILON * max (numpy's matrix_rank tolerance, n the order of
// the matrix) are dropped: the reference drops only those <= 0, which lets round-off of exact
// zeros count for q < 1 (each adds about 3e-9 at q = 0.5) and makes the forms disagree; the
// difference to the reference is round-off for q >= 1. q = inf takes the largest eigenvalue.
// Errors: DataError for q < 0 or NaN, a kernel of the wrong size; NumericalError for an empty
// set, a non-finite value, a zero row with normalize.

#include <cstdint>
#include <string>
#include <vector>

#include "gensweep/core/matrix_view.h"

namespace gensweep::metrics {

struct VendiOptions {
  double q = 1;  // may be +inf
  bool normalize = true;
  // Force the form ("auto": dual when N > D). Mainly for the dual == primal tests.
  enum class Form { kAuto, kDual, kPrimal } form = Form::kAuto;
};

struct VendiResult {
  double value = 0;
  std::string form;  // "dual" (D x D) or "primal" (N x N)
};

VendiResult vendi_score(FeatureView x,
                        const VendiOptions& options);  // cosine (linear on L2-normalised rows)

// The score of an explicit n x n similarity matrix K (row-major, symmetric PSD, unit diagonal
// expected; not rescaled): the reference's score_K(K, q) (tests / T12).
double vendi_score_from_kernel(const std::vector<double>& K, std::int64_t n, double q);

}  // namespace gensweep::metrics
