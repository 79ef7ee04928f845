// gensweep compare REF EVAL: the quick path (as torch-fidelity's fidelity command). Each side may
// be images (a folder, a dataset zip, WebDataset tar shards, an ADM .npz sample batch, a uint8
// file.h5:/images array), a gensweep store, precomputed features (file.npy, file.h5:/dataset), or
// statistics another tool wrote (pytorch-fid/clean-fid .npz, EDM2 .pkl, torch-fidelity .pt). The
// comparison is written as an in-memory job and run through the same pipeline as job files, so it
// gets the same validation, stores and numbers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <random>

#include "args.h"
#include "commands.h"
#include "gensweep/config/dataset.h"
#include "gensweep/config/loader.h"
#include "gensweep/config/presets.h"
#include "gensweep/config/toml_text.h"
#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/core/strings.h"
#include "gensweep/pipeline/image_source.h"
#include "gensweep/pipeline/interrupt.h"
#include "gensweep/pipeline/metric_table.h"
#include "gensweep/pipeline/run.h"
#include "gensweep/store/external_features.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/npz_reader.h"
#include "statistics_export.h"

namespace gensweep::cli {
namespace {

// Paths go into the generated job as TOML strings, escaped, so any path is safe.
std::string toml_string(const std::string& s) {
  return config::toml_quote(s);
}

// kImages: an archive or array source (config::dataset_source_for_path decides which).
enum class InputKind { kFolder, kImages, kStore, kFeatures, kStatistics };

// A statistics file: a pickle or torch.save file by name, or a .npz holding mu and sigma. Which
// set and whether it is sound is for the statistics reader to say when the job runs.
bool is_statistics_file(const std::string& input) {
  if (ends_with_ci(input, ".pkl") || ends_with_ci(input, ".pt") || ends_with_ci(input, ".pth"))
    return true;
  if (!ends_with_ci(input, ".npz")) return false;
  const store::NpzFile npz(input);
  return npz.find("mu") != nullptr && npz.find("sigma") != nullptr;
}

bool is_image_archive(const std::string& input) {
  return ends_with_ci(input, ".zip") || ends_with_ci(input, ".tar") || ends_with_ci(input, ".npz");
}

InputKind classify(const std::string& input) {
  std::filesystem::path p(input);
  if (std::filesystem::is_directory(p)) return InputKind::kFolder;
  if (is_image_archive(input)) {
    // A tar may be a brace pattern ("shard-{000..009}.tar"): dataset_source_for_path expands it.
    if (!ends_with_ci(input, ".tar"))
      GENSWEEP_CHECK(std::filesystem::exists(p), UsageError,
                     "gensweep compare: '{}' does not exist", input);
    // An .npz with mu and sigma is statistics; with arr_0 a sample batch.
    if (ends_with_ci(input, ".npz") && is_statistics_file(input)) return InputKind::kStatistics;
    return InputKind::kImages;
  }
  const auto colon = input.rfind(':');
  if (colon != std::string::npos && colon > 0 && std::filesystem::exists(input.substr(0, colon))) {
    // file.h5:/dataset: images when the dataset is a uint8 (N, H, W, 3) array, else features
    // (whose reader then says what it expected).
    const std::string file = input.substr(0, colon);
    if (ends_with_ci(file, ".h5") || ends_with_ci(file, ".hdf5")) {
      try {
        store::locate_hdf5_images(file, input.substr(colon + 1), true);
        return InputKind::kImages;
      } catch (const IoError&) {
      }
    }
    return InputKind::kFeatures;
  }
  GENSWEEP_CHECK(std::filesystem::exists(p), UsageError,
                 "gensweep compare: '{}' does not exist (expected an image folder, a gensweep "
                 "store, a .npy file, or FILE.h5:/dataset)",
                 input);
  if (ends_with_ci(input, ".npy")) return InputKind::kFeatures;
  if (is_statistics_file(input)) return InputKind::kStatistics;
  if (ends_with_ci(input, ".h5") || ends_with_ci(input, ".hdf5")) return InputKind::kStore;
  throw UsageError(fmt::format(
      "gensweep compare: cannot tell what '{}' is (expected an image folder, a gensweep store "
      "(.h5), a .npy file, FILE.h5:/dataset, or a statistics file: .npz with mu and sigma, .pkl, "
      ".pt)",
      input));
}

// The [[datasets]] lines of an archive or array source.
std::string image_source_lines(const std::string& input) {
  const config::DatasetSource source =
      config::dataset_source_for_path(input, std::filesystem::current_path());
  auto paths = [](const std::vector<std::filesystem::path>& list) {
    std::string out;
    for (const auto& p : list)
      out += (out.empty() ? "" : ", ") + toml_string(p.string());
    return "[" + out + "]";
  };
  std::string lines = fmt::format("source = \"{}\"\n", config::source_name(source));
  if (const auto* zip = std::get_if<config::ZipSource>(&source)) {
    lines += fmt::format("path = {}\n", toml_string(zip->path.string()));
  } else if (const auto* tar = std::get_if<config::TarSource>(&source)) {
    lines += fmt::format("shards = {}\n", paths(tar->shards));
  } else if (const auto* npz = std::get_if<config::NpzSource>(&source)) {
    lines += fmt::format("files = {}\n", paths(npz->files));
  } else if (const auto* h5 = std::get_if<config::Hdf5ImagesSource>(&source)) {
    lines += fmt::format("file = {}\ndataset = {}\nlayout = \"NHWC\"\n",
                         toml_string(h5->file.string()), toml_string(h5->dataset));
  }
  return lines;
}

// `backbone`: the job's backbone id, which statistics are declared to belong to.
std::string dataset_entry(const std::string& id, const std::string& input, InputKind kind,
                          const std::string& backbone) {
  switch (kind) {
    case InputKind::kStatistics:
      return fmt::format(
          "[[datasets]]\nid = \"{}\"\nsource = \"statistics\"\npath = {}\nbackbone = \"{}\"\n", id,
          toml_string(std::filesystem::absolute(input).string()), backbone);
    case InputKind::kImages:
      return fmt::format("[[datasets]]\nid = \"{}\"\n{}", id, image_source_lines(input));
    case InputKind::kFolder:
      return fmt::format("[[datasets]]\nid = \"{}\"\nsource = \"folder\"\npath = {}\n", id,
                         toml_string(std::filesystem::absolute(input).string()));
    case InputKind::kStore:
      // A store's valid features, through the HDF5 path of the features source.
      return fmt::format(
          "[[datasets]]\nid = \"{}\"\nsource = \"features\"\npath = {}\nbackbone = \"given\"\n", id,
          toml_string(std::filesystem::absolute(input).string() + ":/features"));
    case InputKind::kFeatures: {
      std::string path = input;
      const auto colon = input.rfind(':');
      if (!ends_with_ci(input, ".npy") && colon != std::string::npos) {
        path = std::filesystem::absolute(input.substr(0, colon)).string() + input.substr(colon);
      } else {
        path = std::filesystem::absolute(input).string();
      }
      return fmt::format(
          "[[datasets]]\nid = \"{}\"\nsource = \"features\"\npath = {}\nbackbone = \"given\"\n", id,
          toml_string(path));
    }
  }
  return {};
}

constexpr const char* kCompareHelp = R"(usage: gensweep compare REF EVAL [options]

Compares two sets of images or features. REF and EVAL may each be:
  an image folder        features are extracted with --backbone
  an image archive       a dataset zip (DIR.zip), WebDataset shards (a.tar or
                         'a-{{000000..000009}}.tar'), an ADM sample batch (samples.npz, arr_0),
                         or uint8 NHWC images in HDF5 (FILE.h5:/images); also with --backbone
  a gensweep store       STORE.h5 written by gensweep (its valid rows)
  precomputed features   FILE.npy, or FILE.h5:/dataset (N x D float32 or float64)
  statistics             a mean and covariance another tool wrote: pytorch-fid, clean-fid, EDM
                         or ADM .npz (mu, sigma), EDM2 .pkl, torch-fidelity *-stat-fid-*.pt;
                         read as data, never executed; only fd can use them
Folders need --backbone; features and stores are used as they are (both sides must then be
features of the same feature space). Statistics beside a folder must be of the --backbone's
feature space (and --layer's): gensweep can check the dimension, not the network.

options:
  --backbone NAME   a preset from configs/backbones.toml (e.g. pixels-32, random-cnn-512,
                    fid-inception)
  --weights FILE    the weights file of a --backbone that loads one (fid-inception: pytorch-fid's
                    pt_inception-2015-12-05-6726825d.pth; torchscript presets: the exported
                    network); never downloaded
  --sha256 HEX      the file's expected sha256: a different file is refused (exit 6)
  --layer L         the layer of a fid-inception --backbone: 64, 192, 768, 2048 (default) or
                    logits (pytorch-fid's --dims)
  --save-stats FILE.npz
                    also write REF's statistics (an image folder or a store) as pytorch-fid's
                    .npz, with provenance in FILE.npz.json; compare FILE.npz EVAL reuses them
  --metrics LIST    comma-separated metric names (default: fd; known: {})
  --param M.P=V     a metric parameter, e.g. --param precision.k=5 --param kid.subsets=50
                    (repeatable; comma-separated lists work too; see docs/METRICS.md)
  --per-sample FILE write per-sample results (rarity, giqa_knn, giqa_gmm, realism, nn_index,
                    nn_distance, reference_radius_k*) to this HDF5 file
  --json            print one JSON object: {{"metrics": {{name: value}}, "diagnostics": ...}}
  --cache DIR       keep extracted stores in DIR and reuse them (default: a temporary directory);
                    a store whose images or backbone changed since is recomputed, never used
  --verify-inputs   hash every image file again instead of trusting their remembered digests
  --batch-size N    images per forward pass (default 64)
  --threads N       threads per process (default: cores / ranks)
  --presets DIR     directory holding backbones.toml
  --quiet           no progress lines
)";

// --weights / --sha256 become the backbone's `weights` and `sha256` keys, checked here so that a
// mistake names the flag, not a line of the job compare writes for itself.
std::string backbone_weights_lines(const Args& args, const std::string& presets_text,
                                   const std::filesystem::path& presets_file) {
  const std::string backbone = *args.value("backbone");
  const auto weights = args.value("weights");
  const auto sha256 = args.value("sha256");
  const auto preset = config::describe_preset(presets_text, presets_file, backbone);
  std::string lines;
  if (preset && preset->takes_weights) {
    GENSWEEP_CHECK(weights || preset->has_weights, UsageError,
                   "gensweep compare: --backbone {} loads a weights file: give it with --weights "
                   "FILE (and --sha256 HEX to pin its digest)",
                   backbone);
  } else if (preset) {
    GENSWEEP_CHECK(!weights && !sha256, UsageError,
                   "gensweep compare: --backbone {} ({}) takes no weights file; drop --weights "
                   "and --sha256",
                   backbone, preset->kind);
  }
  GENSWEEP_CHECK(!sha256 || weights, UsageError,
                 "gensweep compare: --sha256 pins the file given with --weights; give --weights "
                 "FILE too");
  if (weights) {
    const auto path = std::filesystem::absolute(*weights);
    std::error_code ec;
    GENSWEEP_CHECK(std::filesystem::is_regular_file(path, ec), UsageError,
                   "gensweep compare: --weights {}: no such file", path.string());
    lines += fmt::format("weights = {}\n", toml_string(path.string()));
  }
  if (const auto layer = args.value("layer")) {
    GENSWEEP_CHECK(preset && preset->kind == "fid-inception", UsageError,
                   "gensweep compare: --layer chooses a layer of a fid-inception backbone; "
                   "--backbone {} is {}",
                   backbone, preset ? "of kind " + preset->kind : "not a preset");
    static const std::vector<std::string> kLayers = {"64", "192", "768", "2048", "logits"};
    GENSWEEP_CHECK(std::find(kLayers.begin(), kLayers.end(), *layer) != kLayers.end(), UsageError,
                   "gensweep compare: --layer '{}': expected one of 64, 192, 768, 2048, logits",
                   *layer);
    lines += fmt::format("layer = {}\n", toml_string(*layer));
  }
  if (sha256) {
    const bool hex =
        sha256->size() == 64 && std::all_of(sha256->begin(), sha256->end(),
                                            [](unsigned char c) { return std::isxdigit(c) != 0; });
    GENSWEEP_CHECK(hex, UsageError,
                   "gensweep compare: --sha256 '{}': expected the 64 hexadecimal digits of the "
                   "weights file's sha256",
                   *sha256);
    lines += fmt::format("sha256 = {}\n", toml_string(*sha256));
  }
  return lines;
}

// Features inputs take no backbone, so no weights either.
std::string no_weights_flags(const Args& args) {
  GENSWEEP_CHECK(!args.value("weights") && !args.value("sha256") && !args.value("layer"),
                 UsageError,
                 "gensweep compare: --weights, --sha256 and --layer belong to --backbone, which "
                 "only image folders use");
  return "";
}

}  // namespace

int command_compare(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("compare", argv,
            {"backbone", "weights", "sha256", "layer", "metrics", "param", "per-sample", "cache",
             "save-stats", "batch-size", "threads", "presets"},
            {"help", "json", "quiet", "verify-inputs"});
  if (args.flag("help")) {
    if (comm.is_root()) fmt::print(kCompareHelp, join(pipeline::metric_names(), " "));
    return 0;
  }
  args.expect_positional(2, "REF and EVAL");
  const auto& ref = args.positional()[0];
  const auto& eval = args.positional()[1];
  const InputKind ref_kind = classify(ref), eval_kind = classify(eval);
  auto has_images = [](InputKind k) { return k == InputKind::kFolder || k == InputKind::kImages; };
  const bool images = has_images(ref_kind) || has_images(eval_kind);
  const std::string metrics = args.value("metrics").value_or("fd");
  for (const auto& m : split(metrics, ','))
    pipeline::find_metric(m);  // UsageError when unknown
  GENSWEEP_CHECK(!images || args.value("backbone"), UsageError,
                 "gensweep compare: an image folder needs --backbone NAME (a preset such as "
                 "pixels-32 or random-cnn-512)");
  // Statistics go with either: beside images they are declared to be of its backbone's space.
  const auto beside_images = [](InputKind k) {
    return k == InputKind::kFolder || k == InputKind::kImages || k == InputKind::kStatistics;
  };
  GENSWEEP_CHECK(!images || (beside_images(ref_kind) && beside_images(eval_kind)), UsageError,
                 "gensweep compare: cannot compare an image folder with precomputed features "
                 "(their feature spaces need not match); give two folders or two feature sets");
  std::optional<std::filesystem::path> save_stats;
  if (const auto target = args.value("save-stats")) {
    save_stats = std::filesystem::absolute(*target);
    GENSWEEP_CHECK(has_images(ref_kind) || ref_kind == InputKind::kStore, UsageError,
                   "gensweep compare: --save-stats writes the statistics of REF's features, which "
                   "needs REF to be images or a gensweep store; '{}' is not",
                   ref);
    check_statistics_target(*save_stats, "--save-stats");
  }

  config::LoadOptions options;
  options.presets_dir = args.value("presets").value_or(default_presets_dir());
  options.known_metrics = pipeline::metric_names();
  options.metric_parameters = pipeline::metric_parameter_specs();
  std::string presets_text;
  std::filesystem::path presets_file;
  if (!options.presets_dir.empty()) {
    presets_file = options.presets_dir / config::kPresetsFileName;
    if (std::filesystem::exists(presets_file))
      presets_text = read_file(presets_file, "presets file");
  }
  const std::string backbone_lines =
      images ? backbone_weights_lines(args, presets_text, presets_file) : no_weights_flags(args);

  // Temporary output unless --cache: nothing is left behind.
  std::filesystem::path out_dir;
  bool temporary = false;
  if (auto cache = args.value("cache")) {
    out_dir = std::filesystem::absolute(*cache);
  } else {
    std::string name;
    if (comm.is_root()) name = fmt::format("gensweep-compare-{}", std::random_device{}());
    comm.broadcast(name);
    out_dir = std::filesystem::temp_directory_path() / name;
    temporary = true;
  }

  std::string metric_list;
  for (const auto& m : split(metrics, ','))
    metric_list += (metric_list.empty() ? "" : ", ") + toml_string(m);
  // --param metric.name=value, checked against the metric table, becomes the comparison's
  // parameters table (and the job loader checks it again, like any job file).
  config::MetricParameterValues parameters;
  for (const auto& flag : args.values("param")) {
    for (const auto& assignment : split(flag, ',')) {
      auto [metric, named] =
          config::parse_parameter_assignment(assignment, pipeline::metric_parameter_specs());
      const auto listed = split(metrics, ',');
      GENSWEEP_CHECK(std::find(listed.begin(), listed.end(), metric) != listed.end(), UsageError,
                     "--param '{}': metric '{}' is not among --metrics ({})", assignment, metric,
                     metrics);
      parameters[metric][named.first] = named.second;
    }
  }
  std::string parameter_lines;
  for (const auto& [metric, values] : parameters) {
    for (const auto& [name, value] : values)
      parameter_lines +=
          fmt::format("parameters.{}.{} = {}\n", metric, name, config::parameter_text(value));
  }
  std::string job = fmt::format("[job]\nname = \"compare\"\noutput = {}\n\n[compute]\n",
                                toml_string(out_dir.string()));
  job += fmt::format("batch_size = {}\nthreads = {}\n\n", args.int_value("batch-size", 64),
                     args.int_value("threads", 0));
  const std::string backbone_id = images ? "features" : "given";
  job += dataset_entry("reference", ref, ref_kind, backbone_id) + "\n" +
         dataset_entry("evaluated", eval, eval_kind, backbone_id) + "\n";
  if (images) {
    job += fmt::format("[[backbones]]\nid = \"features\"\npreset = {}\n{}\n",
                       toml_string(*args.value("backbone")), backbone_lines);
  } else {
    job += "[[backbones]]\nid = \"given\"\nkind = \"external\"\n\n";
  }
  job += fmt::format(
      "[[comparisons]]\nreference = \"reference\"\nevaluated = [\"evaluated\"]\nmetrics = [{}]\n{}",
      metric_list, parameter_lines);

  auto job_path = std::filesystem::current_path() / "<compare>";
  config::Job parsed = config::parse_job(job, job_path, presets_text, presets_file, options);
  pipeline::Plan plan = pipeline::make_plan(parsed);
  pipeline::install_interrupt_handlers();
  pipeline::RunOptions run_options;
  run_options.quiet = args.flag("quiet") || args.flag("json");
  run_options.verify_inputs = args.flag("verify-inputs");
  // --cache DIR is a cache: a store made from other inputs (images changed since) is recomputed,
  // with a warning naming the attribute, never used.
  run_options.rebuild = true;
  report::RunResults results = pipeline::run_job(plan, comm, run_options, {});
  if (comm.is_root() && args.value("per-sample")) {
    const std::filesystem::path target = std::filesystem::absolute(*args.value("per-sample"));
    GENSWEEP_CHECK(!results.per_sample.empty(), UsageError,
                   "--per-sample {}: none of the metrics {} has per-sample results (those that "
                   "do: precision, recall, density, coverage, rarity, giqa_knn, giqa_gmm, qs, ds)",
                   target.string(), metrics);
    std::filesystem::create_directories(target.parent_path());
    std::filesystem::copy_file(results.per_sample.front().path, target,
                               std::filesystem::copy_options::overwrite_existing);
  }
  if (comm.is_root() && save_stats) {
    const std::filesystem::path store_path = ref_kind == InputKind::kStore
                                                 ? std::filesystem::path(ref)
                                                 : plan.store_path("reference", backbone_id);
    const auto st = store::FeatureStore::open_read(store_path);
    export_statistics(store_path, st, *save_stats, /*compress=*/true);
  }
  if (comm.is_root()) {
    nlohmann::json values = nlohmann::json::object(), diagnostics = nlohmann::json::object();
    for (const auto& e : results.entries) {
      values[e.metric] = e.value;
      diagnostics[e.metric] = e.diagnostics;
    }
    if (args.flag("json")) {
      nlohmann::json j = {{"reference", ref},
                          {"evaluated", eval},
                          {"backbone", images ? *args.value("backbone") : "given"},
                          {"metrics", values},
                          {"diagnostics", diagnostics}};
      fmt::print("{}\n", j.dump(2));
    } else {
      for (const auto& e : results.entries)
        fmt::print("{}: {:.10g}\n", e.metric, e.value);
    }
  }
  comm.barrier();
  if (temporary && comm.is_root()) std::filesystem::remove_all(out_dir);
  return 0;
}

}  // namespace gensweep::cli
