// k-NN manifold metrics (precision/recall, density/coverage, rarity, realism: everything but
// KNN-GIQA) against the GEMM floor measured in the same run: the float32 sgemm calls of the same
// tile shapes the engine needs (reference x reference, evaluated x evaluated, evaluated x
// reference), over this rank's share of the queries, nothing else.
//
//   knn_bench [--n 50000] [--m N] [--dim 2048] [--threads 2] [--tile 2048]
//   mpirun -n 2 knn_bench --threads 1 ...     (ranks split the queries)
//
// Features: ReLU(normal + 0.5) (non-negative with a common offset, as CNN features), the
// evaluated set shifted by 0.05; generated from a fixed seed, held in memory by every rank.
#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gensweep/core/parallel.h"
#include "gensweep/core/random.h"
#include "gensweep/dist/comm.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/metrics/row_source.h"
#include "gensweep/pipeline/manifold.h"

namespace {

using gensweep::FeatureMatrix;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

FeatureMatrix features(std::int64_t rows, std::int64_t dim, std::uint64_t seed, double shift,
                       int threads) {
  FeatureMatrix m(rows, dim);
  gensweep::parallel_for(rows, threads, [&](std::int64_t i) {
    gensweep::Rng rng(seed, static_cast<std::uint64_t>(i));
    for (std::int64_t d = 0; d < dim; ++d)
      m.row(i)[d] = static_cast<float>(std::max(0.0, rng.normal() + 0.5 + shift));
  });
  return m;
}

// The engine's GEMMs over this rank's query chunks (chunk c of `tile` rows goes to rank
// c % size) against every row of the other set in blocks of `tile` rows.
double gemm_floor(const FeatureMatrix& queries, const FeatureMatrix& refs, std::int64_t tile,
                  int rank, int size) {
  std::vector<float> out(static_cast<std::size_t>(tile * tile));
  const auto t0 = Clock::now();
  const std::int64_t chunks = (queries.rows + tile - 1) / tile;
  for (std::int64_t b = 0; b < refs.rows; b += tile) {
    const std::int64_t nr = std::min(tile, refs.rows - b);
    for (std::int64_t c = rank; c < chunks; c += size) {
      const std::int64_t q0 = c * tile, nq = std::min(tile, queries.rows - q0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(nq),
                  static_cast<blasint>(nr), static_cast<blasint>(queries.cols), 1.0f,
                  queries.row(q0), static_cast<blasint>(queries.cols), refs.row(b),
                  static_cast<blasint>(refs.cols), 0.0f, out.data(), static_cast<blasint>(nr));
    }
  }
  return seconds_since(t0);
}

double peak_rss_gib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB
}

}  // namespace

int main(int argc, char** argv) {
  gensweep::dist::Environment env(&argc, &argv);
  const auto& comm = env.world();
  std::int64_t n = 50000, m = -1, dim = 2048, tile = 2048;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (a == "--n")
      n = v;
    else if (a == "--m")
      m = v;
    else if (a == "--dim")
      dim = v;
    else if (a == "--threads")
      threads = static_cast<int>(v);
    else if (a == "--tile")
      tile = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (m < 0) m = n;
  gensweep::metrics::set_blas_threads(threads);
  const auto real = features(n, dim, 1, 0.0, threads);
  const auto fake = features(m, dim, 2, 0.05, threads);
  const double rss_inputs = peak_rss_gib();

  comm.barrier();
  gensweep::pipeline::ManifoldOptions o;
  o.want_giqa_knn = false;
  o.tile_rows = tile;
  o.threads = threads;
  gensweep::metrics::MatrixRowSource r(real.view()), f(fake.view());
  auto t0 = Clock::now();
  const auto result = gensweep::pipeline::compute_manifold(r, f, o, comm);
  comm.barrier();
  const double engine = seconds_since(t0);
  const double rss_engine = peak_rss_gib();

  // The floor, measured after the engine in the same process (same BLAS, same threads).
  comm.barrier();
  t0 = Clock::now();
  gemm_floor(real, real, tile, comm.rank(), comm.size());
  gemm_floor(fake, fake, tile, comm.rank(), comm.size());
  gemm_floor(fake, real, tile, comm.rank(), comm.size());
  comm.barrier();
  const double floor = seconds_since(t0);
  const double max_rss = comm.max(rss_engine);

  if (comm.is_root()) {
    std::printf(
        "knn_bench: N = %lld, M = %lld, D = %lld, ranks = %d, threads/rank = %d, tile = %lld\n",
        static_cast<long long>(n), static_cast<long long>(m), static_cast<long long>(dim),
        comm.size(), threads, static_cast<long long>(tile));
    std::printf("  engine %.2f s, GEMM floor %.2f s, ratio %.2f\n", engine, floor, engine / floor);
    std::printf("  peak RSS rank 0: %.3f GiB (inputs alone %.3f GiB); max over ranks %.3f GiB\n",
                rss_engine, rss_inputs, max_rss);
    std::printf(
        "  precision %.6f recall %.6f density %.6f coverage %.6f rarity mean %.6f "
        "(in manifold %lld)\n",
        result.precision, result.recall, result.density, result.coverage, result.rarity_mean,
        static_cast<long long>(result.rarity_in_manifold));
    std::printf("  diagnostics %s\n", result.diagnostics.dump().c_str());
  }
  return 0;
}
