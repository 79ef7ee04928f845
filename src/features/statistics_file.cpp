#include "gensweep/features/statistics_file.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "gensweep/core/error.h"
#include "gensweep/core/files.h"
#include "gensweep/store/npz_reader.h"
#include "numpy_pickle.h"
#include "pickle.h"
#include "zip_reader.h"

namespace gensweep::features {
namespace {

using detail::Value;
using detail::ValueKind;
using store::Float64Array;

// The two arrays of one statistics set, checked and turned into ImportedStatistics.
ImportedStatistics make_statistics(const std::string& what, Float64Array mean,
                                   Float64Array covariance, std::string format) {
  GENSWEEP_CHECK(mean.shape.size() == 1, IoError, "{}: the mean has {} dimensions; expected (D,)",
                 what, mean.shape.size());
  const std::int64_t d = mean.shape[0];
  GENSWEEP_CHECK(d >= 1, IoError, "{}: the mean is empty", what);
  GENSWEEP_CHECK(covariance.shape == (std::vector<std::int64_t>{d, d}), IoError,
                 "{}: the covariance has shape ({}); expected ({}, {}) to match the mean", what,
                 fmt::join(covariance.shape, ", "), d, d);
  for (std::int64_t i = 0; i < d; ++i)
    GENSWEEP_CHECK(std::isfinite(mean.values[i]), IoError, "{}: mean[{}] is {}", what, i,
                   mean.values[i]);
  ImportedStatistics s;
  s.dim = d;
  s.format = std::move(format);
  s.mean_dtype = mean.stored_dtype;
  s.covariance_dtype = covariance.stored_dtype;
  s.mean = std::move(mean.values);
  s.covariance = std::move(covariance.values);
  auto& c = s.covariance;
  for (std::int64_t i = 0; i < d; ++i) {
    for (std::int64_t j = 0; j <= i; ++j) {
      double& a = c[i * d + j];
      double& b = c[j * d + i];
      GENSWEEP_CHECK(std::isfinite(a) && std::isfinite(b), IoError,
                     "{}: the covariance is not finite at ({}, {})", what, i, j);
      s.max_asymmetry = std::max(s.max_asymmetry, std::abs(a - b));
      // Exactly symmetric files (numpy's np.cov) are left bit for bit as they are.
      if (a != b) a = b = 0.5 * a + 0.5 * b;
    }
  }
  return s;
}

ImportedStatistics read_npz(const std::filesystem::path& file, const std::string& entry) {
  const store::NpzFile npz(file);
  const std::string what = file.string();
  if (entry.empty() || entry == "fid") {
    if (!npz.find("mu") || !npz.find("sigma")) {
      std::string hint;
      if (npz.find("arr_0"))
        hint = "; it holds arr_0, an image sample batch: read it with source = \"npz\"";
      else if (npz.find("feats") || npz.find("reps"))
        hint = "; it holds features (clean-fid 'feats' or dgm-eval 'reps'), not statistics";
      throw IoError(fmt::format("{}: has no 'mu' and 'sigma' (its members: {}){}", what,
                                npz.key_list(), hint));
    }
    const bool adm = npz.find("mu_s") != nullptr;
    return make_statistics(what, npz.read_float64("mu"), npz.read_float64("sigma"),
                           adm ? "ADM reference batch .npz (mu, sigma)" : ".npz (mu, sigma)");
  }
  GENSWEEP_CHECK(entry == "sfid", IoError,
                 "{}: entry '{}' is not one a .npz holds (\"\" or \"fid\" for mu/sigma, \"sfid\" "
                 "for an ADM reference batch's mu_s/sigma_s)",
                 what, entry);
  GENSWEEP_CHECK(npz.find("mu_s") && npz.find("sigma_s"), IoError,
                 "{}: has no 'mu_s' and 'sigma_s' for entry \"sfid\" (its members: {})", what,
                 npz.key_list());
  return make_statistics(what, npz.read_float64("mu_s"), npz.read_float64("sigma_s"),
                         "ADM reference batch .npz (mu_s, sigma_s)");
}

Float64Array array_under(const Value& dict, const std::string& key, const std::string& what) {
  const Value* v = detail::dict_get(dict, key);
  GENSWEEP_CHECK(v != nullptr, IoError, "{}: no '{}' in {}", what, key, detail::describe(dict));
  const detail::NumpyArray* a = detail::numpy_array(*v);
  GENSWEEP_CHECK(a != nullptr, IoError, "{}: '{}' is {}, not a numpy array", what, key,
                 detail::describe(*v));
  const std::span<const std::uint8_t> raw(reinterpret_cast<const std::uint8_t*>(a->raw.data()),
                                          a->raw.size());
  return store::float64_from_raw(a->descr, a->fortran_order, a->shape, raw,
                                 fmt::format("{}: '{}'", what, key));
}

bool holds_statistics(const Value& v) {
  return v.kind == ValueKind::kDict && detail::dict_get(v, "mu") && detail::dict_get(v, "sigma");
}

// The statistics in an unpickled top-level object: {mu, sigma} itself (torch-fidelity), or a dict
// of metric entries each holding one (EDM2).
ImportedStatistics statistics_in(const Value& root, const std::string& what,
                                 const std::string& entry, const std::string& format) {
  GENSWEEP_CHECK(root.kind == ValueKind::kDict, IoError, "{}: holds {}, not a dict of statistics",
                 what, detail::describe(root));
  if (holds_statistics(root)) {
    GENSWEEP_CHECK(entry.empty(), IoError,
                   "{}: holds a single set of statistics; entry '{}' names none", what, entry);
    return make_statistics(what, array_under(root, "mu", what), array_under(root, "sigma", what),
                           format + " (mu, sigma)");
  }
  std::vector<std::string> entries;
  for (const auto& [key, value] : root.entries)
    if (key->is_string() && holds_statistics(*value)) entries.push_back(key->text);
  GENSWEEP_CHECK(!entries.empty(), IoError,
                 "{}: holds no statistics (no dict with 'mu' and 'sigma'; StyleGAN's "
                 "raw_mean/raw_cov caches are not read yet)",
                 what);
  std::string chosen = entry;
  if (chosen.empty()) {
    GENSWEEP_CHECK(entries.size() == 1, IoError,
                   "{}: holds statistics for several metrics ({}); choose one with entry", what,
                   fmt::join(entries, ", "));
    chosen = entries.front();
  }
  const Value* set = detail::dict_get(root, chosen);
  GENSWEEP_CHECK(set != nullptr && holds_statistics(*set), IoError,
                 "{}: has no statistics entry '{}' (it has: {})", what, chosen,
                 fmt::join(entries, ", "));
  const std::string inner = fmt::format("{} entry '{}'", what, chosen);
  ImportedStatistics s =
      make_statistics(inner, array_under(*set, "mu", inner), array_under(*set, "sigma", inner),
                      fmt::format("{} (entry '{}')", format, chosen));
  if (const Value* n = detail::dict_get(root, "num_images"); n && n->kind == ValueKind::kInt)
    s.count = n->integer;
  return s;
}

ImportedStatistics unpickle_statistics(std::span<const std::uint8_t> pickle,
                                       const std::string& what, const std::string& context,
                                       const std::string& entry, const std::string& format) {
  try {
    detail::MemorySource source(pickle);
    detail::Unpickler unpickler(source, context, detail::numpy_array_hooks(what));
    const auto root = unpickler.load();
    return statistics_in(*root, what, entry, format);
  } catch (const BackboneError& e) {
    throw IoError(fmt::format("{}: {}", what, e.what()));
  }
}

ImportedStatistics read_torch_save(const std::filesystem::path& file, const std::string& entry) {
  const std::string what = file.string();
  try {
    const detail::InputFile input(file);
    const detail::ZipReader zip(input);
    for (const auto& e : zip.entries()) {
      if (!e.name.ends_with("/data.pkl")) continue;
      const auto pickle = zip.read(e);
      return unpickle_statistics(pickle, what, e.name, entry, "torch-fidelity torch.save");
    }
  } catch (const BackboneError& e) {
    throw IoError(fmt::format("{}: {}", what, e.what()));
  }
  throw IoError(
      fmt::format("{}: a ZIP that is neither a .npz (KEY.npy members) nor a torch.save "
                  "file (*/data.pkl)",
                  what));
}

// torch.save archives hold "<prefix>/data.pkl"; numpy's hold "KEY.npy" members. Listed through
// the central directory, which torch's stored-with-descriptor members need.
bool is_torch_save(const std::filesystem::path& file) {
  try {
    const detail::InputFile input(file);
    const detail::ZipReader zip(input);
    for (const auto& e : zip.entries())
      if (e.name.ends_with("/data.pkl")) return true;
  } catch (const BackboneError&) {
    // Not a readable central directory: let the .npz reader say what is wrong.
  }
  return false;
}

}  // namespace

ImportedStatistics read_statistics_file(const std::filesystem::path& file,
                                        const std::string& entry) {
  std::error_code ec;
  GENSWEEP_CHECK(std::filesystem::is_regular_file(file, ec), IoError,
                 "{}: no such file (expected a statistics file: .npz, .pkl or torch.save .pt)",
                 file.string());
  std::uint8_t magic[4] = {};
  {
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(magic), 4);
  }
  if (magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
    return is_torch_save(file) ? read_torch_save(file, entry) : read_npz(file, entry);
  }
  if (magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5) {
    const std::string bytes = read_file(file);
    const std::span<const std::uint8_t> pickle(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               bytes.size());
    return unpickle_statistics(pickle, file.string(), "the pickle", entry, "pickle");
  }
  throw IoError(fmt::format(
      "{}: not a statistics file: expected a .npz (ZIP), a pickle (protocol 2-5) or a torch.save "
      "file",
      file.string()));
}

}  // namespace gensweep::features
