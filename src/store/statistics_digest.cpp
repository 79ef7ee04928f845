#include "gensweep/store/statistics_digest.h"

#include "gensweep/store/feature_store.h"

namespace gensweep::store {

std::string statistics_digest(const std::filesystem::path& path) {
  return FeatureStore::open_read(path).statistics_digest();
}

}  // namespace gensweep::store
