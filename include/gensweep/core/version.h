#pragma once
// Tool version and the git commit it was built from: provenance for every store and result.

namespace gensweep {
const char* tool_version();  // "0.1.0"
const char* git_commit();    // short hash, or "unknown" outside a git checkout
}  // namespace gensweep
