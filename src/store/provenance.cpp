#include "gensweep/store/provenance.h"

#include <fmt/format.h>

#include <algorithm>

namespace gensweep::store {

std::optional<std::string> describe_mismatch(const Attributes& stored, const Attributes& expected) {
  for (const auto& [key, value] : expected) {
    if (std::find(kProvenanceKeysNotCompared.begin(), kProvenanceKeysNotCompared.end(), key) !=
        kProvenanceKeysNotCompared.end())
      continue;
    const auto found = stored.find(key);
    if (found == stored.end())
      return fmt::format("attribute '{}' is missing from the store, job expects '{}'", key, value);
    if (found->second != value)
      return fmt::format("attribute '{}' differs: store has '{}', job expects '{}'", key,
                         found->second, value);
  }
  return std::nullopt;
}

}  // namespace gensweep::store
