#pragma once
// What the sources made of other datasets' images (region-derived, mixture) share. Private to the
// pipeline.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gensweep/pipeline/image_source.h"

namespace gensweep::pipeline::detail {

// Each id of `source` to its index (the first, should a source repeat an id).
std::unordered_map<std::string, std::int64_t> index_by_id(const ImageSource& source);

// The fingerprint `source` gives when only the images at `indices` are known, with `digests` (one
// per index, in that order): the others count as "-". A function of exactly what was read, so a
// change in any image used changes it, and of what the source is (its description, its
// distortion), as its own fingerprint is.
std::string partial_fingerprint(const ImageSource& source, const std::vector<std::int64_t>& indices,
                                const std::vector<std::string>& digests);

// A derived source whose distortion applies inside a region only (make_derived_source).
std::shared_ptr<ImageSource> make_region_source(std::shared_ptr<ImageSource> base,
                                                std::string base_id, io::Distortion distortion,
                                                LabelRegion region);

}  // namespace gensweep::pipeline::detail
