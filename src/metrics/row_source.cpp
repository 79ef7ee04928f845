#include "gensweep/metrics/row_source.h"

#include <cstring>

#include "gensweep/core/error.h"

namespace gensweep::metrics {

MatrixRowSource::MatrixRowSource(FeatureView view) : view_(view) {}

void MatrixRowSource::read(std::int64_t begin, std::int64_t count, float* out) const {
  GENSWEEP_ASSERT(begin >= 0 && count >= 0 && begin + count <= view_.rows,
                  "MatrixRowSource: rows [{}, {}) of {}", begin, begin + count, view_.rows);
  if (count > 0)
    std::memcpy(out, view_.row(begin),
                sizeof(float) * static_cast<std::size_t>(count * view_.cols));
}

}  // namespace gensweep::metrics
