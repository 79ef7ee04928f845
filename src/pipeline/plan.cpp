#include "gensweep/pipeline/plan.h"

#include "gensweep/pipeline/metric_table.h"

#include <algorithm>
#include <functional>
#include <map>
#include <thread>

#include "gensweep/config/canonical.h"
#include "gensweep/config/job.h"
#include "gensweep/core/error.h"

namespace gensweep::pipeline {

const DatasetPlan& Plan::dataset(std::string_view id) const {
  for (const auto& d : datasets) {
    if (d.id == id) return d;
  }
  GENSWEEP_ASSERT(false, "plan has no dataset '{}'", id);
}

const BackbonePlan& Plan::backbone(std::string_view id) const {
  for (const auto& b : backbones) {
    if (b.id == id) return b;
  }
  GENSWEEP_ASSERT(false, "plan has no backbone '{}'", id);
}

std::filesystem::path Plan::store_path(std::string_view dataset, std::string_view backbone) const {
  // Ids are valid names ([a-z0-9][a-z0-9_.-]*), safe as path components.
  return output_dir / "stores" / std::string(dataset) / (std::string(backbone) + ".h5");
}

namespace {

io::Distortion to_io_distortion(const config::Distortion& d, std::uint64_t seed) {
  io::Distortion out;
  out.seed = seed;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, config::GaussianBlur>) {
          out.kind = io::DistortionKind::kGaussianBlur;
          out.sigma = v.sigma;
        } else if constexpr (std::is_same_v<T, config::GaussianNoise>) {
          out.kind = io::DistortionKind::kGaussianNoise;
          out.sigma = v.sigma;
        } else if constexpr (std::is_same_v<T, config::Jpeg>) {
          out.kind = io::DistortionKind::kJpeg;
          out.quality = v.quality;
        } else if constexpr (std::is_same_v<T, config::Corruption>) {
          static_assert(config::Corruption::kNames == io::kCorruptionNames);
          out.kind = io::DistortionKind::kCorruption;
          out.corruption = *io::parse_corruption_name(v.name);
          out.severity = v.severity;
          out.parameters = v.parameters == config::Corruption::Parameters::kCifar
                               ? io::CorruptionParameters::kCifar
                               : io::CorruptionParameters::kImagenet;
          out.reference_seeding = v.seeding == config::Corruption::Seeding::kReference;
        } else {
          out.kind = io::DistortionKind::kColorShift;
          out.shift = {static_cast<double>(v.shift[0]), static_cast<double>(v.shift[1]),
                       static_cast<double>(v.shift[2])};
        }
      },
      d);
  return out;
}

features::TorchscriptOptions to_torchscript_options(const config::TorchscriptParams& p) {
  using R = features::TorchscriptOptions::Resize;
  using C = features::TorchscriptOptions::Crop;
  features::TorchscriptOptions o;
  o.weights = p.weights;
  o.expected_sha256 = p.sha256.value_or("");
  o.output = p.output;
  o.dim = p.dim.value_or(0);
  o.input_size = p.input_size;
  switch (p.resize) {
    case config::ResizeFilter::kPytorchBilinear:
      o.resize = R::kPytorchBilinear;
      break;
    case config::ResizeFilter::kTf1Bilinear:
      o.resize = R::kTf1Bilinear;
      break;
    case config::ResizeFilter::kPilBicubic:
      o.resize = R::kPilBicubic;
      break;
    case config::ResizeFilter::kArea:
      o.resize = R::kArea;
      break;
    case config::ResizeFilter::kPilBicubicU8:
      o.resize = R::kPilBicubicU8;
      break;
    case config::ResizeFilter::kNone:
      o.resize = R::kNone;
      break;
  }
  o.crop = p.crop == config::CropPolicy::kCenter        ? C::kCenter
           : p.crop == config::CropPolicy::kShorterSide ? C::kShorterSide
                                                        : C::kNone;
  o.input_range = p.input_range == config::InputRange::kByte
                      ? features::TorchscriptOptions::Range::kByte
                      : features::TorchscriptOptions::Range::kUnit;
  o.mean = p.mean;
  o.std = p.std;
  for (const auto& a : p.forward_args)
    o.forward_args.push_back({a.name, a.value});
  return o;
}

