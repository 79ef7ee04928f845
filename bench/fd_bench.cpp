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
// Usage (bench/run_fd_bench.sh drives it):
//   fd_bench --generate DIR [--dim D] [--seed S]   build the cases and write them to DIR:
//       DIR/cases.json (dimension, names, closed forms) and DIR/<case>.f64 (raw little-endian
//       float64: Sigma1 and Sigma2, D x D, then mu1 and mu2), for fd_scipy_baseline.py to time
//       pytorch-fid's algorithm on exactly the same numbers;
//   fd_bench --in DIR [--repeats R] [--results FILE] [--no-diagnostics]   time gensweep on the
//       cases in DIR and write the times and values as JSON (default DIR/gensweep_fd.json);
//       --no-diagnostics sets FrechetOptions::diagnostics = false (no Cholesky factorisation of
//       Sigma2, so no rank2: the only diagnostic that is not free on this route).
// The runner alternates short gensweep and scipy rounds, so that both see the same machine load.

#include <cblas.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

Case read_case(const std::filesystem::path& path, const std::string& name, Eigen::Index d,
               long double closed_form) {
  Case c;
  c.name = name;
  c.closed_form = closed_form;
  c.sigma1.resize(d, d);
  c.sigma2.resize(d, d);
  c.mu1.resize(d);
  c.mu2.resize(d);
  std::ifstream in(path, std::ios::binary);
  for (Eigen::MatrixXd* m : {&c.sigma1, &c.sigma2})
    in.read(reinterpret_cast<char*>(m->data()), static_cast<std::streamsize>(m->size() * 8));
  for (Eigen::VectorXd* v : {&c.mu1, &c.mu2})
    in.read(reinterpret_cast<char*>(v->data()), static_cast<std::streamsize>(v->size() * 8));
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return c;
}

// cases.json is written by this program in a fixed layout: one case per line.
std::vector<Case> read_cases(const std::filesystem::path& dir, Eigen::Index& d) {
  std::ifstream in(dir / "cases.json");
  if (!in) throw std::runtime_error("no " + (dir / "cases.json").string());
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    char name[64];
    long dim = 0;
    long double closed = 0.0L;
    if (std::sscanf(line.c_str(), " {\"dim\": %ld", &dim) == 1) d = dim;
    if (std::sscanf(line.c_str(), " {\"name\": \"%63[^\"]\", \"closed_form\": %Lg", name,
                    &closed) == 2) {
      cases.push_back(read_case(dir / (std::string(name) + ".f64"), name, d, closed));
    }
  }
  return cases;
}

int usage() {
  std::fprintf(stderr,
               "usage: fd_bench --generate DIR [--dim D (2048)] [--seed S (7)]\n"
               "       fd_bench --in DIR [--repeats R (5)] [--results FILE] [--no-diagnostics]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Eigen::Index d = 2048;
  int repeats = 5;
  std::uint64_t seed = 7;
  std::filesystem::path generate_dir, in_dir, results;
  FrechetOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-diagnostics") {
      options.diagnostics = false;
      continue;
    }
    if (i + 1 >= argc) return usage();
    if (arg == "--dim") {
      d = std::atol(argv[++i]);
    } else if (arg == "--repeats") {
      repeats = std::atoi(argv[++i]);
    } else if (arg == "--seed") {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--generate") {
      generate_dir = argv[++i];
    } else if (arg == "--in") {
      in_dir = argv[++i];
    } else if (arg == "--results") {
      results = argv[++i];
    } else {
      return usage();
    }
  }
  if (d < 2 || repeats < 1 || generate_dir.empty() == in_dir.empty()) return usage();

  if (!generate_dir.empty()) {
    Rng rng(seed);
    const Case cases[] = {commuting_case(d, rng), noncommuting_case(d, rng)};
    std::ofstream json(generate_dir / "cases.json");
    json << fmt::format("{{\"dim\": {}, \"seed\": {}, \"cases\": [\n", d, seed);
    for (std::size_t k = 0; k < std::size(cases); ++k) {
      write_case(generate_dir / (cases[k].name + ".f64"), cases[k]);
      json << fmt::format(" {{\"name\": \"{}\", \"closed_form\": {:.21g}, \"file\": \"{}\"}}{}\n",
                          cases[k].name, cases[k].closed_form, cases[k].name + ".f64",
                          k + 1 < std::size(cases) ? "," : "");
    }
    json << "]}\n";
    fmt::print("fd_bench: wrote {} cases (D = {}) to {}\n", std::size(cases), d,
               generate_dir.string());
    return 0;
  }

  const std::vector<Case> cases = read_cases(in_dir, d);
  if (results.empty()) results = in_dir / "gensweep_fd.json";
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
  const std::string impl = options.diagnostics ? "gensweep" : "gensweep-nodiag";
  std::string json =
      fmt::format("{{\"impl\": \"{}\", \"dim\": {}, \"openblas_num_threads\": \"{}\", \"cases\": [",
                  impl, d, threads != nullptr ? threads : "");
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    // count 2: the scatter is the covariance bit for bit, so both programs see the same Sigma.
    const GaussianStats s1{2, c.mu1, c.sigma1};
    const GaussianStats s2{2, c.mu2, c.sigma2};
    // Wall time, and process CPU time: on a shared machine the latter leaves out the time spent
    // waiting for a core, so it is the steadier of the two.
    std::vector<double> times, cpu_times;
    FrechetResult r;
    for (int run = 0; run < repeats; ++run) {
      const std::clock_t cpu_start = std::clock();
      const auto start = std::chrono::steady_clock::now();
      r = frechet_distance(s1, s2, options);
      times.push_back(seconds_since(start));
      cpu_times.push_back(static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    }
    const double abs_err = std::abs(static_cast<double>(r.value - c.closed_form));
    fmt::print(
        "{:<15} {:<13} {} runs, min {:.3f} s, FD {:.15g}, error vs closed form {:.2e} "
        "({:.2e} relative)\n",
        impl, c.name, repeats, *std::min_element(times.begin(), times.end()), r.value, abs_err,
        abs_err / static_cast<double>(c.closed_form));
    json += fmt::format(
        "{}\n {{\"name\": \"{}\", \"value\": {:.17g}, \"times_s\": [{:.6f}], \"cpu_s\": [{:.6f}], "
        "\"route\": \"{}\", "
        "\"clipped\": {}, \"rank1\": {}, \"rank2\": {}}}",
        k == 0 ? "" : ",", c.name, r.value, fmt::join(times, ", "), fmt::join(cpu_times, ", "),
        r.route, r.clipped_eigenvalues, r.rank1, r.rank2);
  }
  json += "\n]}\n";
  std::ofstream(results) << json;
  return 0;
}
