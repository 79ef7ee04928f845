#pragma once
// [[studies]]: a feature-space study written as one table instead of dozens of datasets and
// comparisons (docs/STUDIES.md). The loader expands each study into generated datasets (one per
// cell of its grid, and per draw) and one comparison of all of them against the study's reference;
// after the reduction the study's own tables (metric per cell, mean and spread over draws,
// normalised values, the ranking of the factors per backbone, the rank agreement between
// backbones) are computed from that comparison's entries.
//
// kind = "corruptions": the ImageNet-C / CIFAR-10-C corruptions x severities of a base set (Jung &
//   Keuper, "Internalized biases in Fréchet inception distance").
// kind = "mixtures": sets drawn from a base and its counterfactuals at growing proportions, several
//   seeded draws each (Kabra & Balakrishnan, "F?D", attribute curves).
// kind = "regions": a distortion applied inside one face region at a time, and on the whole image,
//   by which the regions are normalised (Kabra & Balakrishnan's region blurs).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gensweep/config/distortion.h"
#include "gensweep/config/metric_parameters.h"
#include "gensweep/config/source_location.h"

namespace gensweep::config {

// One cell of a study's grid at one draw: a factor (a corruption, a counterfactual set, a region)
// at a level (a severity, a proportion, 1 for a region), and the dataset holding its images. A
// corruptions study's undistorted base is the cell (kBaseFactor, 0).
struct StudyCell {
  static constexpr std::string_view kBaseFactor = "none";
  std::string factor;
  double level = 0;
  int draw = 0;  // 0..draws-1 (mixtures); 0 otherwise
  std::string dataset;
  bool operator==(const StudyCell&) const = default;
};

// The cell every backbone's values are divided by (normalise_by = { corruption = "gaussian_blur",
// severity = 5 }); a regions study divides by its whole-image cell.
struct StudyReferenceCell {
  std::string factor;
  double level = 0;
  bool operator==(const StudyReferenceCell&) const = default;
};

struct StudyConfig {
  enum class Kind { kCorruptions, kMixtures, kRegions };
  static constexpr std::array<std::string_view, 3> kKinds = {"corruptions", "mixtures", "regions"};
  static constexpr int kMinSeverity = 1, kMaxSeverity = 5;
  static constexpr int kMaxDraws = 1000;
  // The factor of a regions study that distorts the whole image.
  static constexpr std::string_view kWholeImage = "whole";

  std::string id;  // a valid name, unique among studies; prefixes the generated dataset ids
  Kind kind = Kind::kCorruptions;
  std::string reference;  // dataset id: what every cell is compared with
  std::string base;       // image dataset id: the set that is corrupted, mixed or distorted
  // corruptions: corruption names (Corruption::kNames' order when "all"); mixtures: the
  // counterfactual dataset ids; regions: region names in the file's order, then "whole".
  std::vector<std::string> factors;
  // corruptions: severities, ascending; mixtures: proportions, ascending; regions: {1}.
  std::vector<double> levels;
  std::uint64_t seed = 0;              // each generated dataset's seed (mixtures: seed + draw)
  std::vector<std::string> backbones;  // resolved as for comparisons
  std::vector<std::string> metrics;    // ["fd"] by default
  MetricParameterValues parameters_of_metrics;
  std::optional<StudyReferenceCell> normalise_by;

  // corruptions
  Corruption::Parameters corruption_parameters = Corruption::Parameters::kCifar;
  Corruption::Seeding seeding = Corruption::Seeding::kPerImage;
  // mixtures
  std::int64_t size = 0;  // images per drawn set
  int draws = 1;          // seeded draws per (counterfactual, proportion)
  // regions
  std::string mask;                             // label images, ids as the base's
  Distortion distortion;                        // applied inside each region and on the whole
  std::vector<std::vector<int>> region_values;  // per region factor (not "whole")

  // The grid, in table order; corruptions: the base first. Filled by the loader.
  std::vector<StudyCell> cells;
  SourceLocation where;  // the [[studies]] header

  // What a factor and a level are called in tables: "corruption" / "severity", "counterfactual" /
  // "proportion", "region" / "level".
  std::string_view factor_name() const;
  std::string_view level_name() const;
};

// The id of a generated dataset: "<study>.<factor>.s<severity>" (corruptions),
// "<study>.<counterfactual>.p<proportion>.d<draw>" (mixtures), "<study>.<region>" (regions).
std::string study_dataset_id(const StudyConfig& study, std::string_view factor, double level,
                             int draw);

// A level as tables and ids spell it: the shortest decimal that reads back to it ("3", "0.25").
std::string level_text(double level);

}  // namespace gensweep::config
