// The ways out beside results.json, through `gensweep run` on small CIFAR sets: figures in three
// valid formats, rankings whose order is the per-sample file's, contact sheets of k cells showing
// the rarest images, report.html holding every table value in headless Chromium, and the same
// figure bytes when the run is repeated.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <set>

#include "gensweep/report/contact_sheet.h"
#include "gensweep/report/json.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/per_sample_file.h"
#include "page_checks.h"
#include "support.h"

namespace gensweep::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSheetImages = 5;

std::string job_text(const fs::path& images) {
  return fmt::format(R"([job]
name = "ways-out"
output = "out"

[compute]
threads = 1

[report]
contact_sheet_images = {1}

[[datasets]]
id = "real"
source = "folder"
path = "{0}"
limit = 60

[[datasets]]
id = "clean"
source = "folder"
path = "{0}"
offset = 60

[[datasets]]
id = "blur"
source = "derived"
base = "clean"
distortion = {{ kind = "gaussian_blur", sigma = 2.0 }}

[[backbones]]
id = "pix4"
kind = "pixels"
size = 4

[[backbones]]
id = "pix8"
kind = "pixels"
size = 8

[[comparisons]]
reference = "real"
evaluated = ["clean", "blur"]
metrics = ["fd", "precision", "recall", "density", "coverage", "rarity", "giqa_knn"]
)",
                     images.string(), kSheetImages);
}

// A CSV line's second field (ids here have no commas or quotes).
std::string second_field(const std::string& line) {
  const std::size_t a = line.find(',');
  return line.substr(a + 1, line.find(',', a + 1) - a - 1);
}

std::vector<std::string> csv_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::map<std::string, std::string> read_figures(const fs::path& dir) {
  std::map<std::string, std::string> bytes;
  for (const auto& entry : fs::directory_iterator(dir))
    bytes[entry.path().filename()] = read_text(entry.path());
  return bytes;
}

TEST(VisualOutputs, RunWritesFiguresRankingsContactSheetsAndAPage) {
  TempDir dir("gensweep-ways-out");
  copy_cifar_images(dir / "images", 0, 100);
  write_text(dir / "job.toml", job_text(dir / "images"));
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const fs::path out = dir / "out";
  const report::RunResults results = report::read_json(out / "results.json");

  // One heat map per metric table, the two scatters, a distribution per ranked score.
  std::set<std::string> metrics;
  for (const auto& e : results.entries)
    metrics.insert(e.metric);
  EXPECT_EQ(metrics.size(), 7u);
  std::vector<std::string> stems = {"precision_recall__vs__real", "density_coverage__vs__real",
                                    "distribution_rarity__vs__real",
                                    "distribution_giqa_knn__vs__real"};
  for (const auto& m : metrics)
    stems.push_back("heatmap_" + m + "__vs__real");
  for (const auto& stem : stems)
    expect_valid_figure(out / "figures" / stem);
  EXPECT_EQ(std::distance(fs::directory_iterator(out / "figures"), fs::directory_iterator()),
            static_cast<long>(3 * stems.size()));

  // Rankings: every valid image once, in the order of the per-sample file's scores (largest
  // first); the rarest contact sheet shows the first k of them.
  ASSERT_EQ(results.per_sample.size(), 4u);  // 2 evaluated sets x 2 feature spaces
  int sheets_checked = 0;
  for (const auto& file : results.per_sample) {
    const store::PerSampleData data = store::read_per_sample_file(file.path);
    const auto store_path =
        std::find_if(results.stores.begin(), results.stores.end(), [&](const auto& s) {
          return s.dataset == file.evaluated && s.backbone == file.backbone;
        })->path;
    const auto feature_store = store::FeatureStore::open_read(store_path);
    const auto ids = feature_store.read_ids();
    const auto valid = feature_store.read_valid();
    std::vector<std::string> valid_ids;
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (valid[i] != 0) valid_ids.push_back(ids[i]);
    for (const char* score : {"rarity", "giqa_knn"}) {
      const std::vector<double>& values = data.reals.at(score);
      ASSERT_EQ(values.size(), valid_ids.size());
      std::vector<std::size_t> order(values.size());
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return values[a] > values[b]; });
      const std::string stem =
          fmt::format("{}__vs__{}__{}__{}", file.evaluated, file.reference, file.backbone, score);
      const std::vector<std::string> lines = csv_lines(out / "rankings" / (stem + ".csv"));
      ASSERT_EQ(lines.size(), values.size() + 1) << stem;
      EXPECT_EQ(lines[0], "rank,id,row,score");
      for (std::size_t i = 0; i < order.size(); ++i)
        EXPECT_EQ(second_field(lines[i + 1]), valid_ids[order[i]]) << stem << " rank " << i + 1;
      // The largest score is the rarest (rarity) or the best (GIQA).
      const fs::path top = out / "contact_sheets" /
                           (stem + (std::string(score) == "rarity" ? "_rarest.png" : "_best.png"));
      const PngSize sheet = decode_png_file(top);
      const report::SheetGeometry expected = report::sheet_geometry(kSheetImages);
      EXPECT_EQ(sheet.width, expected.width) << top;
      EXPECT_EQ(sheet.height, expected.height) << top;
      ++sheets_checked;
    }
  }
  EXPECT_EQ(sheets_checked, 8);
  EXPECT_EQ(std::distance(fs::directory_iterator(out / "contact_sheets"), fs::directory_iterator()),
            16);

  // report.html in a browser: every table value as the page formats it, and a picture.
  ASSERT_TRUE(fs::exists(out / "report.html"));
  if (have_chromium()) {
    const BrowserView view = open_in_chromium(out / "report.html", dir.path());
    ASSERT_EQ(view.exit_code, 0) << view.log;
    report::TableOptions options;  // the decimals the pipeline uses: 4, and kid's 6
    EXPECT_EQ(table_values_missing(view.dom, results, options), std::vector<std::string>{});
    const PngSize shot = decode_png_file(view.screenshot);
    EXPECT_GT(shot.width, 0);
    EXPECT_FALSE(shot.one_colour);
  } else {
    fmt::print("chromium is not installed: report.html not opened in a browser\n");
  }

  // Run again (stores and results reused): the same figure bytes, PDFs included.
  const auto first = read_figures(out / "figures");
  r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto second = read_figures(out / "figures");
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [name, bytes] : first)
    EXPECT_TRUE(second.at(name) == bytes) << name << " changed between two runs";
}

