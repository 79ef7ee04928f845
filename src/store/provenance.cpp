#include "gensweep/store/provenance.h"

#include <fmt/format.h>

#include <algorithm>

namespace gensweep::store {

std::string AttributeMismatch::message() const {
  if (!stored)
    return fmt::format("attribute '{}' is missing from the store, job expects '{}'", key, expected);
  return fmt::format("attribute '{}' differs: store has '{}', job expects '{}'", key, *stored,
                     expected);
}

std::optional<AttributeMismatch> find_mismatch(const Attributes& stored,
                                               const Attributes& expected) {
  for (const auto& [key, value] : expected) {
    if (std::find(kProvenanceKeysNotCompared.begin(), kProvenanceKeysNotCompared.end(), key) !=
        kProvenanceKeysNotCompared.end())
      continue;
    const auto found = stored.find(key);
    if (found == stored.end()) return AttributeMismatch{key, std::nullopt, value};
    if (found->second != value) return AttributeMismatch{key, found->second, value};
  }
  return std::nullopt;
}

std::optional<std::string> describe_mismatch(const Attributes& stored, const Attributes& expected) {
  if (auto m = find_mismatch(stored, expected)) return m->message();
  return std::nullopt;
}

}  // namespace gensweep::store
