#pragma once
// results.csv: one row per entry, for pandas, R and spreadsheets.
//
// Columns: reference, evaluated, backbone, metric, value, then one column per top-level
// diagnostics key (the union over all entries, in order of first appearance; a key named like one
// of the five fixed columns is written as "diagnostics.<key>"). Values are the full double in its
// shortest round-trip form ("nan", "inf", "-inf" when non-finite; pandas reads these); a
// diagnostics cell is the plain scalar, empty when the entry lacks the key or it is null, and
// compact JSON for an array or object. Quoting follows RFC 4180: a field containing a comma, a
// double quote, CR or LF is enclosed in double quotes with inner quotes doubled. Records end in LF
// (RFC 4180 says CRLF; every CSV reader accepts LF, and Unix tools choke on CR).

#include "gensweep/report/results.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace gensweep::report {

// One field, quoted when RFC 4180 requires it.
std::string csv_field(std::string_view text);
// A number in its shortest round-trip form; "nan", "inf", "-inf" when non-finite.
std::string csv_number(double value);

std::string to_csv(const RunResults& results);
// Writes to_csv atomically. Throws IoError.
void write_csv(const RunResults& results, const std::filesystem::path& path);

}  // namespace gensweep::report