std::optional<features::BackboneOptions> to_backbone_options(const config::BackboneConfig& b) {
  if (const auto* p = std::get_if<config::PixelsParams>(&b.params)) {
    return features::PixelsOptions{p->size};
  }
  if (const auto* r = std::get_if<config::RandomCnnParams>(&b.params)) {
    features::RandomCnnOptions o;
    o.dim = r->dim;
    o.seed = r->seed;
    o.input_size = r->input_size;
    o.width = r->width;
    return o;
  }
  if (const auto* t = std::get_if<config::TorchscriptParams>(&b.params)) {
    return to_torchscript_options(*t);
  }
  if (const auto* f = std::get_if<config::FidInceptionParams>(&b.params)) {
    features::FidInceptionOptions o;
    o.weights = f->weights;
    o.expected_sha256 = f->sha256.value_or("");
    o.layer = f->layer;
    if (f->resize == config::ResizeFilter::kPytorchBilinear) {
      o.resize = features::FidInceptionOptions::Resize::kPytorchBilinear;
    } else if (f->resize == config::ResizeFilter::kTf1Bilinear) {
      o.resize = features::FidInceptionOptions::Resize::kTf1Bilinear;
    } else {
      throw ConfigError(
          fmt::format("{}: backbone '{}' (fid-inception) has resize = \"{}\", which gensweep's FID "
                      "Inception does not implement (available: pytorch-bilinear as pytorch-fid, "
                      "tf1-bilinear as torch-fidelity)",
                      b.where.str(), b.id, config::resize_filter_name(f->resize)));
    }
    return o;
  }
  if (b.is_external()) return std::nullopt;
  throw ConfigError(fmt::format(
      "{}: backbone '{}' has kind '{}', which this build of gensweep cannot run yet (available: "
      "pixels, random-cnn, fid-inception, torchscript, external)",
      b.where.str(), b.id, b.kind()));
}

// Runs `make` (building a dataset's image source from its ingredients) with "dataset "ID": " before
// the message of a DataError it throws (an id without its image, a size too large), so the
// message says which dataset of the job is wrong.
template <typename Make>
std::shared_ptr<ImageSource> with_dataset_named(const std::string& id, Make&& make) {
  try {
    return make();
  } catch (const DataError& e) {
    throw DataError(fmt::format("dataset \"{}\": {}", id, e.what()));
  }
}

// A comparison with directions = "both": per evaluated set and backbone, the forward and backward
// tasks, then each set against itself (leave-one-out, k-NN metrics only; a reference's self task
// is shared by every evaluated set of the comparison).
void add_both_ways_tasks(const config::ComparisonConfig& c, Plan& plan) {
  std::vector<std::string> self_metrics;
  for (const auto& m : c.metrics)
    if (find_metric(m).group->supports_leave_one_out()) self_metrics.push_back(m);
  std::map<std::pair<std::string, std::string>, std::size_t> self_tasks;  // (set, backbone)
  auto self_task = [&](const std::string& set, const std::string& backbone) {
    if (self_metrics.empty()) return BothWaysPlan::kNoTask;
    auto [it, added] = self_tasks.try_emplace({set, backbone}, plan.reduction.size());
    if (added) plan.reduction.push_back({set, set, backbone, self_metrics, c.parameters, true});
    return it->second;
  };
  for (const auto& e : c.evaluated) {
    for (const auto& b : c.backbones) {
      BothWaysPlan both{c.reference, e, b, c.metrics, c.rarest_fraction, {}};
      using enum Direction;
      both.tasks[static_cast<std::size_t>(kForward)] = plan.reduction.size();
      plan.reduction.push_back({c.reference, e, b, c.metrics, c.parameters, false});
      both.tasks[static_cast<std::size_t>(kBackward)] = plan.reduction.size();
      plan.reduction.push_back({e, c.reference, b, c.metrics, c.parameters, false});
      both.tasks[static_cast<std::size_t>(kSelfReference)] = self_task(c.reference, b);
      both.tasks[static_cast<std::size_t>(kSelfEvaluated)] = self_task(e, b);
      plan.both_ways.push_back(std::move(both));
    }
  }
}

}  // namespace

