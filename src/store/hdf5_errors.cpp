#include "hdf5_errors.h"

#include <mutex>
#include <vector>

namespace gensweep::store::detail {
namespace {

herr_t collect_description(unsigned /*depth*/, const H5E_error2_t* entry, void* data) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  if (entry->desc && *entry->desc) messages->emplace_back(entry->desc);
  return 0;
}

}  // namespace

void quiet_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The library is not built thread-safe, so this setting is process-wide: exactly what we want,
    // because the store is the only module that calls HDF5.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string take_hdf5_error() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_description, &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return {};
  // Walking downward ends at the call that actually failed; the outermost messages are generic
  // ("unable to open file"). Keep the innermost two, which name the cause.
  std::string text = messages.back();
  if (messages.size() >= 2 && messages[messages.size() - 2] != text)
    text = messages[messages.size() - 2] + ": " + text;
  return text;
}

std::string with_hdf5_detail(const std::string& what) {
  std::string detail = take_hdf5_error();
  return detail.empty() ? what : what + " (HDF5: " + detail + ")";
}

}  // namespace gensweep::store::detail
