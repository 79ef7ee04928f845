#pragma once
// "Did you mean" suggestions for misspelt keys, ids and choices.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gensweep::config::detail {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
// adjacent characters each cost 1 ("batch_szie" is one edit from "batch_size").
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` when it is at most 2 edits away; ties go to the earlier one.
std::optional<std::string> closest(std::string_view name, std::span<const std::string> candidates);

// " (did you mean \"x\"?)" when a candidate is close, else " (known <plural>: a, b, c)", or
// " (known <plural>: none)" when there are no candidates.
std::string suggestion_suffix(std::string_view name, std::span<const std::string> candidates,
                              std::string_view plural);

}  // namespace gensweep::config::detail
