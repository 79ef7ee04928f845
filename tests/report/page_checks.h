#pragma once
// Checks shared by the report tests and the integration tests: figure files that are what their
// extensions say, and report.html as headless Chromium renders it.

#include "gensweep/report/results.h"
#include "gensweep/report/tables.h"

#include <filesystem>
#include <string>
#include <vector>

namespace gensweep::testing {

// Expects <stem>.pdf, .svg and .png to exist and be valid: PDF and PNG magic bytes, an SVG
// document that parses as XML (python3) with an <svg> root, a PNG that gensweep's own decoder
// reads, not all one colour.
void expect_valid_figure(const std::filesystem::path& stem);

// Decodes a PNG with gensweep's decoder; fails the test (and returns {0, 0}) when it cannot.
struct PngSize {
  int width = 0, height = 0;
  bool one_colour = true;
};
PngSize decode_png_file(const std::filesystem::path& path);

// Whether Debian's chromium is installed.
bool have_chromium();

// What headless Chromium makes of a page: the DOM after its scripts ran, and a screenshot.
struct BrowserView {
  int exit_code = -1;
  std::string dom;
  std::filesystem::path screenshot;
  std::string log;  // Chromium's stderr, for failure messages
};
// Runs chromium --headless on `page` with a private profile under `work_dir` (--no-sandbox when
// run as root, where Chromium refuses its sandbox).
BrowserView open_in_chromium(const std::filesystem::path& page,
                             const std::filesystem::path& work_dir);

// Every metric value of the results as the page prints it (the metric's decimals), as
// ">value" (the start of a table cell's text); the ones the DOM lacks.
std::vector<std::string> table_values_missing(const std::string& dom,
                                              const report::RunResults& results,
                                              const report::TableOptions& options);

}  // namespace gensweep::testing
