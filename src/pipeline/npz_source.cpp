// source = "npz": ADM / guided-diffusion sample batches (FORMATS.md 4.1): np.savez(f, images,
// labels) with arr_0 uint8 (N, H, W, 3) and, when class-conditional, arr_1 int64 (N,).
//
// The members are listed with store::NpzFile (the shared .npz reader); image i is then one pread
// of H*W*3 bytes at its offset in the stored arr_0, as the ADM evaluator streams batches. A
// deflated arr_0 cannot be addressed that way, and inflating a 10 GB batch per image (or whole)
// is not an option, so it is refused with the command that re-saves it stored.
//
// Ids are "{file name}:{index in that file}": array order is the order (FORMATS.md section 9), and
// the file name keeps ids unique across the files of one dataset.

#include <fmt/format.h>

#include <cstring>

#include "../features/zip_reader.h"
#include "archive_sources.h"
#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "gensweep/store/npz_reader.h"

namespace gensweep::pipeline {
namespace {

struct Batch {
  std::filesystem::path path;
  std::unique_ptr<features::detail::InputFile> file;
  std::uint64_t pixels_offset = 0;  // in the file, of image 0's first byte
  std::int64_t count = 0, height = 0, width = 0;
};

struct ImageRef {
  std::size_t batch = 0;
  std::int64_t index = 0;  // in its batch
};

// Checks arr_0 and returns the batch, or throws IoError saying what was found and what to do.
Batch open_batch(const std::filesystem::path& path) {
  const store::NpzFile npz(path);
  const std::string where = fmt::format("{}: member arr_0.npy", path.string());
  const store::NpzMember* arr = npz.find("arr_0");
  if (arr == nullptr) {
    GENSWEEP_CHECK(!(npz.find("mu") && npz.find("sigma")), IoError,
                   "{}: holds FD statistics (mu, sigma), not a sample batch (arr_0); use it as a "
                   "reference statistics file, not as images",
                   path.string());
    throw IoError(
        fmt::format("{}: has no member 'arr_0' (its members: {}); an ADM sample batch "
                    "holds its images in arr_0",
                    path.string(), npz.key_list()));
  }
  GENSWEEP_CHECK(arr->stored, IoError,
                 "{}: is compressed (np.savez_compressed); images are read at their offsets in a "
                 "stored member: re-save it with np.savez (e.g. d = np.load(f); "
                 "np.savez(out, *[d[k] for k in d.files]))",
                 where);
  const store::NpyArrayHeader h = npz.header("arr_0");
  GENSWEEP_CHECK(h.descr != "|O", IoError,
                 "{}: holds pickled Python objects (dtype '|O'); expected uint8 '|u1' pixels "
                 "(gensweep never unpickles)",
                 where);
  GENSWEEP_CHECK(h.descr == "|u1" || h.descr == "<u1" || h.descr == "=u1", IoError,
                 "{}: has dtype '{}', shape {}; expected uint8 ('|u1') pixels in 0..255 (convert "
                 "with (x * 255).round().clip(0, 255).astype(np.uint8) as the sampler does)",
                 where, h.descr, h.shape_text());
  GENSWEEP_CHECK(!h.fortran_order, IoError,
                 "{}: is in Fortran order; expected C order (re-save np.ascontiguousarray(x))",
                 where);
  GENSWEEP_CHECK(h.shape.size() == 4, IoError,
                 "{}: has shape {}; expected 4 dimensions (N, H, W, 3)", where, h.shape_text());
  if (h.shape[3] != 3) {
    GENSWEEP_CHECK(h.shape[1] != 3, IoError,
                   "{}: has shape {}, which looks like NCHW (N, 3, H, W); expected NHWC (N, H, W, "
                   "3): re-save x.transpose(0, 2, 3, 1)",
                   where, h.shape_text());
    throw IoError(fmt::format("{}: has shape {}: {} channels; expected RGB (N, H, W, 3)", where,
                              h.shape_text(), h.shape[3]));
  }
  Batch b;
  b.path = path;
  b.count = h.shape[0];
  b.height = h.shape[1];
  b.width = h.shape[2];
  GENSWEEP_CHECK(b.count == 0 || (b.height > 0 && b.width > 0), IoError,
                 "{}: has shape {}: empty images", where, h.shape_text());
  const auto pixel_bytes = static_cast<std::uint64_t>(h.element_count());
  GENSWEEP_CHECK(static_cast<std::uint64_t>(h.data_offset) + pixel_bytes <= arr->size, IoError,
                 "{}: shape {} needs {} bytes of pixels but the member holds {}", where,
                 h.shape_text(), pixel_bytes,
                 arr->size - static_cast<std::uint64_t>(h.data_offset));
  b.pixels_offset = arr->file_offset + static_cast<std::uint64_t>(h.data_offset);
  b.file = std::make_unique<features::detail::InputFile>(path);
  GENSWEEP_CHECK(b.pixels_offset + pixel_bytes <= b.file->size(), IoError,
                 "{}: truncated: the pixels need bytes {}..{} but the file ends at byte {}", where,
                 b.pixels_offset, b.pixels_offset + pixel_bytes, b.file->size());
  return b;
}

// arr_1 int64/int32 (N,) when present and well-formed; otherwise no labels (the ADM evaluator
// ignores them too).
std::vector<std::int64_t> read_labels(const std::filesystem::path& path, std::int64_t count) {
  const store::NpzFile npz(path);
  const store::NpzMember* m = npz.find("arr_1");
  if (m == nullptr) return std::vector<std::int64_t>(static_cast<std::size_t>(count), -1);
  const store::NpyArrayHeader h = npz.header("arr_1");
  const bool int64 = h.descr == "<i8", int32 = h.descr == "<i4";
  if ((!int64 && !int32) || h.fortran_order || h.shape.size() != 1 || h.shape[0] != count)
    return std::vector<std::int64_t>(static_cast<std::size_t>(count), -1);
  const auto bytes = npz.read("arr_1", static_cast<std::uint64_t>(h.data_offset) + 8 * count);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(count));
  const std::uint8_t* data = bytes.data() + h.data_offset;
  for (std::int64_t i = 0; i < count; ++i) {
    if (int64) {
      std::int64_t v;
      std::memcpy(&v, data + 8 * i, 8);  // unaligned in the file: memcpy, never a cast
      labels[i] = v;
    } else {
      std::int32_t v;
      std::memcpy(&v, data + 4 * i, 4);
      labels[i] = v;
    }
  }
  return labels;
}

class NpzSource final : public detail::ListedSource {
 public:
  NpzSource(const std::vector<std::filesystem::path>& files, std::int64_t offset,
            std::int64_t limit)
      : ListedSource("gensweep-npz-fingerprint/v1") {
    GENSWEEP_CHECK(!files.empty(), IoError, "npz source: no files");
    for (const auto& f : files) {
      batches_.push_back(open_batch(std::filesystem::absolute(f).lexically_normal()));
      const Batch& b = batches_.back();
      const std::string name = b.path.filename().string();
      const auto labels = read_labels(b.path, b.count);
      for (std::int64_t i = 0; i < b.count; ++i) {
        refs_.push_back({batches_.size() - 1, i});
        ids_.push_back(fmt::format("{}:{}", name, i));
        labels_.push_back(labels[i]);
      }
    }
    GENSWEEP_CHECK(!refs_.empty(), IoError, "{}: the sample batch holds no images",
                   batches_.front().path.string());
    description_ =
        fmt::format("npz: {}{}", batches_.front().path.string(),
                    batches_.size() > 1 ? fmt::format(" and {} more files", batches_.size() - 1)
                                        : std::string());
    apply_window(refs_, offset, limit);
  }

