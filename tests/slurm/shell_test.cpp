// Values put into sbatch scripts: whatever they hold, bash reads back exactly the value, and the
// shipped templates stay valid scripts once filled in. No Slurm needed.

#include <gtest/gtest.h>

#include "gensweep/core/error.h"
#include "gensweep/slurm/process.h"
#include "gensweep/slurm/shell.h"
#include "test_util.h"

namespace gensweep::slurm {
namespace {

const std::vector<std::string> kNasty = {
    "plain",     "with space",     "it's",           "say \"hi\"", "$HOME",
    "${PATH}",   "`touch pwned`",  "$(touch pwned)", "a\\b",       "tab\there",
    "new\nline", "semi; rm -rf /", "glob *?[a]",     "'",          "''",
    "",          "%A_%a",          "!history",       "trailing\\", "-n",
    "ünïcödé ✓"};

// Bash prints every variable NUL-separated; the bytes must be the values.
TEST(ShellQuote, BashReadsBackEveryValueExactly) {
  testing::TempDir dir("gensweep-shell");
  std::vector<ScriptValue> values;
  std::string printer;
  for (std::size_t i = 0; i < kNasty.size(); ++i) {
    values.push_back({"v" + std::to_string(i), kNasty[i], ""});
    printer += "printf '%s\\0' \"$v" + std::to_string(i) + "\"\n";
  }
  values.push_back({"all", kNasty, "every value as an array"});
  printer += "printf '%s\\0' \"${all[@]}\"\n";
  const std::string script =
      fill_values_block("#!/bin/bash\n# @values\n# @end-values\n" + printer, "t.sbatch", values);
  testing::write_text(dir / "t.sh", script);
  const ProcessResult r = run_process({"bash", (dir / "t.sh").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << script;
  std::vector<std::string> got;
  std::string current;
  for (char c : r.out) {
    if (c == '\0') {
      got.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  std::vector<std::string> expected = kNasty;
  expected.insert(expected.end(), kNasty.begin(), kNasty.end());
  EXPECT_EQ(got, expected);
  EXPECT_FALSE(std::filesystem::exists(dir / "pwned"));
  EXPECT_FALSE(std::filesystem::exists("pwned"));
}

TEST(ShellQuote, NulCannotBeQuoted) {
  EXPECT_THROW(shell_quote(std::string("a\0b", 3)), ConfigError);
}

TEST(ShellCommand, PlainWordsStayPlain) {
  EXPECT_EQ(shell_command({"sbatch", "--array=0-3%2", "/a b/c's"}),
            "sbatch --array=0-3%2 '/a b/c'\\''s'");
}

TEST(ValuesBlock, EverythingOutsideTheBlockIsKept) {
  const std::string text =
      "#!/bin/bash\n#SBATCH --x\n# @values\nold=1\n# @end-values\nrun \"$a\"\n";
  EXPECT_EQ(fill_values_block(text, "f", {{"a", "v", "why"}}),
            "#!/bin/bash\n#SBATCH --x\n# @values\na='v'  # why\n# @end-values\nrun \"$a\"\n");
}

TEST(ValuesBlock, MissingOrRepeatedMarkersNameTheTemplate) {
  auto message = [](const std::string& text) {
    try {
      fill_values_block(text, "/t/extract.sbatch", {});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(
      message("#!/bin/bash\necho\n").rfind("/t/extract.sbatch: not a gensweep sbatch template", 0),
      0u);
  EXPECT_EQ(message("# @values\n# @values\n# @end-values\n"),
            "/t/extract.sbatch:2: a second \"# @values\" marker line");
  EXPECT_EQ(message("# @end-values\n"),
            "/t/extract.sbatch:1: \"# @end-values\" without \"# @values\" before it");
}

// The shipped templates, filled in with hostile values, are valid bash.
TEST(Templates, ShippedTemplatesFillToValidScripts) {
  testing::TempDir dir("gensweep-templates");
  for (const char* name : {"extract.sbatch", "reduce.sbatch"}) {
    const auto path = testing::source_dir() / "slurm" / name;
    const std::string filled =
        fill_values_block(testing::read_text(path), path,
                          {{"gensweep", "/opt/gen sweep/$bin", ""},
                           {"job", "/data/it's \"a\" job.toml", ""},
                           {"tasks", "/x/$(id)/tasks.tsv", ""},
                           {"options", std::vector<std::string>{"--output", "/o `x`"}, ""},
                           {"launcher", std::vector<std::string>{"srun", "--mpi=pmix"}, ""}});
    testing::write_text(dir / name, filled);
    const ProcessResult r = run_process({"bash", "-n", (dir / name).string()});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(filled.find("job='/data/it'\\''s \"a\" job.toml'"), std::string::npos) << filled;
  }
}

}  // namespace
}  // namespace gensweep::slurm
