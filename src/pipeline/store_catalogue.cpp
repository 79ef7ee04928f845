#include "gensweep/pipeline/store_catalogue.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/dist/phase.h"
#include "gensweep/features/backbone.h"
#include "gensweep/pipeline/provenance.h"

namespace gensweep::pipeline {
namespace {

// Backbone descriptions (identity, preprocessing, dimension) by id, built on first use. Only
// rank 0 builds them, on the CPU: the identity does not depend on the device.
class BackboneInfos {
 public:
  BackboneInfos(const Plan& plan, std::map<std::string, features::BackboneInfo>& known,
                bool tolerate_errors)
      : plan_(plan), known_(known), tolerate_errors_(tolerate_errors) {}
  // nullptr with `error` set when the backbone cannot be built and errors are tolerated.
  const features::BackboneInfo* get(const std::string& id, std::string& error) {
    if (auto it = known_.find(id); it != known_.end()) return &it->second;
    if (auto it = errors_.find(id); it != errors_.end()) {
      error = it->second;
      return nullptr;
    }
    try {
      const BackbonePlan& bp = plan_.backbone(id);
      GENSWEEP_ASSERT(bp.options.has_value(), "backbone '{}' has no options", id);
      features::DeviceOptions cpu;
      cpu.device = "cpu";
      cpu.threads = 1;
      return &known_.emplace(id, features::make_backbone(id, *bp.options, cpu)->info())
                  .first->second;
    } catch (const std::exception& e) {
      if (!tolerate_errors_) throw;
      error = errors_[id] = e.what();
      return nullptr;
    }
  }

 private:
  const Plan& plan_;
  std::map<std::string, features::BackboneInfo>& known_;
  bool tolerate_errors_;
  std::map<std::string, std::string> errors_;
};

std::int64_t units_of(std::int64_t rows, std::int64_t unit_size) {
  return (rows + unit_size - 1) / unit_size;
}

// Rank 0: the state of one store against the job.
StoreState inspect(const Plan& plan, const DatasetPlan& dataset, const std::string& backbone,
                   const std::string& fingerprint, BackboneInfos& infos) {
  StoreState s;
  s.dataset = dataset.id;
  s.backbone = backbone;
  s.path = plan.store_path(dataset.id, backbone);
  const std::int64_t images = dataset.images->size();
  s.units = units_of(images, plan.compute.unit_size);
  std::error_code ec;
  if (!std::filesystem::exists(s.path, ec)) return s;
  if (fingerprint.empty()) {
    // The file appeared after this command looked for stores: another process is making it.
    s.kind = StoreState::Kind::kPartial;
    s.problem = "being written by another process now";
    return s;
  }
  std::string backbone_error;
  const features::BackboneInfo* info = infos.get(backbone, backbone_error);
  if (info == nullptr) {
    s.kind = StoreState::Kind::kStale;
    s.problem = fmt::format("cannot be checked against the job: {}", backbone_error);
    return s;
  }
  store::StoreLayout layout;
  layout.rows = images;
  layout.dim = info->dim;
  layout.unit_size = plan.compute.unit_size;
  const auto expected = expected_provenance(plan, dataset, fingerprint, *info, layout);
  try {
    // A reader never blocks on the writer lock; a store being extracted refuses readers.
    const auto opened = store::FeatureStore::open_read_unless_locked(s.path);
    if (!opened) {
      s.kind = StoreState::Kind::kPartial;
      s.problem = "being written by another process now";
      return s;
    }
    const store::FeatureStore& st = *opened;
    const auto progress = st.progress();
    s.units_done = std::count(progress.begin(), progress.end(), std::uint8_t{1});
    const StoreCheck check = check_store(st, expected);
    s.kind = check.kind;
    if (check.mismatch) {
      s.stale_attribute = check.mismatch->key;
      s.stored_value = check.mismatch->stored.value_or("");
      s.expected_value = check.mismatch->expected;
      s.problem = check.mismatch->message();
    } else {
      s.units = st.num_units();
    }
    if (s.kind == StoreState::Kind::kComplete) {
      s.identity = store_identity(st);
      s.valid = std::stoll(s.identity.at("valid_rows"));
    }
  } catch (const StoreError& e) {
    s.kind = StoreState::Kind::kStale;
    s.problem = e.what();
  }
  return s;
}

void put_state(ByteWriter& w, const StoreState& s) {
  w.put_string(s.dataset);
  w.put_string(s.backbone);
  w.put_string(s.path.string());
  w.put(static_cast<std::int32_t>(s.kind));
  w.put(s.units_done);
  w.put(s.units);
  w.put_string(s.problem);
  w.put_string(s.stale_attribute);
  w.put_string(s.stored_value);
  w.put_string(s.expected_value);
  w.put(s.valid);
  w.put(static_cast<std::int64_t>(s.identity.size()));
  for (const auto& [key, value] : s.identity) {
    w.put_string(key);
    w.put_string(value);
  }
}

StoreState get_state(ByteReader& r) {
  StoreState s;
  s.dataset = r.get_string();
  s.backbone = r.get_string();
  s.path = r.get_string();
  s.kind = static_cast<StoreState::Kind>(r.get<std::int32_t>());
  s.units_done = r.get<std::int64_t>();
  s.units = r.get<std::int64_t>();
  s.problem = r.get_string();
  s.stale_attribute = r.get_string();
  s.stored_value = r.get_string();
  s.expected_value = r.get_string();
  s.valid = r.get<std::int64_t>();
  const auto entries = r.get<std::int64_t>();
  for (std::int64_t i = 0; i < entries; ++i) {
    std::string key = r.get_string();
    s.identity.emplace(std::move(key), r.get_string());
  }
  return s;
}

// Rank 0 inspects every store; everyone receives the states.
void inspect_all(const Plan& plan, const dist::Comm& comm, StoreCatalogue& catalogue) {
  std::vector<std::uint8_t> bytes;
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    BackboneInfos infos(plan, catalogue.backbones, catalogue.options.tolerate_backbone_errors);
    catalogue.stores.clear();
    for (const auto& task : plan.extraction) {
      const DatasetPlan& dataset = plan.dataset(task.dataset);
      auto digest = catalogue.datasets.find(task.dataset);
      const std::string none;
      const std::string& fingerprint =
          digest == catalogue.datasets.end() ? none : digest->second.fingerprint;
      for (const auto& backbone : task.backbones)
        catalogue.stores.push_back(inspect(plan, dataset, backbone, fingerprint, infos));
    }
    ByteWriter w;
    w.put(static_cast<std::int64_t>(catalogue.stores.size()));
    for (const auto& s : catalogue.stores)
      put_state(w, s);
    bytes = w.take();
  });
  if (comm.size() == 1) return;
  comm.broadcast(bytes);
  if (comm.is_root()) return;
  catalogue.stores.clear();
  ByteReader r(bytes, "store catalogue");
  const auto count = r.get<std::int64_t>();
  for (std::int64_t i = 0; i < count; ++i)
    catalogue.stores.push_back(get_state(r));
  r.expect_end();
}

}  // namespace

