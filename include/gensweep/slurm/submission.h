#pragma once
// The record of one `gensweep submit`: a directory <output>/slurm/<id>/ holding
//   submission.json      what was submitted: tasks, job ids, the sbatch command lines, settings
//   tasks.tsv            extraction tasks, one "dataset<TAB>backbone" per line (line i = element i)
//   extract.sbatch       the filled-in templates, exactly as submitted
//   reduce.sbatch
//   logs/                Slurm's output files (extract-<array>_<element>.out, reduce-<job>.out)
//   status/              one JSON per finished gensweep process (extract-<element>.json,
//                        reduce.json): its outcome and error message, so `gensweep status` can
//                        say why a task failed without Slurm accounting.
// The layout is documented in results_schema/STORE_LAYOUT.md ("Slurm submissions").

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gensweep::slurm {

struct ExtractionElement {
  int index = 0;  // the array index
  std::string dataset;
  std::string backbone;
};

struct Submission {
  std::string id;             // the directory name: UTC time "YYYYMMDD-HHMMSS", unique
  std::filesystem::path dir;  // <output>/slurm/<id>
  std::string created_utc;
  std::string job_name;
  std::string job_file;
  std::string config_hash;
  std::vector<ExtractionElement> elements;  // empty: every store was complete
  std::string extract_job_id;               // the array's id; "" when no elements
  std::string reduce_job_id;
  std::vector<std::string> extract_command;  // sbatch arguments, as run
  std::vector<std::string> reduce_command;
  nlohmann::json settings = nlohmann::json::object();  // the resolved Slurm settings
  double submit_seconds = 0;                           // time spent in sbatch calls
};

// <output>/slurm
std::filesystem::path submissions_dir(const std::filesystem::path& output_dir);

// Creates a new, empty submission directory (with logs/ and status/) named after the current UTC
// time, with a suffix when that name is taken.
std::filesystem::path create_submission_dir(const std::filesystem::path& output_dir,
                                            std::string* id);

void write_submission(const Submission& submission);  // submission.json, atomically
// Every readable submission of the output directory, oldest first. Damaged records are skipped
// with a warning naming the file.
std::vector<Submission> read_submissions(const std::filesystem::path& output_dir);

// tasks.tsv
void write_tasks_file(const std::filesystem::path& path,
                      const std::vector<ExtractionElement>& elements);
// Line `index` of a tasks file. Throws IoError naming the file and the line when the file cannot be
// read or the line is malformed, UsageError when the file has no line `index` (--task).
ExtractionElement read_task(const std::filesystem::path& path, int index);

// The outcome of one gensweep process, written by `--status-file` (state "done", "failed" or
// "interrupted").
struct ProcessOutcome {
  std::string state;
  int exit_code = 0;
  std::string error_kind;  // "" when done
  std::string message;     // the error message
  std::string slurm_job_id;
  std::string host;
  std::string finished_utc;
};
void write_outcome(const std::filesystem::path& path, const ProcessOutcome& outcome);
std::optional<ProcessOutcome> read_outcome(const std::filesystem::path& path);

}  // namespace gensweep::slurm
