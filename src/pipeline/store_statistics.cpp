#include "gensweep/pipeline/store_statistics.h"

#include <cstring>

#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"
#include "gensweep/dist/phase.h"
#include "gensweep/pipeline/extract.h"

namespace gensweep::pipeline {
namespace {

// Count, dimension, then the mean and the scatter matrix as raw doubles, read straight into the
// Eigen objects: at D = 3072 every copy of a scatter matrix is 75 MB.
std::vector<std::uint8_t> encode(const metrics::GaussianStats& s) {
  ByteWriter w;
  w.put(s.count);
  w.put(static_cast<std::int64_t>(s.mean.size()));
  w.append(s.mean.data(), sizeof(double) * s.mean.size());
  w.append(s.scatter.data(), sizeof(double) * s.scatter.size());
  return w.take();
}

metrics::GaussianStats decode(const std::vector<std::uint8_t>& bytes) {
  ByteReader r(bytes, "statistics block");
  metrics::GaussianStats s;
  s.count = r.get<std::int64_t>();
  const auto dim = r.get<std::int64_t>();
  GENSWEEP_ASSERT(dim >= 0, "statistics block: dimension {}", dim);
  s.mean.resize(dim);
  r.copy(s.mean.data(), sizeof(double) * dim);
  s.scatter.resize(dim, dim);
  r.copy(s.scatter.data(), sizeof(double) * dim * dim);
  r.expect_end();
  return s;
}

}  // namespace

metrics::GaussianStats to_gaussian_stats(const store::StoredStatistics& stored, std::int64_t dim) {
  metrics::GaussianStats s;
  s.count = stored.count;
  s.mean = Eigen::Map<const Eigen::VectorXd>(stored.mean.data(), dim);
  // Symmetric, so row-major storage equals column-major.
  s.scatter = Eigen::Map<const Eigen::MatrixXd>(stored.scatter.data(), dim, dim);
  return s;
}

store::StoredStatistics to_stored_statistics(const metrics::GaussianStats& stats) {
  store::StoredStatistics out;
  out.count = stats.count;
  out.mean.assign(stats.mean.data(), stats.mean.data() + stats.mean.size());
  out.scatter.assign(stats.scatter.data(), stats.scatter.data() + stats.scatter.size());
  return out;
}

FeatureMatrix read_valid_features(const store::FeatureStore& store) {
  const auto& layout = store.layout();
  auto valid = store.read_valid();
  FeatureMatrix all(layout.rows, layout.dim);
  if (layout.rows > 0) store.read_features(0, layout.rows, all.values.data());
  std::int64_t kept = 0;
  for (std::int64_t i = 0; i < layout.rows; ++i) {
    if (!valid[i]) continue;
    if (kept != i) std::memcpy(all.row(kept), all.row(i), sizeof(float) * layout.dim);
    ++kept;
  }
  all.rows = kept;
  all.values.resize(static_cast<std::size_t>(kept * layout.dim));
  return all;
}

void ensure_store_statistics(const std::filesystem::path& path, const dist::Comm& comm) {
  std::int64_t needed = 0;
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    auto st = store::FeatureStore::open_read(path);
    GENSWEEP_ASSERT(st.is_complete(), "{}: statistics of an incomplete store", path.string());
    needed = st.has_statistics() ? 0 : 1;
  });
  comm.broadcast(needed);
  if (!needed) return;

  auto st = store::FeatureStore::open_read(path);
  const auto layout = st.layout();
  const std::int64_t block_rows = kStatisticsBlockUnits * layout.unit_size;
  const std::int64_t blocks = (layout.rows + block_rows - 1) / block_rows;
  auto valid = st.read_valid();
  // Merged in block order on rank 0. The first block is moved in, not merged into zeros: at
  // D = 3072 every copy of a scatter matrix is 75 MB.
  std::optional<metrics::GaussianStats> total;
  auto accumulate = [&](metrics::GaussianStats&& part) {
    if (!total) {
      total = std::move(part);
    } else {
      total = metrics::merge_stats(*total, part);
    }
  };
  const auto rounds = (blocks + comm.size() - 1) / comm.size();
  for (std::int64_t round = 0; round < rounds; ++round) {
    const std::int64_t block = round * comm.size() + comm.rank();
    std::optional<metrics::GaussianStats> local;
    dist::run_phase(
        comm,
        [&] {
          if (block >= blocks) return;
          const std::int64_t begin = block * block_rows;
          const std::int64_t count = std::min(layout.rows, begin + block_rows) - begin;
          FeatureMatrix rows(count, layout.dim);
          st.read_features(begin, count, rows.values.data());
          local = metrics::compute_stats(rows.view(), valid.data() + begin);
        },
        fmt::format("{}: statistics of block {}: ", path.string(), block));
    if (comm.size() == 1) {
      accumulate(std::move(*local));
      continue;
    }
    // Rank r holds block round * size + r: rank 0's own block first, then the others in order.
    auto gathered =
        comm.gather(local && !comm.is_root() ? encode(*local) : std::vector<std::uint8_t>{});
    if (comm.is_root()) {
      if (local) accumulate(std::move(*local));
      for (int r = 1; r < comm.size(); ++r) {
        if (!gathered[r].empty()) accumulate(decode(gathered[r]));
      }
    }
  }
  // Readers close before the single writer opens the file.
  { auto closing = std::move(st); }
  comm.barrier();
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    auto writer = store::FeatureStore::open_write(path);
    if (!total) {  // a store with no rows
      total.emplace();
      total->mean = Eigen::VectorXd::Zero(layout.dim);
      total->scatter = Eigen::MatrixXd::Zero(layout.dim, layout.dim);
    }
    writer.write_statistics(to_stored_statistics(*total));
  });
}

}  // namespace gensweep::pipeline
