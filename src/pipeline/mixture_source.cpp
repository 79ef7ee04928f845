// source = "mixture" (config::MixtureSource): a seeded draw from a base dataset and its
// counterfactuals, matched by id.

#include <fmt/format.h>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/pipeline/mixture_draw.h"
#include "source_composition.h"

namespace gensweep::pipeline {
namespace {

class MixtureSource final : public ImageSource {
 public:
  MixtureSource(std::shared_ptr<ImageSource> base, std::string base_id,
                std::shared_ptr<ImageSource> counterfactual, std::string counterfactual_id,
                double proportion, std::int64_t size, std::uint64_t seed)
      : base_(std::move(base)),
        counterfactual_(std::move(counterfactual)),
        picks_(draw_mixture(base_->size(), proportion, size, seed)) {
    const auto twins = detail::index_by_id(*counterfactual_);
    for (const MixturePick& pick : picks_) {
      const std::string& id = base_->id(pick.base_index);
      const auto it = twins.find(id);
      GENSWEEP_CHECK(it != twins.end(), DataError,
                     "counterfactual dataset \"{}\" has no image with id \"{}\" (drawn from base "
                     "dataset \"{}\", image {})",
                     counterfactual_id, id, base_id, pick.base_index);
      sources_.push_back(pick.counterfactual ? Origin{counterfactual_.get(), it->second}
                                             : Origin{base_.get(), pick.base_index});
    }
    // Counterfactual images keep a manifest entry only when they live in the base's folder: the
    // manifest is keyed by one folder.
    counterfactual_in_base_folder_ =
        !base_->files_root().empty() && counterfactual_->files_root() == base_->files_root();
    description_ = fmt::format(
        "mixture: {} of {} images from {} (proportion {}), the rest from {}, seed {}",
        counterfactual_count(proportion, size), size, counterfactual_id, proportion, base_id, seed);
  }

  std::int64_t size() const override { return static_cast<std::int64_t>(picks_.size()); }
  // The base's id: the twin has the same one.
  const std::string& id(std::int64_t i) const override {
    return base_->id(picks_[static_cast<std::size_t>(i)].base_index);
  }
  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    const Origin& o = sources_[static_cast<std::size_t>(i)];
    return o.source->load(o.index, limits);
  }
  std::string description() const override { return description_; }
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    for (std::int64_t i = begin; i < end; ++i) {
      const Origin& o = sources_[static_cast<std::size_t>(i)];
      out.push_back(o.source->content_digests(o.index, o.index + 1).front());
    }
    return out;
  }
  // Each ingredient's fingerprint over the images drawn from it (so a distortion or window of an
  // ingredient counts, as its own fingerprint counts it), and the draw itself.
  std::string fingerprint_from(const std::vector<std::string>& digests) const override {
    std::vector<std::int64_t> base_indices, twin_indices;
    std::vector<std::string> base_digests, twin_digests;
    std::string draw;
    for (std::size_t i = 0; i < picks_.size(); ++i) {
      const bool twin = picks_[i].counterfactual;
      (twin ? twin_indices : base_indices).push_back(sources_[i].index);
      (twin ? twin_digests : base_digests).push_back(digests[i]);
      draw += fmt::format("{}\t{}\n", twin ? 'c' : 'b', base_->id(picks_[i].base_index));
    }
    return sha256_hex(fmt::format(
        "gensweep-mixture-fingerprint/v1\nbase {}\ncounterfactual {}\n{}",
        detail::partial_fingerprint(*base_, base_indices, base_digests),
        detail::partial_fingerprint(*counterfactual_, twin_indices, twin_digests), draw));
  }
  const io::ImageEntry* file_entry(std::int64_t i) const override {
    const Origin& o = sources_[static_cast<std::size_t>(i)];
    if (o.source == counterfactual_.get() && !counterfactual_in_base_folder_) return nullptr;
    return o.source->file_entry(o.index);
  }
  std::filesystem::path files_root() const override { return base_->files_root(); }
  std::int64_t label(std::int64_t i) const override {
    const Origin& o = sources_[static_cast<std::size_t>(i)];
    return o.source->label(o.index);
  }

 private:
  struct Origin {
    const ImageSource* source;  // base_ or counterfactual_
    std::int64_t index;         // in that source
  };
  std::shared_ptr<ImageSource> base_;
  std::shared_ptr<ImageSource> counterfactual_;
  std::vector<MixturePick> picks_;
  std::vector<Origin> sources_;
  bool counterfactual_in_base_folder_ = false;
  std::string description_;
};

}  // namespace

std::shared_ptr<ImageSource> make_mixture_source(std::shared_ptr<ImageSource> base,
                                                 std::string base_id,
                                                 std::shared_ptr<ImageSource> counterfactual,
                                                 std::string counterfactual_id, double proportion,
                                                 std::int64_t size, std::uint64_t seed) {
  return std::make_shared<MixtureSource>(std::move(base), std::move(base_id),
                                         std::move(counterfactual), std::move(counterfactual_id),
                                         proportion, size, seed);
}

}  // namespace gensweep::pipeline
