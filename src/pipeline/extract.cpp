#include "gensweep/pipeline/extract.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <future>
#include <thread>

#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/parallel.h"
#include "gensweep/core/progress.h"
#include "gensweep/core/strings.h"
#include "gensweep/core/version.h"
#include "gensweep/dist/phase.h"
#include "gensweep/metrics/blas_threads.h"
#include "gensweep/pipeline/interrupt.h"
#include "gensweep/pipeline/provenance.h"
#include "gensweep/pipeline/store_catalogue.h"
#include "gensweep/pipeline/store_statistics.h"
#include "unit_result.h"

namespace gensweep::pipeline {

const char* status_name(StoreOutcome::Status status) {
  switch (status) {
    case StoreOutcome::Status::kCreated:
      return "created";
    case StoreOutcome::Status::kResumed:
      return "resumed";
    case StoreOutcome::Status::kReused:
      return "reused";
  }
  return "?";
}

namespace {

struct OpenedStores {
  std::vector<std::optional<store::FeatureStore>> stores;  // rank 0 only
  std::vector<std::vector<std::uint8_t>> todo;             // [backbone][unit] 1 = compute
  std::vector<StoreOutcome::Status> status;
};

// Rank 0: opens (or creates) the store of every network for writing. The catalogue said what each
// store was; a store opened for writing is checked again (check_store), since another process may
// have changed it in between.
OpenedStores open_stores(const Plan& plan,
                         const std::vector<std::unique_ptr<features::Backbone>>& nets,
                         const DatasetPlan& dataset, const StoreCatalogue& catalogue,
                         const RunOptions& options) {
  OpenedStores out;
  const std::int64_t n = dataset.images->size();
  const std::string& fingerprint = catalogue.datasets.at(dataset.id).fingerprint;
  store::StoreLayout layout;
  layout.rows = n;
  layout.unit_size = plan.compute.unit_size;
  const std::int64_t units = (n + layout.unit_size - 1) / layout.unit_size;
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    ids.push_back(dataset.images->id(i));

  for (const auto& net : nets) {
    const auto& info = net->info();
    layout.dim = info.dim;
    const auto path = plan.store_path(dataset.id, info.id);
    const auto expected = expected_provenance(plan, dataset, fingerprint, info, layout);
    const StoreState& known = catalogue.at(dataset.id, info.id);
    auto status = StoreOutcome::Status::kCreated;
    std::optional<store::FeatureStore> st;
    if (known.kind == StoreState::Kind::kStale) {
      log::warn("{}: rebuilding: {}", path.string(), known.problem);
    } else if (known.kind != StoreState::Kind::kMissing) {
      st.emplace(store::FeatureStore::open_write(path));
      const StoreCheck check = check_store(*st, expected);
      if (check.mismatch) {
        GENSWEEP_CHECK(options.rebuild, StoreError,
                       "{}: existing store does not match this job: {} (run with --rebuild to "
                       "recompute it, or remove the file)",
                       path.string(), check.mismatch->message());
        log::warn("{}: rebuilding: {}", path.string(), check.mismatch->message());
        st.reset();
      } else {
        status = check.kind == StoreState::Kind::kComplete ? StoreOutcome::Status::kReused
                                                           : StoreOutcome::Status::kResumed;
      }
    }
    if (!st) {
      std::filesystem::create_directories(path.parent_path());
      st.emplace(
          store::FeatureStore::create(path, layout, ids, with_volatile_provenance(expected, plan)));
    }
    auto progress = st->progress();
    std::vector<std::uint8_t> todo(static_cast<std::size_t>(units));
    for (std::int64_t u = 0; u < units; ++u)
      todo[u] = progress[u] ? 0 : 1;
    out.todo.push_back(std::move(todo));
    out.status.push_back(status);
    out.stores.push_back(std::move(st));
  }
  return out;
}

enum class UnitSchedule { kConcurrentBatches, kPipelined };

// Concurrent single-threaded batches wherever the layout could change bits: on the CPU, unless the
// job asked for the fast layout. A GPU's results do not depend on the CPU threads.
UnitSchedule unit_schedule(const ComputeSettings& compute,
                           const std::vector<std::unique_ptr<features::Backbone>>& nets) {
  if (compute.thread_layout == ThreadLayout::kFast) return UnitSchedule::kPipelined;
  for (const auto& net : nets) {
    if (net->info().device != "cpu") return UnitSchedule::kPipelined;
  }
  return UnitSchedule::kConcurrentBatches;
}

// Decodes, preprocesses and runs every backbone on one unit, batch by batch. Batch boundaries are
// fixed inside the unit (compute.batch_size), so the batches a network sees never depend on the
// layout; how the rank's threads share the work does:
// - UnitSchedule::kConcurrentBatches (CPU, the default): `threads` workers each take whole batches
//   (decode, preprocess, every backbone's forward) with one intra-op thread per forward pass. A
//   feature is then the same bits for any number of threads and ranks (LibTorch's multi-threaded
//   CPU convolutions split their sums by thread count).
// - UnitSchedule::kPipelined (a GPU, or compute.thread_layout = "fast"): one forward pass at a time
//   with all the rank's threads inside it, the next batch decoded on the same threads meanwhile.
UnitResult compute_unit(const DatasetPlan& dataset, std::int64_t unit,
                        const ComputeSettings& compute,
                        const std::vector<std::unique_ptr<features::Backbone>>& nets,
                        const std::vector<std::int32_t>& which, int threads,
                        UnitSchedule schedule) {
  const std::int64_t n = dataset.images->size();
  UnitResult r;
  r.unit = unit;
  r.row_begin = unit * compute.unit_size;
  r.rows = std::min(n, r.row_begin + compute.unit_size) - r.row_begin;
  r.valid.assign(static_cast<std::size_t>(r.rows), 0);
  r.backbones = which;
  for (auto b : which)
    r.features.emplace_back(static_cast<std::size_t>(r.rows * nets[b]->info().dim), 0.0f);

  io::DecodeLimits limits;
  limits.max_pixels = compute.max_image_pixels;
  std::vector<std::string> reasons(static_cast<std::size_t>(r.rows));

  // Decode + preprocess one batch into `inputs` (one buffer per backbone) on `decode_threads`. One
  // decode feeds every backbone. Batches touch disjoint rows of r.valid, reasons and the features,
  // so several batches can be in flight at once.
  using BatchInputs = std::vector<std::vector<float>>;
  auto prepare = [&](std::int64_t start, BatchInputs& inputs, int decode_threads) {
    const std::int64_t count = std::min(compute.batch_size, r.rows - start);
    inputs.resize(which.size());
    for (std::size_t k = 0; k < which.size(); ++k) {
      inputs[k].assign(static_cast<std::size_t>(count * nets[which[k]]->info().input_size), 0.0f);
    }
    parallel_for(count, decode_threads, [&](std::int64_t j) {
      const std::int64_t row = start + j;
      io::DecodeOutcome decoded = dataset.images->load(r.row_begin + row, limits);
      if (!decoded.ok) {
        reasons[row] = decoded.reason;
        return;
      }
      for (std::size_t k = 0; k < which.size(); ++k) {
        const auto& net = *nets[which[k]];
        net.preprocess(decoded.image, inputs[k].data() + j * net.info().input_size);
      }
      r.valid[row] = 1;
    });
  };
  auto run_networks = [&](std::int64_t start, const BatchInputs& inputs) {
    const std::int64_t count = std::min(compute.batch_size, r.rows - start);
    for (std::size_t k = 0; k < which.size(); ++k) {
      const auto& net = *nets[which[k]];
      const std::int64_t dim = net.info().dim;
      float* out = r.features[k].data() + start * dim;
      net.forward(inputs[k].data(), count, out);
      // A failed image's row is all zeros (and invalid), whatever the network made of zeros.
      for (std::int64_t j = 0; j < count; ++j) {
        if (!r.valid[start + j]) std::fill(out + j * dim, out + (j + 1) * dim, 0.0f);
      }
    }
  };

  const std::int64_t batches = (r.rows + compute.batch_size - 1) / compute.batch_size;
  if (schedule == UnitSchedule::kConcurrentBatches) {
    // OpenBLAS (LibTorch's linear layers and some convolutions) gets one thread per forward too.
    metrics::ScopedBlasThreads one_blas_thread(1);
    parallel_for(batches, threads, [&](std::int64_t b) {
      features::set_intra_op_threads_of_this_thread(1);
      BatchInputs inputs;
      prepare(b * compute.batch_size, inputs, 1);
      run_networks(b * compute.batch_size, inputs);
    });
  } else {
    // Double buffering: batch b+1 is decoded on the worker threads while batch b is in the
    // networks.
    std::array<BatchInputs, 2> buffers;
    prepare(0, buffers[0], threads);
    for (std::int64_t b = 0; b < batches; ++b) {
      std::future<void> next;
      if (b + 1 < batches) {
        next = std::async(std::launch::async, prepare, (b + 1) * compute.batch_size,
                          std::ref(buffers[(b + 1) % 2]), threads);
      }
      run_networks(b * compute.batch_size, buffers[b % 2]);
      if (next.valid()) next.get();
    }
  }
  for (std::int64_t row = 0; row < r.rows; ++row) {
    if (!r.valid[row]) {
      r.failures.push_back(
          {r.row_begin + row,
           fmt::format("{}: {}", dataset.images->id(r.row_begin + row), reasons[row])});
    }
  }
  return r;
}

// The outcome of every store of the task. Complete stores are reused as they are: no network is
// built for them.
struct TaskStores {
  std::vector<StoreOutcome> all;        // one per backbone of the task, in the task's order
  std::vector<std::string> to_extract;  // backbones whose store is missing, partial or stale
};

TaskStores reuse_complete_stores(const DatasetPlan& dataset, const ExtractionTask& task,
                                 const StoreCatalogue& catalogue) {
  TaskStores out;
  out.all.resize(task.backbones.size());
  for (std::size_t b = 0; b < task.backbones.size(); ++b) {
    const StoreState& state = catalogue.at(dataset.id, task.backbones[b]);
    StoreOutcome& o = out.all[b];
    o.dataset = dataset.id;
    o.backbone = task.backbones[b];
    o.path = state.path;
    o.images = dataset.images->size();
    if (state.kind == StoreState::Kind::kComplete) {
      o.status = StoreOutcome::Status::kReused;
    } else {
      out.to_extract.push_back(task.backbones[b]);
    }
  }
  return out;
}

// Every rank builds the networks (weights are deterministic).
std::vector<std::unique_ptr<features::Backbone>> build_networks(const Plan& plan,
                                                                const std::vector<std::string>& ids,
                                                                int threads,
                                                                const dist::Comm& comm) {
  std::vector<std::unique_ptr<features::Backbone>> nets;
  dist::run_phase(comm, [&] {
    for (const auto& id : ids) {
      const BackbonePlan& bp = plan.backbone(id);
      features::DeviceOptions device;
      device.device = plan.compute.device;
      device.local_rank = dist::local_rank();
      device.threads = threads;
      nets.push_back(features::make_backbone(bp.id, *bp.options, device));
    }
  });
  return nets;
}

// Rank 0 records the networks in the catalogue and opens their stores; the other ranks get an
// empty OpenedStores.
OpenedStores open_stores_on_root(const Plan& plan,
                                 const std::vector<std::unique_ptr<features::Backbone>>& nets,
                                 const DatasetPlan& dataset, StoreCatalogue& catalogue,
                                 const RunOptions& options, const dist::Comm& comm) {
  OpenedStores opened;
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    for (const auto& net : nets)
      catalogue.backbones.insert_or_assign(net->info().id, net->info());
    opened = open_stores(plan, nets, dataset, catalogue, options);
  });
  return opened;
}

