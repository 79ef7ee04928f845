#include "gensweep/slurm/submission.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <fstream>

#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/core/log.h"
#include "gensweep/core/strings.h"
#include "gensweep/report/atomic_file.h"

namespace gensweep::slurm {
namespace {

std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d-%H%M%S", &tm);
  return text;
}

}  // namespace

std::filesystem::path submissions_dir(const std::filesystem::path& output_dir) {
  return output_dir / "slurm";
}

std::filesystem::path create_submission_dir(const std::filesystem::path& output_dir,
                                            std::string* id) {
  const auto parent = submissions_dir(output_dir);
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  GENSWEEP_CHECK(!ec, IoError, "cannot create '{}': {}", parent.string(), ec.message());
  const std::string stamp = utc_stamp();
  for (int suffix = 0; suffix < 1000; ++suffix) {
    const std::string name = suffix == 0 ? stamp : fmt::format("{}-{}", stamp, suffix);
    const auto dir = parent / name;
    // create_directory is atomic: two submits in the same second get different names.
    if (std::filesystem::create_directory(dir, ec)) {
      std::filesystem::create_directory(dir / "logs");
      std::filesystem::create_directory(dir / "status");
      if (id) *id = name;
      return dir;
    }
    GENSWEEP_CHECK(!ec, IoError, "cannot create '{}': {}", dir.string(), ec.message());
  }
  throw IoError(
      fmt::format("cannot find a free submission directory name in '{}'", parent.string()));
}

void write_submission(const Submission& s) {
  nlohmann::json j;
  j["id"] = s.id;
  j["created_utc"] = s.created_utc;
  j["job_name"] = s.job_name;
  j["job_file"] = s.job_file;
  j["config_hash"] = s.config_hash;
  j["extract_job_id"] = s.extract_job_id;
  j["reduce_job_id"] = s.reduce_job_id;
  j["extract_command"] = s.extract_command;
  j["reduce_command"] = s.reduce_command;
  j["settings"] = s.settings;
  j["submit_seconds"] = s.submit_seconds;
  j["elements"] = nlohmann::json::array();
  for (const auto& e : s.elements)
    j["elements"].push_back({{"index", e.index}, {"dataset", e.dataset}, {"backbone", e.backbone}});
  report::write_file_atomically(s.dir / "submission.json", j.dump(2) + "\n");
}

std::vector<Submission> read_submissions(const std::filesystem::path& output_dir) {
  std::vector<Submission> out;
  const auto parent = submissions_dir(output_dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(parent, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const auto file = entry.path() / "submission.json";
    if (!std::filesystem::exists(file, ec)) continue;
    try {
      const auto j = nlohmann::json::parse(read_file(file, "submission record"));
      Submission s;
      s.id = j.at("id").get<std::string>();
      s.dir = entry.path();
      s.created_utc = j.at("created_utc").get<std::string>();
      s.job_name = j.at("job_name").get<std::string>();
      s.job_file = j.at("job_file").get<std::string>();
      s.config_hash = j.at("config_hash").get<std::string>();
      s.extract_job_id = j.at("extract_job_id").get<std::string>();
      s.reduce_job_id = j.at("reduce_job_id").get<std::string>();
      s.extract_command = j.at("extract_command").get<std::vector<std::string>>();
      s.reduce_command = j.at("reduce_command").get<std::vector<std::string>>();
      s.settings = j.at("settings");
      s.submit_seconds = j.value("submit_seconds", 0.0);
      for (const auto& e : j.at("elements"))
        s.elements.push_back({e.at("index").get<int>(), e.at("dataset").get<std::string>(),
                              e.at("backbone").get<std::string>()});
      out.push_back(std::move(s));
    } catch (const std::exception& e) {
      log::warn("{}: not a readable submission record, skipped ({})", file.string(), e.what());
    }
  }
  // Directory names are UTC stamps (+ "-N" suffixes), so name order is time order.
  std::sort(out.begin(), out.end(), [](const Submission& a, const Submission& b) {
    return a.created_utc != b.created_utc ? a.created_utc < b.created_utc : a.id < b.id;
  });
  return out;
}

void write_tasks_file(const std::filesystem::path& path,
                      const std::vector<ExtractionElement>& elements) {
  std::string text;
  for (const auto& e : elements)
    text += e.dataset + "\t" + e.backbone + "\n";  // ids are validated names: no tabs, newlines
  report::write_file_atomically(path, text);
}

ExtractionElement read_task(const std::filesystem::path& path, int index) {
  std::ifstream in(path);
  GENSWEEP_CHECK(in.good(), IoError, "--tasks: cannot read '{}'", path.string());
  std::string line;
  int lines = 0;
  for (int i = 0; std::getline(in, line); ++i, ++lines) {
    if (i != index) continue;
    auto fields = split(line, '\t');
    GENSWEEP_CHECK(fields.size() == 2 && !fields[0].empty() && !fields[1].empty(), IoError,
                   "{}:{}: expected \"dataset<TAB>backbone\", got '{}'", path.string(), i + 1,
                   line);
    return {index, fields[0], fields[1]};
  }
  throw UsageError(fmt::format("--task {}: '{}' has no line {} (it lists {} tasks, 0..{})", index,
                               path.string(), index + 1, lines, lines - 1));
}

void write_outcome(const std::filesystem::path& path, const ProcessOutcome& o) {
  nlohmann::json j = {{"state", o.state},
                      {"exit_code", o.exit_code},
                      {"error_kind", o.error_kind},
                      {"message", o.message},
                      {"slurm_job_id", o.slurm_job_id},
                      {"host", o.host},
                      {"finished_utc", o.finished_utc}};
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  report::write_file_atomically(path, j.dump(2) + "\n");
}

std::optional<ProcessOutcome> read_outcome(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(read_file(path, "process outcome"));
    ProcessOutcome o;
    o.state = j.at("state").get<std::string>();
    o.exit_code = j.at("exit_code").get<int>();
    o.error_kind = j.value("error_kind", "");
    o.message = j.value("message", "");
    o.slurm_job_id = j.value("slurm_job_id", "");
    o.host = j.value("host", "");
    o.finished_utc = j.value("finished_utc", "");
    return o;
  } catch (const std::exception& e) {
    log::warn("{}: unreadable process outcome, ignored ({})", path.string(), e.what());
    return std::nullopt;
  }
}

}  // namespace gensweep::slurm
