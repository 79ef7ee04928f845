#pragma once
// A metric group's result in the one archive format that crosses ranks (core/archive.h): values
// with their exact bits, diagnostics as CBOR (which, unlike JSON text, keeps NaN and infinities),
// per-sample arrays. Private to the pipeline module.

#include "gensweep/core/archive.h"
#include "gensweep/pipeline/metric_group.h"

namespace gensweep::pipeline {

void encode_group_result(const GroupResult& result, ByteWriter& out);
GroupResult decode_group_result(ByteReader& in);

}  // namespace gensweep::pipeline