// Which units each network still needs, known to every rank.
struct UnitTodo {
  std::int64_t units = 0;
  std::int64_t networks = 0;
  std::vector<std::uint8_t> flags;    // [network][unit] 1 = compute
  std::vector<std::int64_t> pending;  // units some network needs, ascending

  // Indices of the networks that need unit `u`.
  std::vector<std::int32_t> networks_for(std::int64_t u) const {
    std::vector<std::int32_t> which;
    for (std::int64_t b = 0; b < networks; ++b) {
      if (flags[b * units + u]) which.push_back(static_cast<std::int32_t>(b));
    }
    return which;
  }
};

UnitTodo share_unit_todo(const OpenedStores& opened, std::int64_t units, std::int64_t networks,
                         const dist::Comm& comm) {
  UnitTodo todo;
  todo.units = units;
  todo.networks = networks;
  if (comm.is_root()) {
    for (const auto& t : opened.todo)
      todo.flags.insert(todo.flags.end(), t.begin(), t.end());
  }
  comm.broadcast(todo.flags);
  for (std::int64_t u = 0; u < units; ++u) {
    for (std::int64_t b = 0; b < networks; ++b) {
      if (todo.flags[b * units + u]) {
        todo.pending.push_back(u);
        break;
      }
    }
  }
  return todo;
}

