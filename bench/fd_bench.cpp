// Fréchet distance from statistics at D = 2048: gensweep's symmetric-eigen route, timed (median
// of several runs) and checked against a closed form, on two pairs of SPD covariances:
//
// - "commuting": Sigma1 = Q diag(a) Q^T, Sigma2 = Q diag(b) Q^T with a random orthogonal Q and
//   spectra spread over five decades; FD = |mu1 - mu2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
// - "noncommuting": Sigma1 = the covariance of 2D random ReLU features (rank-256 signal plus
//   noise, like singular_d2048 but with N > D), Sigma2 = T Sigma1 T with a random SPD T that does
//   not commute with Sigma1. Then Sigma1^1/2 Sigma2 Sigma1^1/2 = (Sigma1^1/2 T Sigma1^1/2)^2,
//   whose square root has trace tr(T Sigma1), so FD = |mu1 - mu2|^2 + tr Sigma1 + tr Sigma2
//   - 2 tr(T Sigma1) (T is the optimal transport map between the two Gaussians).
//
// With --out DIR it writes each case's matrices (raw little-endian float64: Sigma1 and Sigma2
// D x D, then mu1 and mu2) and a summary JSON for bench/fd_scipy_baseline.py, which times
// pytorch-fid's algorithm on exactly the same numbers. bench/run_fd_bench.sh runs both.

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "gensweep/core/random.h"
#include "gensweep/metrics/frechet.h"
#include "gensweep/metrics/linalg.h"
#include "gensweep/metrics/statistics.h"

namespace {

using gensweep::Rng;
using namespace gensweep::metrics;

struct Case {
  std::string name;
  Eigen::VectorXd mu1, mu2;
  Eigen::MatrixXd sigma1, sigma2;
  long double closed_form = 0.0L;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, Rng& rng) {
  Eigen::MatrixXd g(rows, cols);
  for (Eigen::Index i = 0; i < g.size(); ++i)
    g.data()[i] = rng.normal();
  return g;
}

// A random orthogonal matrix: the eigenvectors of a symmetric Gaussian matrix.
Eigen::MatrixXd random_orthogonal(Eigen::Index d, Rng& rng) {
  const Eigen::MatrixXd g = gaussian_matrix(d, d, rng);
  Eigen::MatrixXd q = g + g.transpose();
  linalg::symmetric_eigen(q, /*vectors=*/true, "random_orthogonal");
  return q;
}

// C = A B with BLAS (A, B square, D x D).
Eigen::MatrixXd multiply(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, bool transpose_b) {
  const auto d = static_cast<blasint>(a.rows());
  Eigen::MatrixXd c(a.rows(), b.cols());
  cblas_dgemm(CblasColMajor, CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, d, d, d, 1.0,
              a.data(), d, b.data(), d, 0.0, c.data(), d);
  return c;
}

// Exactly symmetric (a + b == b + a in IEEE arithmetic), so row- and column-major agree.
Eigen::MatrixXd symmetrised(const Eigen::MatrixXd& m) {
  return 0.5 * (m + m.transpose());
}

// Sum_ij a_ij b_ij = tr(A B) for symmetric A, B, accumulated in long double.
long double trace_of_product(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  long double sum = 0.0L;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    sum += static_cast<long double>(a.data()[i]) * b.data()[i];
  return sum;
}

long double squared_distance(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  long double sum = 0.0L;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const long double diff = static_cast<long double>(a[i]) - b[i];
    sum += diff * diff;
  }
  return sum;
}

Case commuting_case(Eigen::Index d, Rng& rng) {
  Case c;
  c.name = "commuting";
  const Eigen::MatrixXd q = random_orthogonal(d, rng);
  Eigen::VectorXd a(d), b(d);
  long double sqrt_term = 0.0L;
  for (Eigen::Index i = 0; i < d; ++i) {
    a[i] = std::pow(10.0, -4.0 + 5.0 * rng.uniform());  // 1e-4 .. 10, like Inception spectra
    b[i] = a[i] * std::exp(0.5 * rng.normal());
    const long double diff =
        std::sqrt(static_cast<long double>(a[i])) - std::sqrt(static_cast<long double>(b[i]));
    sqrt_term += diff * diff;
  }
  c.sigma1 = symmetrised(multiply(q * a.asDiagonal(), q, /*transpose_b=*/true));
  c.sigma2 = symmetrised(multiply(q * b.asDiagonal(), q, /*transpose_b=*/true));
  c.mu1 = gaussian_matrix(d, 1, rng).col(0) * 0.1;
  c.mu2 = c.mu1 + gaussian_matrix(d, 1, rng).col(0) * 0.05;
  // The closed form holds for the exact product; Sigma1 and Sigma2 carry its rounding (about
  // 1e-16 relative per entry), which moves FD far less than the errors measured here.
  c.closed_form = squared_distance(c.mu1, c.mu2) + sqrt_term;
  return c;
}

