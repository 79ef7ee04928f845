#include "page_checks.h"

#include "gensweep/io/decode.h"
#include "test_util.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

namespace gensweep::testing {

PngSize decode_png_file(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = io::read_file_bytes(path);
  io::DecodeOutcome png = io::decode_image(bytes);
  EXPECT_TRUE(png.ok) << path << ": " << png.reason;
  if (!png.ok) return {};
  PngSize size{png.image.width, png.image.height, true};
  for (std::size_t i = 3; i < png.image.rgb.size() && size.one_colour; ++i)
    size.one_colour = png.image.rgb[i] == png.image.rgb[i % 3];
  return size;
}

void expect_valid_figure(const std::filesystem::path& stem) {
  const std::string base = stem.string();
  for (const char* extension : {".pdf", ".svg", ".png"})
    ASSERT_TRUE(std::filesystem::exists(base + extension)) << base + extension;
  const std::string pdf = read_text(base + ".pdf");
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-") << base;
  EXPECT_NE(pdf.find("%%EOF"), std::string::npos) << base;
  const std::string svg = read_text(base + ".svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u) << base;
  EXPECT_NE(svg.find("<svg"), std::string::npos) << base;
  EXPECT_NE(svg.find("</svg>"), std::string::npos) << base;
  // Well-formed XML with an <svg> root, by Python's parser where there is one.
  if (std::system("test -x /usr/bin/python3") == 0) {
    const std::string parse = fmt::format(
        "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E; "
        "sys.exit(E.parse(sys.argv[1]).getroot().tag != '{{http://www.w3.org/2000/svg}}svg')\" "
        "'{}'",
        base + ".svg");
    EXPECT_EQ(std::system(parse.c_str()), 0) << parse;
  }
  EXPECT_EQ(read_text(base + ".png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << base;
  const PngSize png = decode_png_file(base + ".png");
  EXPECT_GT(png.width, 0) << base;
  EXPECT_FALSE(png.one_colour) << base;
}

bool have_chromium() {
  return std::system("command -v chromium >/dev/null 2>&1") == 0;
}

BrowserView open_in_chromium(const std::filesystem::path& page,
                             const std::filesystem::path& work_dir) {
  BrowserView view;
  const std::filesystem::path profile = work_dir / "chromium-profile";
  view.screenshot = work_dir / "screenshot.png";
  const std::string common = fmt::format(
      "chromium --headless --disable-gpu {} --user-data-dir='{}' --no-first-run "
      "--window-size=1280,2000",
      ::geteuid() == 0 ? "--no-sandbox" : "", profile.string());
  const std::string url = "file://" + std::filesystem::absolute(page).string();
  const std::filesystem::path dom = work_dir / "dom.html", log = work_dir / "chromium.log";
  const std::string dump =
      fmt::format("{} --dump-dom '{}' >'{}' 2>'{}'", common, url, dom.string(), log.string());
  view.exit_code = std::system(dump.c_str());
  view.dom = read_text(dom);
  const std::string shot = fmt::format("{} --screenshot='{}' '{}' >>'{}' 2>&1", common,
                                       view.screenshot.string(), url, log.string());
  const int shot_code = std::system(shot.c_str());
  if (view.exit_code == 0) view.exit_code = shot_code;
  view.log = read_text(log);
  return view;
}

std::vector<std::string> table_values_missing(const std::string& dom,
                                              const report::RunResults& results,
                                              const report::TableOptions& options) {
  std::vector<std::string> missing;
  for (const auto& e : results.entries) {
    // (Appended, not ">" + ...: GCC 12 warns -Wrestrict on that concatenation, wrongly.)
    std::string text = ">";
    text += report::format_fixed(e.value, options.decimals_for(e.metric));
    if (dom.find(text) == std::string::npos)
      missing.push_back(
          fmt::format("{} {} {} {}: {}", e.metric, e.reference, e.evaluated, e.backbone, text));
  }
  return missing;
}

}  // namespace gensweep::testing
