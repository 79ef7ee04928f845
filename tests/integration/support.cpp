#include "support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include <hdf5.h>

#include <chrono>

#include "gensweep/store/feature_store.h"

namespace gensweep::testing {

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

CommandResult run_gensweep(const std::vector<std::string>& args, int ranks,
                           const std::filesystem::path& cwd) {
  TempDir capture("gensweep-cmd");
  std::string cmd;
  if (!cwd.empty()) cmd += fmt::format("cd {} && ", shell_quote(cwd.string()));
  if (ranks > 0) {
    // Tests run as root in CI containers; Open MPI refuses that unless told explicitly.
    cmd += fmt::format("{} -n {} --oversubscribe {}-x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 ",
                       GENSWEEP_MPIEXEC, ranks, geteuid() == 0 ? "--allow-run-as-root " : "");
  }
  cmd += shell_quote(GENSWEEP_BINARY);
  for (const auto& a : args)
    cmd += fmt::format(" {}", shell_quote(a));
  cmd += fmt::format(" >{} 2>{}", shell_quote((capture / "out").string()),
                     shell_quote((capture / "err").string()));
  CommandResult r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(capture / "out");
  r.err = read_text(capture / "err");
  return r;
}

void copy_cifar_images(const std::filesystem::path& dir, int first, int count) {
  std::filesystem::create_directories(dir);
  for (int i = first; i < first + count; ++i) {
    auto name = fmt::format("{:04d}.png", i);
    std::filesystem::copy_file(source_dir() / "data" / "cifar10-846" / name, dir / name,
                               std::filesystem::copy_options::overwrite_existing);
  }
}

void set_store_attribute(const std::filesystem::path& store, const std::string& key,
                         const std::string& value) {
  const hid_t file = H5Fopen(store.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0) << store;
  if (H5Aexists(file, key.c_str()) > 0) H5Adelete(file, key.c_str());
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(file, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* text = value.c_str();
  EXPECT_GE(H5Awrite(attribute, type, &text), 0);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
}

void age_files(const std::filesystem::path& dir) {
  const auto then = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(1);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) std::filesystem::last_write_time(e.path(), then);
}

FeatureMatrix read_store_features(const std::filesystem::path& path) {
  auto st = store::FeatureStore::open_read(path);
  FeatureMatrix m(st.layout().rows, st.layout().dim);
  st.read_features(0, m.rows, m.values.data());
  return m;
}

void expect_same_store(const std::filesystem::path& a, const std::filesystem::path& b) {
  SCOPED_TRACE(a.string() + " vs " + b.string());
  auto sa = store::FeatureStore::open_read(a), sb = store::FeatureStore::open_read(b);
  ASSERT_EQ(sa.layout().rows, sb.layout().rows);
  ASSERT_EQ(sa.layout().dim, sb.layout().dim);
  auto fa = read_store_features(a), fb = read_store_features(b);
  EXPECT_EQ(0, std::memcmp(fa.values.data(), fb.values.data(), fa.values.size() * sizeof(float)));
  EXPECT_EQ(sa.read_valid(), sb.read_valid());
  EXPECT_EQ(sa.read_ids(), sb.read_ids());
  auto ta = sa.read_statistics(), tb = sb.read_statistics();
  ASSERT_TRUE(ta && tb);
  EXPECT_EQ(ta->count, tb->count);
  EXPECT_EQ(0, std::memcmp(ta->mean.data(), tb->mean.data(), ta->mean.size() * sizeof(double)));
  EXPECT_EQ(
      0, std::memcmp(ta->scatter.data(), tb->scatter.data(), ta->scatter.size() * sizeof(double)));
}

}  // namespace gensweep::testing