const char* state_name(StoreState::Kind kind) {
  switch (kind) {
    case StoreState::Kind::kMissing:
      return "missing";
    case StoreState::Kind::kPartial:
      return "partial";
    case StoreState::Kind::kComplete:
      return "complete";
    case StoreState::Kind::kStale:
      return "stale";
  }
  return "?";
}

const StoreState* StoreCatalogue::find(std::string_view dataset, std::string_view backbone) const {
  for (const auto& s : stores)
    if (s.dataset == dataset && s.backbone == backbone) return &s;
  return nullptr;
}

const StoreState& StoreCatalogue::at(std::string_view dataset, std::string_view backbone) const {
  const StoreState* s = find(dataset, backbone);
  GENSWEEP_ASSERT(s != nullptr, "the store catalogue has no store {}/{}", dataset, backbone);
  return *s;
}

StoreState& StoreCatalogue::at(std::string_view dataset, std::string_view backbone) {
  return const_cast<StoreState&>(std::as_const(*this).at(dataset, backbone));
}

std::filesystem::path input_manifest_dir(const Plan& plan) {
  return plan.output_dir / "cache" / "inputs";
}

StoreCheck check_store(const store::FeatureStore& st, const store::Attributes& expected) {
  StoreCheck check;
  check.mismatch = store::find_mismatch(st.provenance(), expected);
  if (check.mismatch) {
    check.kind = StoreState::Kind::kStale;
  } else if (st.is_complete() && st.has_statistics()) {
    check.kind = StoreState::Kind::kComplete;
  }
  return check;
}

