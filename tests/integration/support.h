#pragma once
// Running the real gensweep binary (alone or under mpirun) and making small image datasets.

#include <filesystem>
#include <string>
#include <vector>

#include "gensweep/core/matrix_view.h"
#include "test_util.h"

namespace gensweep::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `gensweep args...` (under `mpirun -n ranks` when ranks > 0) in `cwd`.
CommandResult run_gensweep(const std::vector<std::string>& args, int ranks = 0,
                           const std::filesystem::path& cwd = {});

// Copies the first `count` images of the bundled CIFAR-10 set (data/cifar10-846) into `dir`.
void copy_cifar_images(const std::filesystem::path& dir, int first, int count);

// Overwrites one provenance attribute of a store (as a store written by another version of the
// job would hold it): a variable-length UTF-8 string attribute on the root group.
void set_store_attribute(const std::filesystem::path& store, const std::string& key,
                         const std::string& value);

// Ages every file under `dir` by a minute, so that the input manifest trusts their stat records
// (pipeline/input_digests.h: files modified within 2 s of being hashed are hashed again).
void age_files(const std::filesystem::path& dir);

// All features of a store, as written (invalid rows included).
FeatureMatrix read_store_features(const std::filesystem::path& store);

// Expects two stores to hold the same bits: features, validity, ids and statistics.
void expect_same_store(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace gensweep::testing
