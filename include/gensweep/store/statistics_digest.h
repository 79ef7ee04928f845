#pragma once
// A digest of a complete store's statistics that reads only /stats/count and /stats/mean (D
// doubles), not the D x D scatter: what the caches of the reduce stage use to tell a rebuilt store
// from the old one (pipeline/reference_cache.h, set_identity). The store must be closed for
// writing; readers may have it open.

#include <filesystem>
#include <string>

namespace gensweep::store {

// sha256 (hex) of the int64 /stats/count followed by the float64 /stats/mean, as little-endian
// bytes. Throws StoreError naming the file when it cannot be read or has no statistics yet.
std::string statistics_digest(const std::filesystem::path& store);

}  // namespace gensweep::store