// compare goes through the same writer: its --cache directory gets the pictures too, and the
// rarest images' sheet shows k of the evaluated folder's images.
TEST(VisualOutputs, CompareWritesThemIntoItsCache) {
  TempDir dir("gensweep-ways-out-compare");
  copy_cifar_images(dir / "a", 0, 30);
  copy_cifar_images(dir / "b", 500, 20);
  auto r = run_gensweep({"compare", (dir / "a").string(), (dir / "b").string(), "--backbone",
                         "pixels-32", "--metrics", "fd,rarity", "--cache", (dir / "cache").string(),
                         "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path out = dir / "cache";
  expect_valid_figure(out / "figures" / "heatmap_fd__vs__reference");
  expect_valid_figure(out / "figures" / "distribution_rarity__vs__reference");
  EXPECT_EQ(csv_lines(out / "rankings" / "evaluated__vs__reference__features__rarity.csv").size(),
            21u);
  const PngSize sheet = decode_png_file(out / "contact_sheets" /
                                        "evaluated__vs__reference__features__rarity_rarest.png");
  EXPECT_EQ(sheet.width, report::sheet_geometry(16).width);
  EXPECT_EQ(sheet.height, report::sheet_geometry(16).height);
  EXPECT_TRUE(fs::exists(out / "report.html"));
}

// A figure that cannot be written fails the run with an IoError naming it, after the tables.
TEST(VisualOutputs, UnwritableFiguresFailAfterTheTables) {
  TempDir dir("gensweep-ways-out-fail");
  copy_cifar_images(dir / "images", 0, 100);
  write_text(dir / "job.toml", job_text(dir / "images"));
  fs::create_directories(dir / "out");
  write_text(dir / "out" / "figures", "a file where the figures directory goes");
  auto r = run_gensweep({"run", "job.toml", "--quiet"}, 0, dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find((dir / "out" / "figures").string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out" / "results.json"));
  EXPECT_TRUE(fs::exists(dir / "out" / "results.csv"));
}

}  // namespace
}  // namespace gensweep::testing
