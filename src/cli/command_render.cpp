// gensweep render JOB DATASET DIR: a dataset's images as PNG files, derived datasets with their
// distortion applied, so that users can look at exactly what a backbone is given.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "args.h"
#include "commands.h"
#include "gensweep/core/error.h"
#include "gensweep/io/encode.h"
#include "gensweep/io/folder_source.h"
#include "gensweep/pipeline/plan.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/store/numpy_writer.h"

namespace gensweep::cli {
namespace {

constexpr const char* kRenderHelp =
    R"(usage: gensweep render JOB DATASET DIR [--limit N] [--presets DIR]
       gensweep render JOB DATASET OUT.npz [--limit N] [--presets DIR]

Writes the images of the job's dataset DATASET as PNG files into DIR, as the backbones receive
them before their own preprocessing: decoded as PIL's convert('RGB') does, with a derived
dataset's distortion (blur, noise, JPEG, corruption, ...) applied with its seed (inside its region
when it has one), a mixture's images in the order drawn. Files are named
ROW-ID.png (ROW the image's position in the dataset, zero-padded; ID its id without an image
extension, characters other than letters, digits, '.', '-' and '_' replaced by '_');
DIR/ids.csv maps row, id and file.
Images that fail to decode are listed with their reasons in DIR/failures.csv. DIR is created; a
file already there is never replaced.

Given a name ending in .npz, writes the images instead as an ADM sample batch, the file
guided-diffusion's image_sample.py writes and its evaluator and dgm-eval read: arr_0, uint8
(N, H, W, 3) RGB, stored, the ids in OUT.npz.ids.txt. Every image must decode and have the size
of the first (an error names the first that does not; no file is left behind).

options:
  --limit N       only the first N images
  --presets DIR   directory holding backbones.toml
)";

// A file name for an image id: the characters a file system and a shell take without quoting,
// without the id's own image extension (the file is a PNG whatever the source was).
std::string file_stem_for(const std::string& id) {
  std::string stem = id;
  const auto dot = stem.rfind('.');
  if (dot != std::string::npos && dot > 0 && io::has_image_extension(stem)) stem.resize(dot);
  for (char& c : stem) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    if (!plain) c = '_';
  }
  return stem;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The images as one ADM sample batch (FORMATS.md 10.2): arr_0 streamed image by image.
void render_sample_batch(const pipeline::ImageSource& images, std::int64_t count,
                         const io::DecodeLimits& limits, const std::filesystem::path& out) {
  const auto load = [&](std::int64_t row) {
    io::DecodeOutcome outcome = images.load(row, limits);
    GENSWEEP_CHECK(outcome.ok, IoError,
                   "{}: image {} ({}) cannot be read: {}; an ADM sample batch holds every image",
                   out.string(), row, images.id(row), outcome.reason);
    return outcome;
  };
  const std::filesystem::path ids_path = out.string() + ".ids.txt";
  GENSWEEP_CHECK(!std::filesystem::exists(ids_path), IoError,
                 "{}: exists already; gensweep render never replaces a file", ids_path.string());
  store::NpzStreamWriter writer(out);
  io::DecodeOutcome first = load(0);
  const int width = first.image.width, height = first.image.height;
  writer.begin_member("arr_0", "|u1", {count, height, width, 3});
  std::string ids;
  for (std::int64_t row = 0; row < count; ++row) {
    const io::DecodeOutcome outcome = row == 0 ? std::move(first) : load(row);
    GENSWEEP_CHECK(outcome.image.width == width && outcome.image.height == height, IoError,
                   "{}: image {} ({}) is {} x {}, the first image {} x {}; an ADM sample batch "
                   "holds images of one size",
                   out.string(), row, images.id(row), outcome.image.width, outcome.image.height,
                   width, height);
    writer.write(outcome.image.rgb);  // HWC RGB: numpy's (H, W, 3) C order
    ids += images.id(row) + "\n";
  }
  writer.close();
  report::write_file_atomically(ids_path, ids);
}

}  // namespace

int command_render(const std::vector<std::string>& argv, dist::Comm& comm) {
  Args args("render", argv, {"limit", "presets"}, {"help", "quiet"});
  if (args.flag("help")) {
    if (comm.is_root()) fmt::print("{}", kRenderHelp);
    return 0;
  }
  args.expect_positional(3, "JOB, DATASET and DIR");
  const config::Job job = load_job(args.positional()[0], args.value("presets").value_or(""), comm);
  if (!comm.is_root()) return 0;  // one writer: rendering is for looking, not for speed
  const pipeline::Plan plan = pipeline::make_plan(job);
  const std::string& dataset_id = args.positional()[1];
  const pipeline::DatasetPlan& dataset = plan.dataset(dataset_id);
  GENSWEEP_CHECK(dataset.has_images(), UsageError,
                 "gensweep render: dataset '{}' has no images ({})", dataset_id,
                 dataset.description);
  const std::filesystem::path dir = std::filesystem::absolute(args.positional()[2]);
  const std::int64_t available = dataset.images->size();
  const std::int64_t count =
      args.value("limit") ? std::min(available, args.int_value("limit", available)) : available;
  GENSWEEP_CHECK(count >= 1, UsageError, "gensweep render: --limit must be at least 1");
  io::DecodeLimits limits;
  limits.max_pixels = plan.compute.max_image_pixels;
  if (dir.extension() == ".npz") {
    render_sample_batch(*dataset.images, count, limits, dir);
    if (!args.flag("quiet"))
      fmt::print("{}: ADM sample batch of {} image(s) of dataset '{}'\n", dir.string(), count,
                 dataset_id);
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  GENSWEEP_CHECK(!ec, IoError, "{}: cannot create it: {}", dir.string(), ec.message());

  const int width = static_cast<int>(std::to_string(available - 1).size());
  std::string ids = "row,id,file\n", failures = "row,id,reason\n";
  std::int64_t written = 0, failed = 0;
  for (std::int64_t row = 0; row < count; ++row) {
    const std::string& id = dataset.images->id(row);
    const io::DecodeOutcome outcome = dataset.images->load(row, limits);
    if (!outcome.ok) {
      failures += fmt::format("{},{},{}\n", row, csv_field(id), csv_field(outcome.reason));
      ++failed;
      continue;
    }
    const std::string name = fmt::format("{:0{}}-{}.png", row, width, file_stem_for(id));
    const std::filesystem::path file = dir / name;
    GENSWEEP_CHECK(!std::filesystem::exists(file), IoError,
                   "{}: exists already; gensweep render never replaces a file", file.string());
    const auto png = io::encode_png(outcome.image);
    report::write_file_atomically(file, std::string(png.begin(), png.end()));
    ids += fmt::format("{},{},{}\n", row, csv_field(id), name);
    ++written;
  }
  report::write_file_atomically(dir / "ids.csv", ids);
  if (failed > 0) report::write_file_atomically(dir / "failures.csv", failures);
  if (!args.flag("quiet")) {
    fmt::print("{}: {} image(s) of dataset '{}' written{}\n", dir.string(), written, dataset_id,
               failed > 0 ? fmt::format(", {} failed (failures.csv)", failed) : std::string());
  }
  return 0;
}

}  // namespace gensweep::cli