// The entries of `all` being extracted, in the networks' order; rank 0 knows their status.
std::vector<StoreOutcome*> outcomes_of_networks(
    std::vector<StoreOutcome>& all, const std::vector<std::unique_ptr<features::Backbone>>& nets,
    const OpenedStores& opened, const dist::Comm& comm) {
  std::vector<StoreOutcome*> outcomes;
  for (std::size_t b = 0; b < nets.size(); ++b) {
    for (auto& o : all)
      if (o.backbone == nets[b]->info().id) outcomes.push_back(&o);
    if (comm.is_root()) outcomes[b]->status = opened.status[b];
  }
  return outcomes;
}

std::int64_t images_in_units(const std::vector<std::int64_t>& units, std::int64_t images,
                             std::int64_t unit_size) {
  std::int64_t total = 0;
  for (auto u : units)
    total += std::min(images, (u + 1) * unit_size) - u * unit_size;
  return total;
}

// Rank 0 writes every rank's unit of a round to the stores, in rank order.
void write_gathered_units(const std::vector<std::vector<std::uint8_t>>& gathered,
                          const std::vector<std::unique_ptr<features::Backbone>>& nets,
                          OpenedStores& opened, const std::vector<StoreOutcome*>& outcomes,
                          ProgressReporter& progress) {
  for (const auto& bytes : gathered) {
    UnitResult r = decode_unit_result(bytes);
    if (r.unit < 0) continue;
    for (std::size_t k = 0; k < r.backbones.size(); ++k) {
      const auto b = r.backbones[k];
      const std::int64_t dim = nets[b]->info().dim;
      opened.stores[b]->write_unit(r.unit, FeatureView{r.features[k].data(), r.rows, dim}, r.valid,
                                   r.failures);
      outcomes[b]->units_computed += 1;
    }
    progress.advance(r.rows);
  }
}

