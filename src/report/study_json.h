#pragma once
// A study's tables in results.json ("studies": [...], results_schema/results.schema.json). Private
// to the report module: json.cpp writes and reads them beside the entries.

#include <nlohmann/json.hpp>

#include "gensweep/report/study_results.h"

namespace gensweep::report::detail {

// Non-finite numbers (a NaN value, a tau of a constant ranking) are written by the JSON number
// policy (core/json_numbers.h): null, with a "non_finite" object of the study naming each.
nlohmann::ordered_json study_document(const StudyResults& study);
// Throws nlohmann::json exceptions for missing keys or wrong types (json.cpp names the file), and
// IoError for a bad non_finite note.
StudyResults study_from_json(const nlohmann::json& doc, std::size_t index);

}  // namespace gensweep::report::detail
