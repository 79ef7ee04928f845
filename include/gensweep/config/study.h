#pragma once
// [[studies]]: a feature-space study written as one table instead of dozens of datasets and
// comparisons. The loader expands each study into derived datasets (one per cell of its grid) and
// one comparison of the grid against the study's reference; after the reduction the study's own
// tables (metric per cell, normalised values, the ranking of the factors per backbone, the rank
// agreement between backbones) are computed from those comparisons' entries.
//
// kind = "corruptions": the ImageNet-C / CIFAR-10-C corruptions x severities of a base set (Jung &
// Keuper, "Internalized biases in Fréchet inception distance"): which feature space is sensitive
// to which corruption, and do the spaces rank the corruption types alike?

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/distortion.h"
#include "gensweep/config/metric_parameters.h"
#include "gensweep/config/source_location.h"

namespace gensweep::config {

// One cell of a study's grid: a factor (the corruption) at a level (its severity), and the dataset
// that holds its images. The undistorted base is the cell (kBaseFactor, 0).
struct StudyCell {
  static constexpr std::string_view kBaseFactor = "none";
  std::string factor;
  int level = 0;
  std::string dataset;
  bool operator==(const StudyCell&) const = default;
};

// The cell every backbone's values are divided by (normalise_by = { corruption = "gaussian_blur",
// severity = 5 }), as Kabra & Balakrishnan divide region blurs by the whole-image blur.
struct StudyReferenceCell {
  std::string factor;
  int level = 0;
  bool operator==(const StudyReferenceCell&) const = default;
};

struct StudyConfig {
  static constexpr std::array<std::string_view, 1> kKinds = {"corruptions"};
  static constexpr int kMinSeverity = 1, kMaxSeverity = 5;

  std::string id;         // a valid name, unique among studies; prefixes the generated dataset ids
  std::string reference;  // dataset id: what every cell is compared with
  std::string base;       // image dataset id: the set that is corrupted (level 0 of every factor)
  std::vector<std::string> corruptions;  // in the paper's order (Corruption::kNames) when "all"
  std::vector<int> severities;           // ascending, no repeats, 1..5
  Corruption::Parameters parameters = Corruption::Parameters::kCifar;
  Corruption::Seeding seeding = Corruption::Seeding::kPerImage;
  std::uint64_t seed = 0;              // each generated dataset's `seed`
  std::vector<std::string> backbones;  // resolved as for comparisons
  std::vector<std::string> metrics;    // ["fd"] by default
  MetricParameterValues parameters_of_metrics;
  std::optional<StudyReferenceCell> normalise_by;
  // The grid, base first, then corruptions x severities in the order above. Filled by the loader.
  std::vector<StudyCell> cells;
  SourceLocation where;  // the [[studies]] header

  // "<study>.<corruption>.s<severity>": the id of a generated dataset.
  static std::string cell_dataset_id(std::string_view study, std::string_view corruption,
                                     int severity);
};

}  // namespace gensweep::config