const char* direction_name(Direction direction) {
  switch (direction) {
    case Direction::kForward:
      return "forward";
    case Direction::kBackward:
      return "backward";
    case Direction::kSelfReference:
      return "self-reference";
    case Direction::kSelfEvaluated:
      return "self-evaluated";
  }
  GENSWEEP_ASSERT(false, "unknown direction {}", static_cast<int>(direction));
}

Plan make_plan(const config::Job& job) {
  Plan plan;
  plan.job_name = job.name;
  plan.job_file = job.job_file.string();
  plan.config_hash = config::config_hash(job);
  plan.output_dir = job.output_dir;
  plan.compute.batch_size = job.compute.batch_size;
  plan.compute.threads = job.compute.threads;
  plan.compute.thread_layout = job.compute.thread_layout == config::ThreadLayout::kFast
                                   ? ThreadLayout::kFast
                                   : ThreadLayout::kDeterministic;
  plan.compute.device = job.compute.device.str();
  plan.compute.unit_size = job.compute.unit_size;
  plan.compute.max_failed_images = job.compute.max_failed_images;
  plan.compute.max_image_pixels = job.compute.max_image_pixels;
  plan.report.contact_sheet_images = job.report.contact_sheet_images;

  // Datasets in job order; a derived dataset's base is built first (the loader rejects cycles).
  std::map<std::string, std::shared_ptr<ImageSource>> sources;
  std::function<std::shared_ptr<ImageSource>(const config::DatasetConfig&)> source_of =
      [&](const config::DatasetConfig& d) -> std::shared_ptr<ImageSource> {
    if (auto it = sources.find(d.id); it != sources.end()) return it->second;
    std::shared_ptr<ImageSource> s;
    if (const auto* f = std::get_if<config::FolderSource>(&d.source)) {
      s = make_folder_source(f->path, f->offset, f->limit.value_or(-1));
    } else if (const auto* z = std::get_if<config::ZipSource>(&d.source)) {
      s = make_zip_source(z->path, z->offset, z->limit.value_or(-1));
    } else if (const auto* t = std::get_if<config::TarSource>(&d.source)) {
      s = make_tar_source(t->shards, t->field, t->offset, t->limit.value_or(-1));
    } else if (const auto* n = std::get_if<config::NpzSource>(&d.source)) {
      s = make_npz_source(n->files, n->offset, n->limit.value_or(-1));
    } else if (const auto* h = std::get_if<config::Hdf5ImagesSource>(&d.source)) {
      s = make_hdf5_source(h->file, h->dataset, h->layout == config::PixelLayout::kNhwc, h->offset,
                           h->limit.value_or(-1));
    } else if (const auto* v = std::get_if<config::DerivedSource>(&d.source)) {
      const io::Distortion distortion = to_io_distortion(v->distortion, v->seed);
      std::optional<LabelRegion> region;
      if (v->region)
        region = LabelRegion{source_of(config::find_dataset(job, v->region->mask)), v->region->mask,
                             v->region->values};
      s = with_dataset_named(d.id, [&] {
        return make_derived_source(source_of(config::find_dataset(job, v->base)), v->base,
                                   distortion, std::move(region));
      });
    } else if (const auto* m = std::get_if<config::MixtureSource>(&d.source)) {
      auto base = source_of(config::find_dataset(job, m->base));
      auto counterfactual = source_of(config::find_dataset(job, m->counterfactual));
      s = with_dataset_named(d.id, [&] {
        return make_mixture_source(std::move(base), m->base, std::move(counterfactual),
                                   m->counterfactual, m->proportion, m->size, m->seed);
      });
    }
    sources[d.id] = s;
    return s;
  };
  for (const auto& d : job.datasets) {
    DatasetPlan dp;
    dp.id = d.id;
    if (d.has_images()) {
      dp.images = source_of(d);
      dp.description = dp.images->description();
    } else if (const auto* s = std::get_if<config::StatisticsSource>(&d.source)) {
      dp.features_spec = s->file.string();
      dp.features_backbone = s->backbone;
      dp.statistics = true;
      dp.statistics_entry = s->entry;
      dp.description = "statistics: " + dp.features_spec +
                       (s->entry.empty() ? std::string() : " (entry " + s->entry + ")");
    } else {
      const auto& f = std::get<config::FeaturesSource>(d.source);
      dp.features_spec = f.format == config::FeaturesFormat::kNpy
                             ? f.file.string()
                             : f.file.string() + ":" + f.hdf5_dataset;
      dp.features_backbone = f.backbone;
      dp.description = "features: " + dp.features_spec;
    }
    plan.datasets.push_back(std::move(dp));
  }
  for (const auto& b : job.backbones) {
    plan.backbones.push_back({b.id, std::string(b.kind()), to_backbone_options(b)});
  }

  // Extraction: every (image dataset, backbone) some comparison needs, datasets in job order.
  std::map<std::string, std::vector<std::string>> needed;
  for (const auto& c : job.comparisons) {
    std::vector<std::string> ids = c.evaluated;
    ids.insert(ids.begin(), c.reference);
    for (const auto& id : ids) {
      if (!config::find_dataset(job, id).has_images()) continue;
      for (const auto& b : c.backbones) {
        auto& list = needed[id];
        if (std::find(list.begin(), list.end(), b) == list.end()) list.push_back(b);
      }
    }
    for (const auto& id : ids) {
      if (!std::holds_alternative<config::StatisticsSource>(config::find_dataset(job, id).source))
        continue;
      for (const auto& m : c.metrics) {
        GENSWEEP_CHECK(find_metric(m).group->works_from_statistics(), ConfigError,
                       "{}: dataset \"{}\" is imported statistics (a mean and a covariance, no "
                       "features), and metric \"{}\" needs features; only fd can use statistics",
                       c.where.str(), id, m);
      }
    }
    try {
      check_comparison_parameters(c.metrics, c.parameters, c.where.str());
    } catch (const UsageError& e) {
      throw ConfigError(e.what());
    }
    if (c.directions == config::Directions::kBoth) {
      add_both_ways_tasks(c, plan);
      continue;
    }
    for (const auto& e : c.evaluated) {
      for (const auto& b : c.backbones) {
        plan.reduction.push_back({c.reference, e, b, c.metrics, c.parameters, false});
      }
    }
  }
  for (const auto& study : job.studies) {
    StudyPlan sp;
    sp.id = study.id;
    sp.kind = std::string(config::StudyConfig::kKinds[static_cast<std::size_t>(study.kind)]);
    sp.factor_name = std::string(study.factor_name());
    sp.level_name = std::string(study.level_name());
    sp.reference = study.reference;
    sp.base = study.base;
    sp.factors = study.factors;
    sp.levels = study.levels;
    sp.backbones = study.backbones;
    sp.metrics = study.metrics;
    for (const auto& cell : study.cells)
      sp.cells.push_back({cell.factor, cell.level, cell.draw, cell.dataset});
    if (study.normalise_by)
      sp.normalise_by = std::make_pair(study.normalise_by->factor, study.normalise_by->level);
    plan.studies.push_back(std::move(sp));
  }
  for (const auto& d : job.datasets) {
    auto it = needed.find(d.id);
    if (it == needed.end()) continue;
    // Backbones in job order, so stores and columns come out the same way every time.
    std::vector<std::string> ordered;
    for (const auto& b : job.backbones) {
      if (std::find(it->second.begin(), it->second.end(), b.id) != it->second.end()) {
        ordered.push_back(b.id);
      }
    }
    plan.extraction.push_back({d.id, ordered});
  }
  return plan;
}

}  // namespace gensweep::pipeline

namespace gensweep::pipeline {

int threads_per_rank(const ComputeSettings& compute, int ranks) {
  if (compute.threads > 0) return compute.threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, ranks));
}

}  // namespace gensweep::pipeline
