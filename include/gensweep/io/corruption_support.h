#pragma once
// Which corruptions this build implements, per severity (corruption.h).

#include "gensweep/io/corruption.h"

namespace gensweep::io {

// Whether corrupt() implements `name` at `severity`: corruption_implemented(name), except spatter,
// whose severities 1-3 ("water": OpenCV's Canny, distanceTransform and equalizeHist) are not
// ported yet; severities 4-5 ("mud") are.
bool corruption_implemented(CorruptionName name, int severity);

}  // namespace gensweep::io
