#include "slurm_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace gensweep::testing::slurm {

std::filesystem::path cluster_root() {
  const char* root = std::getenv("GENSWEEP_SLURM_ROOT");
  return root != nullptr && *root != '\0' ? root : GENSWEEP_SLURM_ROOT;
}

CommandOutput run_command(const std::vector<std::string>& argv) {
  // Output goes through files, not pipes: no deadlock however much a command prints.
  TempDir capture("gensweep-slurm-cmd");
  const auto out_path = capture / "out";
  const auto err_path = capture / "err";
  CommandOutput result;
  const pid_t child = fork();
  if (child == 0) {
    if (!std::freopen(out_path.c_str(), "w", stdout) ||
        !std::freopen(err_path.c_str(), "w", stderr))
      _exit(127);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s\n", args[0]);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

std::string submit(const std::vector<std::string>& sbatch_args) {
  std::vector<std::string> argv{"sbatch", "--parsable"};
  argv.insert(argv.end(), sbatch_args.begin(), sbatch_args.end());
  const CommandOutput r = run_command(argv);
  // --parsable prints "ID" or "ID;CLUSTER".
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    ADD_FAILURE() << "sbatch failed (exit " << r.exit_code << "): " << r.err << r.out;
    return "";
  }
  return id;
}

bool is_final_state(const std::string& state) {
  static const std::set<std::string> kFinal = {
      "BOOT_FAIL",     "CANCELLED", "COMPLETED", "DEADLINE",     "FAILED", "NODE_FAIL",
      "OUT_OF_MEMORY", "PREEMPTED", "REVOKED",   "SPECIAL_EXIT", "TIMEOUT"};
  return kFinal.count(state) > 0;
}

namespace {

// The value of "Key=value" in a record (values end at whitespace), or "".
std::string field(const std::string& record, const std::string& key) {
  std::size_t pos = 0;
  while ((pos = record.find(key + "=", pos)) != std::string::npos) {
    // A whole key: at the start or after whitespace.
    if (pos == 0 || std::isspace(static_cast<unsigned char>(record[pos - 1]))) {
      const std::size_t begin = pos + key.size() + 1;
      const std::size_t end = record.find_first_of(" \t\n", begin);
      return record.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    pos += key.size();
  }
  return "";
}

std::vector<JobRecord> parse_records(const std::string& text) {
  std::vector<JobRecord> records;
  std::istringstream lines(text);
  std::string line;
  std::string current;
  auto flush = [&] {
    if (current.find("JobId=") != std::string::npos) {
      JobRecord r;
      r.id = field(current, "JobId");
      const std::string array_job = field(current, "ArrayJobId");
      if (!array_job.empty()) r.array_id = array_job + "_" + field(current, "ArrayTaskId");
      r.state = field(current, "JobState");
      r.exit_code = field(current, "ExitCode");
      r.text = current;
      records.push_back(r);
    }
    current.clear();
  };
  // Records are separated by blank lines.
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) {
      flush();
    } else {
      current += line + "\n";
    }
  }
  flush();
  return records;
}

}  // namespace

std::vector<JobRecord> wait_for_job(const std::string& job_id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<JobRecord> records;
  std::string last;
  while (true) {
    const CommandOutput r = run_command({"scontrol", "show", "job", job_id});
    last = r.err + r.out;
    if (r.exit_code == 0) {
      records = parse_records(r.out);
      bool final = !records.empty();
      for (const auto& record : records)
        final = final && is_final_state(record.state);
      // A pending array shows one record for its unstarted elements: all final means all done.
      if (final) return records;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "job " << job_id << " not finished after " << timeout.count()
                    << " ms; scontrol show job says:\n"
                    << last;
      return records;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace gensweep::testing::slurm