std::vector<StoreOutcome> extract_task(const Plan& plan, const ExtractionTask& task,
                                       const dist::Comm& comm, const RunOptions& options,
                                       StoreCatalogue& catalogue) {
  const DatasetPlan& dataset = plan.dataset(task.dataset);
  const ComputeSettings& compute = plan.compute;
  const int threads = threads_per_rank(compute, comm.size());
  const std::int64_t n = dataset.images->size();
  const std::int64_t units = (n + compute.unit_size - 1) / compute.unit_size;

  TaskStores stores = reuse_complete_stores(dataset, task, catalogue);
  std::vector<StoreOutcome>& all = stores.all;
  if (stores.to_extract.empty()) return std::move(all);
  // New stores record the fingerprint; resumed ones were checked against it.
  const std::string fingerprint = dataset_digest(plan, comm, catalogue, dataset.id).fingerprint;
  for (auto& o : all)
    o.fingerprint = fingerprint;

  // LibTorch runs some layers through OpenBLAS (FID Inception: 7% slower with one BLAS thread), so
  // BLAS gets the rank's threads, as LibTorch does (metrics/blas_threads.h).
  metrics::ScopedBlasThreads blas(threads);

  const auto nets = build_networks(plan, stores.to_extract, threads, comm);
  OpenedStores opened = open_stores_on_root(plan, nets, dataset, catalogue, options, comm);
  const UnitTodo todo =
      share_unit_todo(opened, units, static_cast<std::int64_t>(nets.size()), comm);
  const std::vector<StoreOutcome*> outcomes = outcomes_of_networks(all, nets, opened, comm);
  const std::vector<std::int64_t>& pending = todo.pending;

  std::vector<std::string> names;
  for (const auto& net : nets)
    names.push_back(net->info().id);
  ProgressReporter progress(fmt::format("extract {} [{}]", dataset.id, join(names, ",")),
                            images_in_units(pending, n, compute.unit_size));
  progress.set_enabled(comm.is_root() && !options.quiet && !pending.empty());

  // Round r: rank k computes pending unit r * size + k (if any), then rank 0 writes them all.
  const UnitSchedule schedule = unit_schedule(compute, nets);
  const auto rounds = static_cast<std::int64_t>((pending.size() + comm.size() - 1) / comm.size());
  for (std::int64_t round = 0; round < rounds; ++round) {
    const auto slot = static_cast<std::size_t>(round * comm.size() + comm.rank());
    UnitResult mine;  // unit -1: this rank has no unit in this round
    const std::int64_t u = slot < pending.size() ? pending[slot] : -1;
    dist::run_phase(
        comm,
        [&] {
          if (u >= 0)
            mine = compute_unit(dataset, u, compute, nets, todo.networks_for(u), threads, schedule);
        },
        fmt::format("extracting {} unit {}: ", dataset.id, u));
    auto gathered = comm.gather(encode_unit_result(mine));
    dist::run_phase(comm, [&] {
      if (comm.is_root()) write_gathered_units(gathered, nets, opened, outcomes, progress);
    });
    // Stop between rounds when asked to: everything finished so far is on disk.
    if (comm.sum(interrupt_requested() ? 1 : 0) > 0) {
      throw InterruptedError(fmt::format(
          "interrupted while extracting '{}' after round {} of {}; finished units are saved, run "
          "the same command again to resume",
          dataset.id, round + 1, rounds));
    }
  }
  progress.finish();

  // Statistics are BLAS-bound and keep the rank's threads (dsyrk's result does not depend on it).
  // Close the writers before anyone opens the stores to read them.
  if (comm.is_root()) opened.stores.clear();
  comm.barrier();
  for (const auto* o : outcomes)
    ensure_store_statistics(o->path, comm);
  return std::move(all);
}

}  // namespace

