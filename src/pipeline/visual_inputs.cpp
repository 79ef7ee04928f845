#include "gensweep/pipeline/visual_inputs.h"

#include "gensweep/core/log.h"
#include "gensweep/store/feature_store.h"
#include "gensweep/store/per_sample_file.h"

#include <algorithm>
#include <optional>

namespace gensweep::pipeline {
namespace {

// The id and dataset index of each valid row of a store: per-sample arrays hold one value per
// valid row, in row order (results_schema/STORE_LAYOUT.md).
struct ValidRows {
  std::vector<std::string> ids;
  std::vector<std::int64_t> rows;
};

std::optional<ValidRows> valid_rows(const report::RunResults& results, const std::string& dataset,
                                    const std::string& backbone) {
  const auto store = std::find_if(results.stores.begin(), results.stores.end(), [&](const auto& s) {
    return s.dataset == dataset && s.backbone == backbone;
  });
  if (store == results.stores.end()) return std::nullopt;  // a features file: no store, no ids
  const auto feature_store = store::FeatureStore::open_read(store->path);
  const std::vector<std::uint8_t> valid = feature_store.read_valid();
  const std::vector<std::string> ids = feature_store.read_ids();
  ValidRows out;
  for (std::size_t row = 0; row < valid.size() && row < ids.size(); ++row) {
    if (valid[row] == 0) continue;
    out.ids.push_back(ids[row]);
    out.rows.push_back(static_cast<std::int64_t>(row));
  }
  return out;
}

report::SheetImage load_image(const ImageSource& source, const report::RankedImage& ranked,
                              const io::DecodeLimits& limits) {
  report::SheetImage image;
  image.caption = ranked.id;
  io::DecodeOutcome outcome = source.load(ranked.row, limits);
  if (!outcome.ok) {
    // The image decoded when its features were made; it may have changed or gone since.
    image.failure = outcome.reason;
    return image;
  }
  image.width = outcome.image.width;
  image.height = outcome.image.height;
  image.rgb = std::move(outcome.image.rgb);
  return image;
}

}  // namespace

report::VisualInputs collect_visual_inputs(const Plan& plan, const report::RunResults& results) {
  report::VisualInputs inputs;
  for (const auto& file : results.per_sample) {
    std::vector<std::string> scores;
    for (std::string_view score : report::kRankedScores) {
      if (std::find(file.datasets.begin(), file.datasets.end(), score) != file.datasets.end())
        scores.emplace_back(score);
    }
    if (scores.empty()) continue;
    const store::PerSampleData data = store::read_per_sample_file(file.path);
    const std::optional<ValidRows> rows = valid_rows(results, file.evaluated, file.backbone);
    for (const auto& score : scores) {
      const auto values = data.reals.find(score);
      if (values == data.reals.end()) continue;
      report::SampleScores s;
      s.reference = file.reference;
      s.evaluated = file.evaluated;
      s.backbone = file.backbone;
      s.score = score;
      s.values = values->second;
      if (rows && rows->ids.size() == s.values.size()) {
        s.ids = rows->ids;
        s.rows = rows->rows;
        s.has_images = plan.dataset(file.evaluated).has_images();
      } else if (rows) {
        log::warn(
            "{}: {} has {} values but the store of '{}' has {} valid rows; its rankings "
            "name rows by position and it gets no contact sheets",
            file.path, score, s.values.size(), file.evaluated, rows->ids.size());
      }
      inputs.scores.push_back(std::move(s));
    }
  }

  io::DecodeLimits limits;
  limits.max_pixels = plan.compute.max_image_pixels;
  for (const auto& s : inputs.scores) {
    if (!s.has_images) continue;
    const ImageSource& source = *plan.dataset(s.evaluated).images;
    const std::vector<report::RankedImage> ranked = report::rank_by_score(s);
    for (auto& selection :
         report::select_contact_sheets(s, ranked, plan.report.contact_sheet_images)) {
      report::ContactSheet sheet;
      sheet.stem = std::move(selection.stem);
      sheet.title = std::move(selection.title);
      for (const auto& image : selection.images)
        sheet.images.push_back(load_image(source, image, limits));
      inputs.contact_sheets.push_back(std::move(sheet));
    }
  }
  return inputs;
}

}  // namespace gensweep::pipeline
