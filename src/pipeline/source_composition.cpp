#include "source_composition.h"

namespace gensweep::pipeline::detail {

std::unordered_map<std::string, std::int64_t> index_by_id(const ImageSource& source) {
  std::unordered_map<std::string, std::int64_t> out;
  out.reserve(static_cast<std::size_t>(source.size()));
  for (std::int64_t i = 0; i < source.size(); ++i)
    out.emplace(source.id(i), i);
  return out;
}

std::string partial_fingerprint(const ImageSource& source, const std::vector<std::int64_t>& indices,
                                const std::vector<std::string>& digests) {
  std::vector<std::string> all(static_cast<std::size_t>(source.size()), "-");
  for (std::size_t k = 0; k < indices.size(); ++k)
    all[static_cast<std::size_t>(indices[k])] = digests[k];
  return source.fingerprint_from(all);
}

}  // namespace gensweep::pipeline::detail
