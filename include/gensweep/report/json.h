#pragma once
// results.json: the complete, machine-readable record of a run, described by
// results_schema/results.schema.json ("gensweep-results", schema_version 1).
//
// Doubles are written in the shortest form that parses back to the identical double (never
// rounded to a display precision). JSON has no NaN or infinity: a non-finite number is written as
// null and its entry's diagnostics gain "non_finite": {"<JSON pointer into the entry>": "nan" |
// "inf" | "-inf"}, e.g. {"/value": "nan", "/diagnostics/min_eigenvalue": "-inf"}; read_json puts
// the non-finite values back. Strings that are not valid UTF-8 (file names are bytes on Linux) are
// written with U+FFFD in place of the bad bytes rather than failing at the end of a run.

#include "gensweep/report/results.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace gensweep::report {

nlohmann::json to_json(const RunResults& results);
// The text of results.json: to_json with keys in schema order, indented, newline-terminated.
std::string to_json_text(const RunResults& results);
// Writes results.json atomically (see atomic_file.h). Throws IoError.
void write_json(const RunResults& results, const std::filesystem::path& path);

// The inverse of to_json. Throws IoError when the document is not gensweep-results, has a newer
// schema_version, or lacks or mistypes a field.
RunResults results_from_json(const nlohmann::json& document);
// Reads and parses a results.json. Throws IoError naming the path.
RunResults read_json(const std::filesystem::path& path);

}  // namespace gensweep::report
