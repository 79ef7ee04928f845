#include "gensweep/report/write_all.h"

#include "gensweep/core/error.h"
#include "gensweep/report/atomic_file.h"
#include "gensweep/report/csv.h"
#include "gensweep/report/json.h"
#include "gensweep/report/latex.h"
#include "gensweep/report/markdown.h"
#include "gensweep/report/writers.h"  // the umbrella header compiles on its own
#include "sample_results.h"
#include "test_util.h"

#include <algorithm>
#include <thread>

namespace gensweep::report {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir))
    names.push_back(item.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ReportWriteAll, WritesFourFilesAndNoTemporaries) {
  testing::TempDir dir;
  RunResults r = testing::sample_results();
  write_all(r, dir / "out" / "nested");  // creates missing directories
  fs::path out = dir / "out" / "nested";
  EXPECT_EQ(names_in(out),
            (std::vector<std::string>{"results.csv", "results.json", "results.md", "results.tex"}));
  EXPECT_EQ(testing::read_text(out / "results.json"), to_json_text(r));
  EXPECT_EQ(testing::read_text(out / "results.csv"), to_csv(r));
  EXPECT_EQ(testing::read_text(out / "results.md"), markdown_report(r));
  EXPECT_EQ(testing::read_text(out / "results.tex"), latex_document(r, {}));
}

TEST(ReportWriteAll, OverwritesPreviousResults) {
  testing::TempDir dir;
  RunResults r = testing::sample_results();
  write_all(r, dir.path());
  r.job_name = "second";
  r.entries.resize(1);
  write_all(r, dir.path());
  EXPECT_EQ(names_in(dir.path()),
            (std::vector<std::string>{"results.csv", "results.json", "results.md", "results.tex"}));
  EXPECT_EQ(read_json(dir / "results.json").job_name, "second");
  EXPECT_EQ(testing::read_text(dir / "results.csv"), to_csv(r));
}

TEST(ReportWriteAll, OutputDirectoryThatIsAFile) {
  testing::TempDir dir;
  testing::write_text(dir / "taken", "x");
  EXPECT_THROW_WITH(write_all(testing::sample_results(), dir / "taken"), IoError,
                    "cannot create the output directory");
}

TEST(ReportAtomicFile, FailedRenameLeavesNoTemporary) {
  testing::TempDir dir;
  // A directory where the file should go: the data is written, the rename fails.
  fs::create_directory(dir / "results.json");
  EXPECT_THROW_WITH(write_file_atomically(dir / "results.json", "{}"), IoError,
                    "cannot write '" + (dir / "results.json").string() + "': Is a directory");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"results.json"}));
  EXPECT_TRUE(fs::is_directory(dir / "results.json"));
}

TEST(ReportAtomicFile, MissingDirectoryIsAnIoError) {
  testing::TempDir dir;
  EXPECT_THROW_WITH(write_file_atomically(dir / "no" / "such.txt", "x"), IoError,
                    "such.txt': No such file or directory");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{});
}

TEST(ReportAtomicFile, ReplacesContentCompletely) {
  testing::TempDir dir;
  write_file_atomically(dir / "f.txt", std::string(100000, 'a'));
  write_file_atomically(dir / "f.txt", "short");
  EXPECT_EQ(testing::read_text(dir / "f.txt"), "short");
  write_file_atomically(dir / "f.txt", "");
  EXPECT_EQ(testing::read_text(dir / "f.txt"), "");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"f.txt"});
}

TEST(ReportAtomicFile, ConcurrentWritersNeverExposeHalfFiles) {
  // Readers racing the writers must only ever see one complete version.
  testing::TempDir dir;
  fs::path path = dir / "f.txt";
  const std::string a(200000, 'a'), b(300000, 'b');
  write_file_atomically(path, a);
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i)
        write_file_atomically(path, t == 0 ? a : b);
    });
  int torn = 0;
  for (int i = 0; i < 200; ++i) {
    std::string seen = testing::read_text(path);
    if (seen != a && seen != b) ++torn;
  }
  for (auto& w : writers)
    w.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"f.txt"});
}

}  // namespace
}  // namespace gensweep::report
