#pragma once
// What a feature-space study ([[studies]], docs/STUDIES.md) adds to a run's results: the metric at
// every cell of its grid (a factor, such as a corruption, at a level, such as its severity) in
// every feature space, each value also divided by a named reference cell, the ranking of the
// factors in each feature space, and how far the feature spaces agree on that ranking (Kendall's
// tau-b and Spearman's rho between every pair). Plain values like the rest of results.h.

#include <optional>
#include <string>
#include <vector>

namespace gensweep::report {

// metric(reference, cell) in one feature space.
struct StudyValue {
  std::string factor{};  // the corruption, counterfactual set or region; "none" for the base
  double level = 0;      // the severity or proportion (1 for a region); 0 for the base
  std::string backbone{};
  std::string metric{};
  std::string dataset{};  // the dataset holding the cell's images (the first draw's)
  // The comparison entry's value, or with several draws (mixtures) the mean over them; NaN when
  // an entry is missing.
  double value = 0;
  int draws = 1;  // entries averaged
  // The sample standard deviation over the draws (n - 1 in the denominator); nullopt for one.
  std::optional<double> std{};
  // value / the value at the study's normalise_by cell in the same feature space and metric;
  // nullopt when the study names no such cell or that value is zero or not finite.
  std::optional<double> normalised{};
  bool operator==(const StudyValue&) const = default;
};

// The factors of one feature space and metric, most affected first: by the mean of the metric
// over the study's levels (a corruptions base's level 0 left out), descending for metrics where
// lower is better (a distance grows when the images change), ascending where higher is better.
struct StudyRanking {
  std::string backbone{};
  std::string metric{};
  std::vector<std::string> factors{};  // most affected first
  std::vector<double> scores{};        // the mean over levels, in the order of `factors`
  bool operator==(const StudyRanking&) const = default;
};

// Agreement of the feature spaces' rankings for one metric: backbones x backbones, row-major,
// symmetric with ones on the diagonal (NaN where a ranking is constant).
struct StudyAgreement {
  std::string metric{};
  std::vector<std::string> backbones{};
  std::vector<double> kendall_tau{};
  std::vector<double> spearman_rho{};
  bool operator==(const StudyAgreement&) const = default;
};

struct StudyResults {
  std::string id{};
  std::string kind{};                  // "corruptions", "mixtures" or "regions"
  std::string reference{};             // dataset id
  std::string base{};                  // dataset id
  std::string factor_name{};           // "corruption", "counterfactual" or "region"
  std::string level_name{};            // "severity", "proportion" or "level"
  std::vector<std::string> factors{};  // in the job's order
  std::vector<double> levels{};        // ascending, without a corruptions base's 0
  std::vector<std::string> backbones{};
  std::vector<std::string> metrics{};
  // The normalising cell; an empty factor when the study names none.
  std::string normalised_by_factor{};
  double normalised_by_level = 0;
  std::vector<StudyValue> values{};  // base first, then factor by factor, level by level; per
                                     // cell the backbones, per backbone the metrics
  std::vector<StudyRanking> rankings{};
  std::vector<StudyAgreement> agreements{};
  bool operator==(const StudyResults&) const = default;
};

}  // namespace gensweep::report