Case noncommuting_case(Eigen::Index d, Rng& rng) {
  Case c;
  c.name = "noncommuting";
  const Eigen::Index n = 2 * d;
  const Eigen::Index latent = 256;
  const Eigen::MatrixXd w =
      gaussian_matrix(latent, d, rng) / std::sqrt(static_cast<double>(latent));
  const Eigen::VectorXd bias = gaussian_matrix(d, 1, rng).col(0) * 0.5;
  gensweep::FeatureMatrix x(n, d);
  Eigen::RowVectorXd z(latent);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index k = 0; k < latent; ++k)
      z[k] = rng.normal();
    const Eigen::RowVectorXd pre = z * w;
    for (Eigen::Index j = 0; j < d; ++j) {
      x.row(i)[j] =
          static_cast<float>(std::max(pre[j] + bias[j], 0.0) + 0.05 * std::abs(rng.normal()));
    }
  }
  const GaussianStats stats = compute_stats(x.view());
  c.sigma1 = symmetrised(covariance(stats));
  c.mu1 = stats.mean;
  // T = U diag(tau) U^T, tau in [0.5, 2]: SPD, and U random, so T does not commute with Sigma1.
  const Eigen::MatrixXd u = random_orthogonal(d, rng);
  Eigen::VectorXd tau(d);
  for (Eigen::Index i = 0; i < d; ++i)
    tau[i] = 0.5 + 1.5 * rng.uniform();
  const Eigen::MatrixXd t = symmetrised(multiply(u * tau.asDiagonal(), u, /*transpose_b=*/true));
  c.sigma2 = symmetrised(multiply(multiply(t, c.sigma1, false), t, false));
  c.mu2 = c.mu1 + gaussian_matrix(d, 1, rng).col(0) * 0.05;
  c.closed_form = squared_distance(c.mu1, c.mu2) + c.sigma1.trace() + c.sigma2.trace() -
                  2.0L * trace_of_product(t, c.sigma1);
  return c;
}

void write_case(const std::filesystem::path& path, const Case& c) {
  std::ofstream out(path, std::ios::binary);
  for (const Eigen::MatrixXd* m : {&c.sigma1, &c.sigma2})
    out.write(reinterpret_cast<const char*>(m->data()),
              static_cast<std::streamsize>(m->size() * 8));
  for (const Eigen::VectorXd* v : {&c.mu1, &c.mu2})
    out.write(reinterpret_cast<const char*>(v->data()),
              static_cast<std::streamsize>(v->size() * 8));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int usage() {
  std::fprintf(stderr,
               "usage: fd_bench [--dim D (2048)] [--repeats R (5)] [--seed S (7)] [--out DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Eigen::Index d = 2048;
  int repeats = 5;
  std::uint64_t seed = 7;
  std::filesystem::path out_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--dim") {
      d = std::atol(argv[++i]);
    } else if (arg == "--repeats") {
      repeats = std::atoi(argv[++i]);
    } else if (arg == "--seed") {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--out") {
      out_dir = argv[++i];
    } else {
      return usage();
    }
  }
  if (d < 2 || repeats < 1) return usage();
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");

  Rng rng(seed);
  std::vector<Case> cases;
  cases.push_back(commuting_case(d, rng));
  cases.push_back(noncommuting_case(d, rng));

  fmt::print("fd_bench: D = {}, {} runs per case, OPENBLAS_NUM_THREADS = {}\n", d, repeats,
             threads != nullptr ? threads : "(unset)");
  fmt::print("{:<13} {:>11} {:>11} {:>22} {:>10} {:>10}\n", "case", "median s", "min s", "FD",
             "abs err", "rel err");
  std::string json =
      fmt::format("{{\"dim\": {}, \"repeats\": {}, \"openblas_num_threads\": \"{}\", \"cases\": [",
                  d, repeats, threads != nullptr ? threads : "");
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    // count 2: scatter == covariance bit for bit, so both programs see the same Sigma.
    const GaussianStats s1{2, c.mu1, c.sigma1};
    const GaussianStats s2{2, c.mu2, c.sigma2};
    std::vector<double> times;
    FrechetResult r;
    for (int run = 0; run < repeats; ++run) {
      const auto start = std::chrono::steady_clock::now();
      r = frechet_distance(s1, s2);
      times.push_back(seconds_since(start));
    }
    std::sort(times.begin(), times.end());
    const double median =
        repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    const double closed = static_cast<double>(c.closed_form);
    const double abs_err = std::abs(static_cast<double>(r.value - c.closed_form));
    fmt::print("{:<13} {:>11.4f} {:>11.4f} {:>22.15g} {:>10.2e} {:>10.2e}\n", c.name, median,
               times.front(), r.value, abs_err, abs_err / closed);
    std::string file;
    if (!out_dir.empty()) {
      file = c.name + ".f64";
      write_case(out_dir / file, c);
    }
    json += fmt::format(
        "{}\n {{\"name\": \"{}\", \"file\": \"{}\", \"closed_form\": {:.17g}, \"gensweep\": "
        "{{\"value\": "
        "{:.17g}, \"median_s\": {:.6f}, \"min_s\": {:.6f}, \"route\": \"{}\", \"clipped\": {}, "
        "\"rank1\": {}, \"rank2\": {}}}}}",
        k == 0 ? "" : ",", c.name, file, closed, r.value, median, times.front(), r.route,
        r.clipped_eigenvalues, r.rank1, r.rank2);
  }
  json += "\n]}\n";
  if (!out_dir.empty()) {
    std::ofstream(out_dir / "gensweep_fd.json") << json;
    fmt::print("wrote {}\n", (out_dir / "gensweep_fd.json").string());
  }
  return 0;
}
