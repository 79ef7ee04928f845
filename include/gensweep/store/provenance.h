#pragma once
// Provenance of a feature store: the root attributes that say how its features were made, and the
// comparison that decides whether a store can be reused for a job.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gensweep::store {

// Attribute name -> value. Stored as variable-length UTF-8 string attributes on the store's root
// group. Keys are caller-defined (backbone, backbone_identity, preprocessing, dataset_fingerprint,
// tool_version, git_commit, config_hash, created_utc, ...), except the two the store owns:
// "format" (never part of provenance()) and "schema_version" (always part of it).
using Attributes = std::map<std::string, std::string>;

// Attributes the store writes itself; a caller may not set them to anything else.
inline constexpr std::string_view kFormatAttribute = "format";
inline constexpr std::string_view kFormatValue = "gensweep-feature-store";
inline constexpr std::string_view kSchemaVersionAttribute = "schema_version";
// The layout this code writes and the newest it reads (results_schema/STORE_LAYOUT.md).
inline constexpr int kSchemaVersion = 1;

// Keys recorded for the record but never compared: rebuilding or upgrading gensweep (new
// tool_version or git_commit) must not invalidate hours of extracted features whose inputs did not
// change, and timestamps differ on every run by construction. What decides whether features are
// the same is the backbone identity, preprocessing, dataset fingerprint and config hash.
inline constexpr std::array<std::string_view, 4> kProvenanceKeysNotCompared = {
    "created_utc", "complete_utc", "tool_version", "git_commit"};

// Compares what a store holds with what a job expects. Every key of `expected` (in key order, minus
// kProvenanceKeysNotCompared) must be present in `stored` with the same value; keys only in
// `stored` are extra records (schema_version, complete_utc, ...) and never count as differences.
// Returns a message naming the first differing attribute, for example
//   attribute 'backbone_identity' differs: store has 'ab12', job expects 'cd34'
//   attribute 'config_hash' is missing from the store, job expects '9f00'
// or nullopt when the store can be reused.
std::optional<std::string> describe_mismatch(const Attributes& stored, const Attributes& expected);

// The same comparison, structured: the first differing attribute (key order), what the store holds
// (nullopt when the attribute is missing from it) and what the job expects.
struct AttributeMismatch {
  std::string key;
  std::optional<std::string> stored;
  std::string expected;
  std::string message() const;  // the text describe_mismatch returns
};
std::optional<AttributeMismatch> find_mismatch(const Attributes& stored,
                                               const Attributes& expected);

}  // namespace gensweep::store