store::Attributes store_identity(const store::FeatureStore& st) {
  store::Attributes id = st.provenance();
  const auto valid = st.read_valid();
  id["valid_rows"] = std::to_string(std::count(valid.begin(), valid.end(), std::uint8_t{1}));
  // These name the job that created the store; a job that gains a dataset reuses the store as is.
  id.erase("job_config_hash");
  id.erase("job_file");
  // The statistics are written when the store completes: their digest (count and mean; the
  // scatter is not read) tells a rebuilt store from the old one even when both were created within
  // the same second.
  // Through the open handle: opening the file again could meet a writer's lock.
  id["statistics_sha256"] = st.statistics_digest();
  return id;
}

StoreCatalogue resolve_stores(const Plan& plan, const dist::Comm& comm,
                              const CatalogueOptions& options) {
  StoreCatalogue catalogue;
  catalogue.options = options;
  if (catalogue.options.inputs.manifest_dir.empty())
    catalogue.options.inputs.manifest_dir = input_manifest_dir(plan);
  // Which datasets have a store on disk (rank 0 decides: every rank fingerprints the same ones).
  std::vector<std::uint8_t> any_store(plan.extraction.size(), 0);
  if (comm.is_root()) {
    for (std::size_t t = 0; t < plan.extraction.size(); ++t) {
      for (const auto& backbone : plan.extraction[t].backbones) {
        std::error_code ec;
        if (std::filesystem::exists(plan.store_path(plan.extraction[t].dataset, backbone), ec))
          any_store[t] = 1;
      }
    }
  }
  comm.broadcast(any_store);
  for (std::size_t t = 0; t < plan.extraction.size(); ++t) {
    if (any_store[t] && plan.dataset(plan.extraction[t].dataset).has_images())
      dataset_digest(plan, comm, catalogue, plan.extraction[t].dataset);
  }
  inspect_all(plan, comm, catalogue);
  return catalogue;
}

void refresh_stores(const Plan& plan, const dist::Comm& comm, StoreCatalogue& catalogue) {
  inspect_all(plan, comm, catalogue);
}

const DatasetDigest& dataset_digest(const Plan& plan, const dist::Comm& comm,
                                    StoreCatalogue& catalogue, const std::string& dataset) {
  if (auto it = catalogue.datasets.find(dataset); it != catalogue.datasets.end()) return it->second;
  const DatasetPlan& d = plan.dataset(dataset);
  GENSWEEP_ASSERT(d.has_images(), "dataset '{}' has no images to fingerprint", dataset);
  const auto& inputs = catalogue.options.inputs;
  DatasetDigest digest = dataset_fingerprint(*d.images, comm, catalogue.options.threads, inputs);
  if (comm.is_root() && digest.hashed > 0 && digest.files == 0) {
    // Archive members and array images: no files of their own, hashed on every run.
    log::info("dataset '{}': {} images read from {} to fingerprint it", dataset, digest.hashed,
              d.images->description());
  } else if (comm.is_root() && digest.hashed > 0) {
    log::info("dataset '{}': {} of {} image files read to fingerprint it{}", dataset, digest.hashed,
              digest.files, inputs.verify ? " (--verify-inputs)" : "");
  }
  return catalogue.datasets.emplace(dataset, std::move(digest)).first->second;
}

void require_complete(const StoreCatalogue& catalogue, std::string_view command) {
  std::vector<std::string> problems;
  bool stale = false;
  for (const auto& s : catalogue.stores) {
    if (s.kind == StoreState::Kind::kComplete) continue;
    std::string detail;
    switch (s.kind) {
      case StoreState::Kind::kMissing:
        detail = "missing";
        break;
      case StoreState::Kind::kPartial:
        detail = fmt::format("partial, {} of {} units done{}", s.units_done, s.units,
                             s.problem.empty() ? "" : " (" + s.problem + ")");
        break;
      default:
        stale = true;
        detail = "stale: " + s.problem;
        break;
    }
    problems.push_back(
        fmt::format("  {} ({}/{}): {}", s.path.string(), s.dataset, s.backbone, detail));
  }
  if (problems.empty()) return;
  throw StoreError(fmt::format(
      "gensweep {}: {} of {} stores cannot be used:\n{}\n{}", command, problems.size(),
      catalogue.stores.size(), fmt::join(problems, "\n"),
      stale ? "a stale store was made from other inputs than the job names: run `gensweep run` "
              "(or extract) with --rebuild to recompute it, or remove the file"
            : "run `gensweep run` (or extract) to finish them first"));
}

}  // namespace gensweep::pipeline
