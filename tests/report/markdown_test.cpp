#include "gensweep/report/markdown.h"
#include "sample_results.h"
#include "test_util.h"

namespace gensweep::report {
namespace {

// The sample's tables: "—" for the missing cell, KID at 6 decimals, the fallback flagged with
// the unflagged cells of its column padded so the decimals line up.
constexpr const char* kSampleTables =
    "## fd, reference: clean\n"
    "\n"
    "| evaluated | inception |     clip |\n"
    "| :-------- | --------: | -------: |\n"
    "| blur2     |   12.3456 | 0.5000   |\n"
    "| noise     |         — | 1.0000 † |\n"
    "\n"
    "- † noise, clip: eps=1e-06 added to the covariance diagonals\n"
    "\n"
    "## kid, reference: clean\n"
    "\n"
    "| evaluated | inception |\n"
    "| :-------- | --------: |\n"
    "| blur2     |  0.001235 |\n"
    "| noise     |       nan |\n";

TEST(ReportMarkdown, SampleTablesExactText) {
  EXPECT_EQ(markdown_tables(testing::sample_results()), kSampleTables);
}

TEST(ReportMarkdown, SampleReportExactText) {
  std::string expected =
      std::string(
          "# gensweep results: blur-sweep\n"
          "\n"
          "- job file: `/jobs/blur_sweep.toml`\n"
          "- config sha256: `") +
      std::string(64, 'a') +
      "`\n"
      "- gensweep 0.1.0 (commit 0123456789ab), 2 ranks, 12.2 s, created 2026-01-31T12:00:00Z\n"
      "\n" +
      kSampleTables +
      "\n"
      "## Datasets\n"
      "\n"
      "| dataset | images | valid | failed | source                                   |\n"
      "| :------ | -----: | ----: | -----: | :--------------------------------------- |\n"
      "| clean   |    100 |    99 |      1 | folder: /data/clean                      |\n"
      "| blur2   |    100 |   100 |      0 | derived: gaussian_blur(sigma=2) of clean |\n"
      "| noise   |     50 |    50 |      0 | features: noise.npy                      |\n"
      "\n"
      "## Backbones\n"
      "\n"
      "| backbone  | kind          |  dim | preprocessing                     |\n"
      "| :-------- | :------------ | ---: | :-------------------------------- |\n"
      "| inception | fid-inception | 2048 | resize(299, bilinear)             |\n"
      "| clip      | torchscript   |  512 | resize(224, bicubic) \\| normalize |\n"
      "\n"
      "## Warnings\n"
      "\n"
      "- clean: 1 image failed to decode (see the store's /errors)\n";
  EXPECT_EQ(markdown_report(testing::sample_results()), expected);
}

TEST(ReportMarkdown, PrecisionIsPerMetric) {
  TableOptions options;
  options.decimals["fd"] = 1;
  options.default_decimals = 2;
  options.decimals.erase("kid");
  std::string text = markdown_tables(testing::sample_results(), options);
  EXPECT_NE(text.find("| blur2     |      12.3 | 0.5   |"), std::string::npos) << text;
  EXPECT_NE(text.find("| blur2     |      0.00 |"), std::string::npos) << text;
}

TEST(ReportMarkdown, EscapesAndAlignsAwkwardIds) {
  RunResults r;
  r.datasets = {{.id = "réf"}, {.id = "a|b"}, {.id = "line\nbreak"}};
  r.backbones = {{.id = "dino-v2"}};
  r.entries = {{"réf", "a|b", "dino-v2", "fd", 100.0},
               {"réf", "line\nbreak", "dino-v2", "fd", 2.5}};
  EXPECT_EQ(markdown_tables(r),
            "## fd, reference: réf\n"
            "\n"
            "| evaluated  |  dino-v2 |\n"
            "| :--------- | -------: |\n"
            "| a\\|b       | 100.0000 |\n"
            "| line break |   2.5000 |\n");
}

TEST(ReportMarkdown, NoEntries) {
  RunResults r;
  r.job_name = "empty";
  r.tool_version = "0.1.0";
  r.git_commit = "unknown";
  r.created_utc = "2026-01-31T12:00:00Z";
  EXPECT_EQ(markdown_tables(r), "");
  EXPECT_EQ(markdown_report(r),
            "# gensweep results: empty\n"
            "\n"
            "- job file: ``\n"
            "- config sha256: ``\n"
            "- gensweep 0.1.0 (commit unknown), 1 rank, 0.0 s, created 2026-01-31T12:00:00Z\n"
            "\n"
            "No results.\n");
}

TEST(ReportMarkdown, WriteMarkdown) {
  testing::TempDir dir;
  write_markdown(testing::sample_results(), dir / "results.md");
  EXPECT_EQ(testing::read_text(dir / "results.md"), markdown_report(testing::sample_results()));
}

}  // namespace
}  // namespace gensweep::report