std::vector<StoreOutcome> run_extraction(const Plan& plan, const dist::Comm& comm,
                                         const RunOptions& options, StoreCatalogue& catalogue) {
  // Stale stores are refused before anything is extracted, all of them named at once.
  if (!options.rebuild) {
    std::vector<std::string> stale;
    for (const auto& s : catalogue.stores) {
      if (s.kind == StoreState::Kind::kStale)
        stale.push_back(fmt::format("{}: existing store does not match this job: {}",
                                    s.path.string(), s.problem));
    }
    GENSWEEP_CHECK(
        stale.empty(), StoreError, "{}\n(run with --rebuild to recompute {}, or remove the file{})",
        fmt::join(stale, "\n"), stale.size() == 1 ? "it" : "them", stale.size() == 1 ? "" : "s");
  }
  std::vector<StoreOutcome> outcomes;
  for (const auto& task : plan.extraction) {
    auto part = extract_task(plan, task, comm, options, catalogue);
    outcomes.insert(outcomes.end(), part.begin(), part.end());
  }
  // What the stores hold now: every later stage reads this catalogue.
  refresh_stores(plan, comm, catalogue);
  for (auto& o : outcomes) {
    const StoreState& state = catalogue.at(o.dataset, o.backbone);
    o.valid = state.valid;
    o.failed = state.valid >= 0 ? o.images - state.valid : 0;
  }
  return outcomes;
}

}  // namespace gensweep::pipeline
