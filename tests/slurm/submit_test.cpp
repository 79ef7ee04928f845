// `gensweep submit` against the real Slurm cluster of the slurm_cluster fixture: the example
// leaderboard as a job array + dependent reduction whose results equal a local `gensweep run` bit
// for bit; a task cancelled mid-extraction and submitted again resumes from its store; a task
// stopped by Slurm's pre-time-limit signal requeues itself and resumes; a failing task leaves the
// reduction cancelled and `gensweep status` says why; paths with spaces, quotes and `$` reach the
// jobs intact and inject nothing.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "gensweep/store/feature_store.h"
#include "slurm_support.h"
#include "test_util.h"

namespace gensweep::testing::slurm {
namespace {

using nlohmann::json;
using std::chrono::seconds;

CommandOutput gensweep(std::vector<std::string> args) {
  args.insert(args.begin(), GENSWEEP_BINARY);
  return run_command(args);
}

// `gensweep run` outside Slurm with the ranks the Slurm jobs use (site "local": 2 per element and
// for the reduction), so the two must agree bit for bit. (LibTorch's CPU convolutions are not
// invariant to the number of threads per rank, which the rank count sets; see bench/README.md.)
CommandOutput run_locally(const std::filesystem::path& job, const std::filesystem::path& output) {
  const std::string mpirun = std::string(GENSWEEP_MPIEXEC).empty() ? "mpirun" : GENSWEEP_MPIEXEC;
  return run_command({mpirun, "-n", "2", GENSWEEP_BINARY, "run", job.string(), "--output",
                      output.string(), "--quiet"});
}

json status_of(const std::filesystem::path& job, const std::filesystem::path& output) {
  const auto r = gensweep({"status", job.string(), "--output", output.string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "gensweep status --json printed no JSON: " << e.what() << "\n" << r.out;
    return json::object();
  }
}

struct Submitted {
  std::string array_id;  // "" when nothing was extracted
  std::string reduce_id;
  std::string submission_dir;
  std::chrono::system_clock::time_point submitted_at;
};

Submitted submit_job(const std::filesystem::path& job, const std::filesystem::path& output,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"submit",        job.string(), "--output",
                                   output.string(), "--site",     "local"};
  args.insert(args.end(), extra.begin(), extra.end());
  Submitted s;
  s.submitted_at = std::chrono::system_clock::now();
  const auto r = gensweep(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const json st = status_of(job, output);
  if (st.contains("submission") && st["submission"].is_object()) {
    s.array_id = st["submission"]["extract_job_id"];
    s.reduce_id = st["submission"]["reduce_job_id"];
    s.submission_dir = st["submission"]["dir"];
  }
  EXPECT_FALSE(s.reduce_id.empty()) << r.out << r.err;
  return s;
}

json read_json(const std::filesystem::path& path) {
  try {
    return json::parse(read_text(path));
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": " << e.what();
    return json::object();
  }
}

// Every metric value of two results files, which must list the same entries in the same order.
void expect_same_values(const std::filesystem::path& a, const std::filesystem::path& b) {
  const json ja = read_json(a), jb = read_json(b);
  ASSERT_TRUE(ja.contains("entries") && jb.contains("entries"));
  ASSERT_EQ(ja["entries"].size(), jb["entries"].size());
  ASSERT_GT(ja["entries"].size(), 0u);
  for (std::size_t i = 0; i < ja["entries"].size(); ++i) {
    const json& x = ja["entries"][i];
    const json& y = jb["entries"][i];
    for (const char* key : {"reference", "evaluated", "backbone", "metric"})
      EXPECT_EQ(x[key], y[key]) << "entry " << i;
    // Bit for bit: the JSON writer prints 17 significant digits, which round-trip every double.
    if (x["value"].is_number() && y["value"].is_number())
      EXPECT_EQ(x["value"].get<double>(), y["value"].get<double>())
          << x["metric"] << " " << x["evaluated"] << " " << x["backbone"];
    else
      EXPECT_EQ(x["value"], y["value"]);
  }
}

void expect_same_features(const std::filesystem::path& a, const std::filesystem::path& b) {
  auto sa = store::FeatureStore::open_read(a);
  auto sb = store::FeatureStore::open_read(b);
  ASSERT_EQ(sa.layout().rows, sb.layout().rows);
  ASSERT_EQ(sa.layout().dim, sb.layout().dim);
  std::vector<float> fa(sa.layout().rows * sa.layout().dim), fb(fa.size());
  sa.read_features(0, sa.layout().rows, fa.data());
  sb.read_features(0, sb.layout().rows, fb.data());
  EXPECT_EQ(0, std::memcmp(fa.data(), fb.data(), fa.size() * sizeof(float))) << a << " vs " << b;
}

std::chrono::system_clock::time_point parse_time(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

std::string field(const std::string& record, const std::string& key) {
  std::smatch m;
  if (std::regex_search(record, m, std::regex("\\b" + key + "=(\\S+)"))) return m[1];
  return "";
}

// A job whose stores take seconds to extract (a wide random CNN on 224 x 224 inputs, one thread),
// so a test can stop one in the middle: longer than the 5 s between progress lines in a log even
// on an idle machine, or no line shows a store half done. Two datasets, one backbone: two array
// elements.
std::filesystem::path write_slow_job(const std::filesystem::path& dir, int images) {
  const auto job = dir / "slow.toml";
  write_text(job, "[job]\nname = \"slow\"\noutput = \"out\"\npresets = \"" +
                      (source_dir() / "configs").string() +
                      "\"\n[compute]\nbatch_size = 8\nunit_size = 8\nthreads = 1\n"
                      "[[datasets]]\nid = \"a\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\nlimit = " + std::to_string(images) +
                      "\n[[datasets]]\nid = \"b\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\noffset = 400\nlimit = " + std::to_string(images) +
                      "\n[[backbones]]\nid = \"wide\"\nkind = \"random-cnn\"\ndim = 256\nseed = "
                      "3\ninput_size = 224\nwidth = 128\n"
                      "[[comparisons]]\nreference = \"a\"\nevaluated = [\"b\"]\nmetrics = "
                      "[\"fd\", \"precision\", \"recall\"]\n");
  return job;
}

// Waits until the Slurm log of array element `element` shows extraction progress (a line
// "extract <dataset> [<backbone>]  N/T images" with 0 < N < T): the store has finished units.
bool wait_for_progress(const std::filesystem::path& log, seconds timeout) {
  const std::regex progress(R"(extract \S+ \[\S+\]\s+(\d+)/(\d+) images)");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (std::filesystem::exists(log, ec)) {
      const std::string text = read_text(log);
      for (auto it = std::sregex_iterator(text.begin(), text.end(), progress);
           it != std::sregex_iterator(); ++it) {
        const long done = std::stol((*it)[1]), total = std::stol((*it)[2]);
        if (done > 0 && done < total) return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

json store_entry(const json& status, const std::string& dataset, const std::string& backbone) {
  for (const auto& s : status["stores"])
    if (s["dataset"] == dataset && s["backbone"] == backbone) return s;
  ADD_FAILURE() << "no store " << dataset << "/" << backbone << " in status";
  return json::object();
}

TEST(SlurmSubmit, LeaderboardSweepMatchesLocalRunBitwise) {
  TempDir dir("gensweep-slurm-sweep");
  const auto job = source_dir() / "jobs" / "leaderboard.toml";
  const auto sweep = dir / "sweep";
  const Submitted s = submit_job(job, sweep);
  ASSERT_FALSE(s.array_id.empty());
  const auto elements = wait_for_job(s.array_id, seconds(900));
  EXPECT_EQ(elements.size(), 63u);  // 21 datasets x 3 backbones
  for (const auto& e : elements)
    EXPECT_EQ(e.state, "COMPLETED") << e.text;
  const auto reduction = wait_for_job(s.reduce_id, seconds(600));
  ASSERT_EQ(reduction.size(), 1u);
  EXPECT_EQ(reduction[0].state, "COMPLETED")
      << reduction[0].text
      << read_text(std::filesystem::path(s.submission_dir) / "logs" /
                   ("reduce-" + s.reduce_id + ".out"));

  // The submission overhead: submit -> first element running; last element done -> reduction
  // running (Slurm's clock, 1 s resolution).
  auto first_start = std::chrono::system_clock::time_point::max();
  auto last_end = std::chrono::system_clock::time_point::min();
  for (const auto& e : elements) {
    first_start = std::min(first_start, parse_time(field(e.text, "StartTime")));
    last_end = std::max(last_end, parse_time(field(e.text, "EndTime")));
  }
  const auto reduce_start = parse_time(field(reduction[0].text, "StartTime"));
  std::printf(
      "overhead: submit -> first extraction running %.0f s; last extraction done -> "
      "reduction running %.0f s\n",
      std::chrono::duration<double>(first_start -
                                    std::chrono::time_point_cast<seconds>(s.submitted_at))
          .count(),
      std::chrono::duration<double>(reduce_start - last_end).count());

  // The same job run locally, in one process.
  const auto local = dir / "local";
  const auto r = run_locally(job, local);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_values(sweep / "results.json", local / "results.json");
  for (const char* dataset : {"real", "noise16", "warm48"})
    for (const char* backbone : {"pixels32", "rcnn512", "rcnn256"})
      expect_same_features(sweep / "stores" / dataset / (std::string(backbone) + ".h5"),
                           local / "stores" / dataset / (std::string(backbone) + ".h5"));

  // Status: every store complete, results up to date, nothing pending.
  const json st = status_of(job, sweep);
  EXPECT_EQ(st["store_counts"], json({{"complete", 63}}));
  EXPECT_EQ(st["results"]["state"], "up to date");
  EXPECT_EQ(st["submission"]["element_states"], json({{"COMPLETED", 63}}));
  EXPECT_EQ(st["submission"]["reduce_state"], "COMPLETED");

  // Submitting again extracts nothing: every store is complete.
  const Submitted again = submit_job(job, sweep);
  EXPECT_TRUE(again.array_id.empty());
  const auto second = wait_for_job(again.reduce_id, seconds(600));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].state, "COMPLETED") << second[0].text;
  expect_same_values(sweep / "results.json", local / "results.json");
}

TEST(SlurmSubmit, CancelledTaskResumesWhenSubmittedAgain) {
  TempDir dir("gensweep-slurm-cancel");
  const auto job = write_slow_job(dir.path(), 96);
  const auto output = dir / "out";
  // One element at a time, so the second waits while the first is cancelled.
  const Submitted s = submit_job(job, output, {"--array-throttle", "1"});
  ASSERT_FALSE(s.array_id.empty());
  const auto log =
      std::filesystem::path(s.submission_dir) / "logs" / ("extract-" + s.array_id + "_0.out");
  ASSERT_TRUE(wait_for_progress(log, seconds(300))) << read_text(log);
  const auto cancel = run_command({"scancel", s.array_id});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  const auto elements = wait_for_job(s.array_id, seconds(120));
  for (const auto& e : elements)
    EXPECT_EQ(e.state, "CANCELLED") << e.text;
  const auto reduction = wait_for_job(s.reduce_id, seconds(60));
  ASSERT_EQ(reduction.size(), 1u);
  EXPECT_EQ(reduction[0].state, "CANCELLED") << reduction[0].text;  // its dependency can never hold

  // The store keeps the units finished before the cancel.
  json st = status_of(job, output);
  const json partial = store_entry(st, "a", "wide");
  EXPECT_EQ(partial["state"], "partial") << st.dump(2);
  const int done = partial["units_done"];
  EXPECT_GT(done, 0);
  EXPECT_LT(done, 12);

  // Submitted again: both stores are extracted (a resumes, b starts), and a computes only the
  // units it lacked.
  const Submitted again = submit_job(job, output);
  ASSERT_FALSE(again.array_id.empty());
  for (const auto& e : wait_for_job(again.array_id, seconds(600)))
    EXPECT_EQ(e.state, "COMPLETED") << e.text;
  const auto second_reduction = wait_for_job(again.reduce_id, seconds(300));
  ASSERT_EQ(second_reduction.size(), 1u);
  EXPECT_EQ(second_reduction[0].state, "COMPLETED") << second_reduction[0].text;
  const std::string resumed_log = read_text(std::filesystem::path(again.submission_dir) / "logs" /
                                            ("extract-" + again.array_id + "_0.out"));
  EXPECT_NE(resumed_log.find("(resumed): 96 of 96 images valid, " + std::to_string(12 - done) +
                             " units computed"),
            std::string::npos)
      << resumed_log;

  // And the result is the one a local run gets.
  const auto local = dir / "local";
  const auto r = run_locally(job, local);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_values(output / "results.json", local / "results.json");
  expect_same_features(output / "stores" / "a" / "wide.h5", local / "stores" / "a" / "wide.h5");
}

TEST(SlurmSubmit, SignalBeforeTimeLimitRequeuesAndResumes) {
  TempDir dir("gensweep-slurm-requeue");
  const auto job = write_slow_job(dir.path(), 96);
  const auto output = dir / "out";
  const Submitted s = submit_job(job, output, {"--array-throttle", "1"});
  ASSERT_FALSE(s.array_id.empty());
  const auto log =
      std::filesystem::path(s.submission_dir) / "logs" / ("extract-" + s.array_id + "_0.out");
  ASSERT_TRUE(wait_for_progress(log, seconds(300))) << read_text(log);
  // What Slurm does at --signal=B:USR1@S before the time limit: SIGUSR1 to the batch shell, which
  // is the launcher (exec).
  const auto element = s.array_id + "_0";
  const auto sig = run_command({"scancel", "--batch", "--signal=USR1", element});
  EXPECT_EQ(sig.exit_code, 0) << sig.err;
  for (const auto& e : wait_for_job(s.array_id, seconds(600)))
    EXPECT_EQ(e.state, "COMPLETED") << e.text;
  const auto reduction = wait_for_job(s.reduce_id, seconds(300));
  ASSERT_EQ(reduction.size(), 1u);
  EXPECT_EQ(reduction[0].state, "COMPLETED") << reduction[0].text;
  const std::string text = read_text(log);  // --open-mode=append: both runs
  EXPECT_NE(text.find("requeued; it resumes from the store"), std::string::npos) << text;
  EXPECT_NE(text.find("(resumed): 96 of 96 images valid"), std::string::npos) << text;

  const auto local = dir / "local";
  const auto r = run_locally(job, local);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_values(output / "results.json", local / "results.json");
}

TEST(SlurmSubmit, FailingTaskCancelsReductionAndStatusSaysWhy) {
  TempDir dir("gensweep-slurm-failure");
  // A weights file that exists (the job validates) but is not a checkpoint: the task that builds
  // this backbone fails; the pixels tasks succeed.
  write_text(dir / "broken.pth", "not a checkpoint\n");
  const auto job = dir / "job.toml";
  write_text(job, "[job]\nname = \"failing\"\noutput = \"out\"\npresets = \"" +
                      (source_dir() / "configs").string() +
                      "\"\n[[datasets]]\nid = \"a\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\nlimit = 32\n[[datasets]]\nid = \"b\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\noffset = 32\nlimit = 32\n"
                      "[[backbones]]\nid = \"pixels\"\npreset = \"pixels-32\"\n"
                      "[[backbones]]\nid = \"inception\"\npreset = \"fid-inception\"\n"
                      "weights = \"broken.pth\"\n"
                      "[[comparisons]]\nreference = \"a\"\nevaluated = [\"b\"]\n");
  const auto output = dir / "out";
  const Submitted s = submit_job(job, output);
  ASSERT_FALSE(s.array_id.empty());
  int failed = 0, completed = 0;
  for (const auto& e : wait_for_job(s.array_id, seconds(300))) {
    failed += e.state == "FAILED";
    completed += e.state == "COMPLETED";
  }
  EXPECT_EQ(failed, 2);
  EXPECT_EQ(completed, 2);
  const auto reduction = wait_for_job(s.reduce_id, seconds(60));
  ASSERT_EQ(reduction.size(), 1u);
  EXPECT_EQ(reduction[0].state, "CANCELLED") << reduction[0].text;

  const json st = status_of(job, output);
  const json broken = store_entry(st, "a", "inception");
  EXPECT_EQ(broken["state"], "failed") << st.dump(2);
  EXPECT_NE(broken["error"].get<std::string>().find("broken.pth"), std::string::npos)
      << broken.dump(2);
  EXPECT_NE(broken["error"].get<std::string>().find("exit 6"), std::string::npos) << broken.dump(2);
  EXPECT_EQ(store_entry(st, "a", "pixels")["state"], "complete");
  EXPECT_EQ(st["submission"]["reduce_state"], "CANCELLED");
  const std::string why = st["submission"]["reduce_error"];
  EXPECT_NE(why.find("failed"), std::string::npos) << why;
  EXPECT_NE(why.find("inception"), std::string::npos) << why;
  // The human-readable status says the same.
  const auto text = gensweep({"status", job.string(), "--output", output.string()});
  EXPECT_NE(text.out.find("broken.pth"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("CANCELLED"), std::string::npos) << text.out;
}

TEST(SlurmSubmit, PathsWithSpacesQuotesAndDollarsReachTheJobIntact) {
  TempDir dir("gensweep-slurm-quoting");
  // A folder name that would break or inject into a naively written script.
  const auto odd = dir / "it's a \"job\" $HOME `touch pwned1` $(touch pwned2) %x";
  std::filesystem::create_directories(odd);
  const auto job = odd / "job $USER.toml";
  write_text(job, "[job]\nname = \"quoting\"\noutput = \"out $PATH 'q'\"\npresets = \"" +
                      (source_dir() / "configs").string() +
                      "\"\n[[datasets]]\nid = \"a\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\nlimit = 24\n[[datasets]]\nid = \"b\"\nsource = \"folder\"\npath = \"" +
                      (source_dir() / "data" / "cifar10-846").string() +
                      "\"\noffset = 24\nlimit = 24\n"
                      "[[backbones]]\nid = \"pixels\"\npreset = \"pixels-32\"\n"
                      "[[comparisons]]\nreference = \"a\"\nevaluated = [\"b\"]\n");
  const auto output = odd / "out $PATH 'q'";
  const Submitted s = submit_job(job, output);
  ASSERT_FALSE(s.array_id.empty());
  // A failing element shows its own log (its gensweep error) beside Slurm's record.
  const auto element_log = [&](const JobRecord& e) {
    const auto task = e.array_id.substr(e.array_id.find('_') + 1);
    const auto log = std::filesystem::path(s.submission_dir) / "logs" /
                     ("extract-" + s.array_id + "_" + task + ".out");
    return std::filesystem::exists(log) ? read_text(log) : "(no log at " + log.string() + ")";
  };
  for (const auto& e : wait_for_job(s.array_id, seconds(300)))
    EXPECT_EQ(e.state, "COMPLETED") << e.text << element_log(e);
  const auto reduction = wait_for_job(s.reduce_id, seconds(120));
  ASSERT_EQ(reduction.size(), 1u);
  EXPECT_EQ(reduction[0].state, "COMPLETED") << reduction[0].text;
  EXPECT_TRUE(std::filesystem::exists(output / "results.json"));
  // Nothing was executed from the names: no file "pwned*" anywhere the jobs ran.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    EXPECT_NE(entry.path().filename(), "pwned1") << entry.path();
    EXPECT_NE(entry.path().filename(), "pwned2") << entry.path();
  }
  // The logs are where status says, under the odd name (a '%' in it is not a Slurm pattern).
  const auto logs = std::filesystem::path(s.submission_dir) / "logs";
  EXPECT_TRUE(std::filesystem::exists(logs / ("extract-" + s.array_id + "_0.out"))) << logs;
  EXPECT_TRUE(std::filesystem::exists(logs / ("reduce-" + s.reduce_id + ".out"))) << logs;
  for (const auto& where : {std::filesystem::path(s.submission_dir), source_dir()})
    for (const char* name : {"pwned1", "pwned2"})
      EXPECT_FALSE(std::filesystem::exists(where / name)) << where / name;
}

}  // namespace
}  // namespace gensweep::testing::slurm
