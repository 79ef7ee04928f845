// Extraction throughput: images/s end to end from image files (decode, preprocess, forward,
// store writes, statistics: `gensweep extract` as users run it) against the same backbone's forward
// pass alone on preloaded tensors, measured in the same run; plus decode images/s per core for PNG
// and JPEG. Target (issue 3): end to end >= 0.9x forward-only with 2 threads.
//
//   extract_bench --images DIR --backbone PRESET [--count N] [--threads 2] [--batch 32]
//                 [--rounds 3] [--presets configs] [--device cpu] [--set key=value ...]
// --set adds a key to the backbone table (e.g. --set 'weights="/path/w.pth"').
#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gensweep/config/loader.h"
#include "gensweep/config/toml_text.h"
#include "gensweep/core/error.h"
#include "gensweep/dist/comm.h"
#include "gensweep/features/backbone.h"
#include "gensweep/io/decode.h"
#include "gensweep/io/encode.h"
#include "gensweep/io/folder_source.h"
#include "gensweep/pipeline/extract.h"
#include "gensweep/pipeline/plan.h"

namespace fs = std::filesystem;
using namespace gensweep;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::map<std::string, std::string> parse(int argc, char** argv, std::vector<std::string>& sets) {
  std::map<std::string, std::string> a = {{"count", "256"},       {"threads", "2"},
                                          {"batch", "32"},        {"rounds", "3"},
                                          {"presets", "configs"}, {"device", "cpu"}};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key == "--set") {
      sets.push_back(argv[i + 1]);
    } else {
      a[key.substr(2)] = argv[i + 1];
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> sets;
  auto a = parse(argc, argv, sets);
  if (!a.count("images") || !a.count("backbone")) {
    fmt::print(stderr, "usage: extract_bench --images DIR --backbone PRESET [--count N] ...\n");
    return 2;
  }
  const int threads = std::stoi(a["threads"]);
  const int batch = std::stoi(a["batch"]);
  const int rounds = std::stoi(a["rounds"]);
  const auto count = std::stoll(a["count"]);
  fs::path work = fs::temp_directory_path() / fmt::format("gensweep-extract-bench-{}", getpid());
  fs::create_directories(work);

  // The job users would write, read through the same loader.
  std::string job = fmt::format(
      "[job]\nname = \"bench\"\noutput = {}\n[compute]\ndevice = {}\nthreads = {}\n"
      "batch_size = {}\nunit_size = {}\n"
      "[[datasets]]\nid = \"images\"\nsource = \"folder\"\npath = {}\nlimit = {}\n"
      "[[datasets]]\nid = \"other\"\nsource = \"folder\"\npath = {}\nlimit = 2\n"
      "[[backbones]]\nid = \"net\"\npreset = {}\n",
      config::toml_quote((work / "out").string()), config::toml_quote(a["device"]), threads, batch,
      batch * 4, config::toml_quote(fs::absolute(a["images"]).string()), count,
      config::toml_quote(fs::absolute(a["images"]).string()), config::toml_quote(a["backbone"]));
  for (const auto& s : sets)
    job += s + "\n";
  job += "[[comparisons]]\nreference = \"images\"\nevaluated = [\"other\"]\n";
  config::LoadOptions options;
  options.presets_dir = a["presets"];
  fs::path presets_file = fs::path(a["presets"]) / config::kPresetsFileName;
  std::string presets_text;
  {
    std::ifstream in(presets_file);
    presets_text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto parsed = config::parse_job(job, work / "bench.toml", presets_text, presets_file, options);
  pipeline::Plan plan = pipeline::make_plan(parsed);
  plan.extraction.resize(1);  // only the measured dataset
  const auto& dataset = plan.dataset("images");
  const std::int64_t n = dataset.images->size();

  features::DeviceOptions device;
  device.device = a["device"];  // both measurements on the device the job names
  device.threads = threads;
  // Building the network (reading and hashing the weights file) is a fixed cost of every
  // extraction run; it is reported on its own so the ratio can be read for any image count.
  std::vector<double> setup_s;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    features::make_backbone("net", *plan.backbone("net").options, device);
    setup_s.push_back(seconds_since(t0));
  }
  auto net = features::make_backbone("net", *plan.backbone("net").options, device);
  const auto& info = net->info();

  // Forward only: every image decoded and preprocessed beforehand (not timed).
  std::vector<float> inputs(static_cast<std::size_t>(n * info.input_size));
  for (std::int64_t i = 0; i < n; ++i) {
    auto d = dataset.images->load(i, {});
    net->preprocess(d.image, inputs.data() + i * info.input_size);
  }
  std::vector<float> out(static_cast<std::size_t>(n * info.dim));
  std::vector<double> forward_s, e2e_s;
  dist::Comm serial;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (std::int64_t s = 0; s < n; s += batch) {
      const std::int64_t c = std::min<std::int64_t>(batch, n - s);
      net->forward(inputs.data() + s * info.input_size, c, out.data() + s * info.dim);
    }
    forward_s.push_back(seconds_since(t0));
    fs::remove_all(work / "out");
    pipeline::RunOptions run;
    run.quiet = true;
    t0 = Clock::now();
    auto catalogue = pipeline::resolve_stores(plan, serial, {});
    pipeline::run_extraction(plan, serial, run, catalogue);
    e2e_s.push_back(seconds_since(t0));
    fmt::print("round {}: forward-only {:.2f} s, end to end {:.2f} s\n", r + 1, forward_s.back(),
               e2e_s.back());
  }
  const double fwd = n / median(forward_s), e2e = n / median(e2e_s);

  // Decode rates on one core: the PNG files as they are, and the same images as JPEG q90.
  auto entries = io::list_image_folder(a["images"]);
  std::vector<std::vector<std::uint8_t>> pngs, jpegs;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, entries.size()); ++i) {
    pngs.push_back(io::read_file_bytes(entries[i].path));
    jpegs.push_back(io::encode_jpeg(io::decode_image(pngs.back()).image, 90));
  }
  auto decode_rate = [&](const std::vector<std::vector<std::uint8_t>>& files) {
    std::vector<double> t;
    for (int r = 0; r < rounds; ++r) {
      auto t0 = Clock::now();
      for (int rep = 0; rep < 5; ++rep)
        for (const auto& f : files)
          io::decode_image(f);
      t.push_back(seconds_since(t0));
    }
    return 5.0 * files.size() / median(t);
  };
  const double png_rate = decode_rate(pngs), jpeg_rate = decode_rate(jpegs);

  fmt::print("\nbackbone {} ({}) on {}, {} images, batch {}, {} threads, median of {} rounds\n",
             a["backbone"], info.preprocessing, info.device, n, batch, threads, rounds);
  fmt::print("| measure | images/s |\n| --- | --- |\n");
  fmt::print("| forward only (preloaded tensors) | {:.1f} |\n", fwd);
  fmt::print("| end to end from files (gensweep extract) | {:.1f} |\n", e2e);
  fmt::print("| ratio end to end / forward only | {:.3f} |\n", e2e / fwd);
  fmt::print("| fixed cost per run: build the network (read + hash weights), s | {:.2f} |\n",
             median(setup_s));
  fmt::print("| ratio with that fixed cost left out | {:.3f} |\n",
             median(forward_s) / (median(e2e_s) - median(setup_s)));
  fmt::print("| decode PNG, one core | {:.0f} |\n", png_rate);
  fmt::print("| decode JPEG q90, one core | {:.0f} |\n", jpeg_rate);
  fs::remove_all(work);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "extract_bench: {}\n", e.what());
  return 1;
}