  io::DecodeOutcome load(std::int64_t i, const io::DecodeLimits& limits) const override {
    const Batch& b = batches_[refs_[i].batch];
    io::DecodeOutcome out;
    if (limits.max_pixels > 0 && b.width * b.height > limits.max_pixels) {
      out.reason = fmt::format("{}x{} = {} px exceeds max_pixels {}", b.width, b.height,
                               b.width * b.height, limits.max_pixels);
      return out;
    }
    if (!read_pixels(refs_[i], out.image.rgb, out.reason)) return out;
    out.image.width = static_cast<int>(b.width);
    out.image.height = static_cast<int>(b.height);
    out.ok = true;
    return out;
  }

  // sha256 of each image's pixel bytes (HWC RGB), what load() gives.
  std::vector<std::string> content_digests(std::int64_t begin, std::int64_t end) const override {
    std::vector<std::string> out;
    std::vector<std::uint8_t> pixels;
    std::string reason;
    for (std::int64_t i = begin; i < end; ++i)
      out.push_back(read_pixels(refs_[i], pixels, reason) ? sha256_hex(pixels) : "unreadable");
    return out;
  }

 private:
  bool read_pixels(const ImageRef& ref, std::vector<std::uint8_t>& pixels,
                   std::string& reason) const {
    const Batch& b = batches_[ref.batch];
    const auto bytes = static_cast<std::uint64_t>(b.height * b.width * 3);
    pixels.resize(static_cast<std::size_t>(bytes));
    try {
      b.file->read_at(b.pixels_offset + static_cast<std::uint64_t>(ref.index) * bytes,
                      pixels.data(), pixels.size(), fmt::format("image {}", ref.index));
    } catch (const Error& e) {
      reason = fmt::format("{}: {}", b.path.string(), e.what());
      return false;
    }
    return true;
  }

  std::vector<Batch> batches_;
  std::vector<ImageRef> refs_;
};

}  // namespace

std::shared_ptr<ImageSource> make_npz_source(const std::vector<std::filesystem::path>& files,
                                             std::int64_t offset, std::int64_t limit) {
  return std::make_shared<NpzSource>(files, offset, limit);
}

}  // namespace gensweep::pipeline
