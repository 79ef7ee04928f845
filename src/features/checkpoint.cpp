#include "gensweep/features/checkpoint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <optional>

#include "gensweep/core/error.h"
#include "pickle.h"
#include "zip_reader.h"

namespace gensweep::features {

using detail::describe;
using detail::make_object;
using detail::make_value;
using detail::Unpickler;
using detail::UnpicklerHooks;
using detail::Value;
using detail::ValueKind;
using detail::ValuePtr;

namespace {

std::size_t element_size(TensorDType dtype) {
  switch (dtype) {
    case TensorDType::kFloat64:
    case TensorDType::kInt64:
      return 8;
    case TensorDType::kFloat32:
    case TensorDType::kInt32:
      return 4;
    case TensorDType::kFloat16:
      return 2;
    case TensorDType::kUInt8:
    case TensorDType::kInt8:
    case TensorDType::kBool:
      return 1;
  }
  return 1;
}

// torch.<Name>Storage types a state dict's tensors can live in, and their element type.
struct StorageType {
  const char* name;
  TensorDType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", TensorDType::kFloat32}, {"DoubleStorage", TensorDType::kFloat64},
    {"HalfStorage", TensorDType::kFloat16},  {"LongStorage", TensorDType::kInt64},
    {"IntStorage", TensorDType::kInt32},     {"ByteStorage", TensorDType::kUInt8},
    {"CharStorage", TensorDType::kInt8},     {"BoolStorage", TensorDType::kBool},
};
// Real torch storage types this reader has no dtype for: named as such rather than refused as
// suspicious globals, because asking for them is legitimate, just unsupported.
constexpr const char* kUnsupportedStorageTypes[] = {
    "BFloat16Storage",    "ShortStorage",    "ComplexFloatStorage", "ComplexDoubleStorage",
    "ComplexHalfStorage", "QUInt8Storage",   "QInt8Storage",        "QInt32Storage",
    "QUInt4x2Storage",    "QUInt2x4Storage", "UntypedStorage",
};

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor";
// What torch.save writes for an nn.Parameter (state_dict(keep_vars=True) or an old checkpoint):
// a wrapper around a tensor, no code.
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";

// torch.save's legacy magic number 0x1950a86a20f9469cfc6c as LONG1's little-endian bytes.
constexpr std::uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                         0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr std::int64_t kLegacyProtocolVersion = 1001;

// A storage as a persistent id names it. For a legacy view (storage slices, from PyTorch < 0.4),
// the tensor indexes `numel` elements starting at `root_offset` of the root storage `key`.
struct StorageRef {
  std::string key;
  TensorDType dtype = TensorDType::kFloat32;
  std::int64_t numel = 0;
  std::int64_t root_offset = 0;
};

struct TensorRef {
  StorageRef storage;
  std::int64_t offset = 0;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> stride;
  std::int64_t numel = 0;
};

enum class Format { kZip, kLegacy };

constexpr std::size_t kMaxRank = 64;

// Views may repeat storage bytes (tied weights name one storage twice; a stride-0 expand repeats
// one element), so the tensors can take more memory than the file. Allowing 8 times the file plus
// 256 MiB covers any real state dict and stops a small hostile file from asking for terabytes.
void check_output_size(const std::vector<std::pair<std::string, TensorRef>>& refs,
                       std::uint64_t file_size) {
  const std::uint64_t budget = 8 * file_size + (std::uint64_t{256} << 20);
  std::uint64_t total = 0;
  for (const auto& [name, ref] : refs) {
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(ref.numel),
                               element_size(ref.storage.dtype), &bytes) ||
        __builtin_add_overflow(total, bytes, &total) || total > budget)
      throw BackboneError(fmt::format(
          "the tensors would take more than {} bytes (at tensor '{}'), over 8 times the file's "
          "size: views repeat their storages far more than any state dict does",
          budget, name));
  }
}

bool is_contiguous(const TensorRef& t) {
  std::int64_t expected = 1;
  for (std::size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] != 1 && t.stride[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

// Copies the tensor's elements, in row-major order, out of its storage. `storage` points at
// element 0 of the storage the tensor indexes; the geometry was checked against its size.
void gather(const std::uint8_t* storage, std::size_t elsize, const TensorRef& t,
            std::uint8_t* out) {
  const std::uint8_t* base = storage + static_cast<std::size_t>(t.offset) * elsize;
  if (is_contiguous(t)) {
    std::memcpy(out, base, static_cast<std::size_t>(t.numel) * elsize);
    return;
  }
  // Non-contiguous view (a transpose, a column): walk the outer indices like an odometer and copy
  // the innermost dimension as one run when its stride is 1.
  const std::size_t dims = t.shape.size();
  const std::int64_t inner = t.shape[dims - 1], inner_stride = t.stride[dims - 1];
  std::vector<std::int64_t> index(dims - 1, 0);
  for (;;) {
    std::int64_t at = 0;
    for (std::size_t d = 0; d + 1 < dims; ++d)
      at += index[d] * t.stride[d];
    if (inner_stride == 1) {
      std::memcpy(out, base + static_cast<std::size_t>(at) * elsize,
                  static_cast<std::size_t>(inner) * elsize);
      out += static_cast<std::size_t>(inner) * elsize;
    } else {
      for (std::int64_t i = 0; i < inner; ++i, out += elsize)
        std::memcpy(out, base + static_cast<std::size_t>(at + i * inner_stride) * elsize, elsize);
    }
    std::size_t d = dims - 1;
    while (d-- > 0) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
    if (d == static_cast<std::size_t>(-1)) return;
  }
}

[[noreturn]] void refuse_global(const std::string& full_name) {
  throw BackboneError(fmt::format(
      "refusing to load: the pickle asks for global '{}', which a state dict never needs (only "
      "tensors and OrderedDict are accepted; loading a weights file never executes code)",
      full_name));
}

// The hooks that make the unpickler a state-dict reader: the allow-list of globals, what calling
// them builds, and the two persistent-id layouts. Records each storage key's dtype and size, which
// the legacy format needs to read the raw storages that follow the pickles.
class StateDictBuilder {
 public:
  explicit StateDictBuilder(Format format) : format_(format) {}

  UnpicklerHooks hooks() {
    return {[this](const std::string& m, const std::string& n) { return find_global(m, n); },
            [this](const Value& c, const Value& a) { return call(c, a); },
            [this](const Value& pid) { return persistent_load(pid); },
            /*build=*/{}};
  }

  struct RootStorage {
    TensorDType dtype;
    std::int64_t numel;
  };
  const std::map<std::string, RootStorage>& roots() const { return roots_; }

 private:
  ValuePtr find_global(const std::string& raw_module, const std::string& name) {
    // Protocol-2 pickles name Python 3's builtins by their Python 2 modules (pickle's
    // fix_imports); messages use the names Python 3 would resolve them to.
    const std::string module = raw_module == "__builtin__" ? "builtins"
                               : raw_module == "copy_reg"  ? "copyreg"
                                                           : raw_module;
    std::string full = module + "." + name;
    if (full == kOrderedDict || full == kRebuildTensorV2 || full == kRebuildTensor ||
        full == kRebuildParameter)
      return detail::make_string(full, ValueKind::kGlobal);
    if (module == "torch") {
      for (const auto& type : kStorageTypes)
        if (name == type.name) return detail::make_string(full, ValueKind::kGlobal);
      for (const char* type : kUnsupportedStorageTypes)
        if (name == type)
          throw BackboneError(fmt::format(
              "a tensor is stored as torch.{}, which this reader does not support (supported: "
              "float32, float64, float16, int64, int32, uint8, int8 and bool tensors); convert the "
              "state dict, e.g. to float32, and save it again",
              name));
    }
    refuse_global(full);
  }

  static std::optional<TensorDType> storage_dtype(const Value& v) {
    if (v.kind != ValueKind::kGlobal) return std::nullopt;
    for (const auto& type : kStorageTypes)
      if (v.text == std::string("torch.") + type.name) return type.dtype;
    return std::nullopt;
  }

  static std::vector<std::int64_t> int_tuple(const Value& v, const char* what) {
    if (v.kind != ValueKind::kTuple)
      throw BackboneError(
          fmt::format("a tensor's {} is {}, not a tuple of ints", what, describe(v)));
    std::vector<std::int64_t> out;
    out.reserve(v.items.size());
    for (const auto& item : v.items) {
      if (item->kind != ValueKind::kInt || item->integer < 0)
        throw BackboneError(
            fmt::format("a tensor's {} holds {}, not a non-negative int", what, describe(*item)));
      out.push_back(item->integer);
    }
    return out;
  }

  // torch._utils._rebuild_tensor[_v2](storage, storage_offset, size, stride, ...): checks the
  // geometry against the storage's declared size now, before any storage bytes are read.
  static ValuePtr rebuild_tensor(const Value& args, const std::string& fn) {
    if (args.items.size() < 4)
      throw BackboneError(
          fmt::format("{} called with {} arguments; expected (storage, "
                      "storage_offset, size, stride, ...)",
                      fn, args.items.size()));
    const Value& storage = *args.items[0];
    const auto* ref =
        storage.kind == ValueKind::kObject ? std::any_cast<StorageRef>(&storage.object) : nullptr;
    if (!ref)
      throw BackboneError(
          fmt::format("{}'s storage argument is {}, not a storage", fn, describe(storage)));
    TensorRef t;
    t.storage = *ref;
    const Value& offset = *args.items[1];
    if (offset.kind != ValueKind::kInt || offset.integer < 0)
      throw BackboneError(
          fmt::format("{}'s storage offset is {}, not a non-negative int", fn, describe(offset)));
    t.offset = offset.integer;
    t.shape = int_tuple(*args.items[2], "size");
    t.stride = int_tuple(*args.items[3], "stride");
    // A bound on the rank keeps the copy loop linear in the data (torch's kernels stop at 25).
    if (t.shape.size() > kMaxRank)
      throw BackboneError(fmt::format("a tensor has {} dimensions; at most {} are accepted",
                                      t.shape.size(), kMaxRank));
    if (t.shape.size() != t.stride.size())
      throw BackboneError(
          fmt::format("a tensor has {} sizes but {} strides", t.shape.size(), t.stride.size()));
    std::int64_t numel = 1, last = t.offset;
    bool overflow = false;
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      overflow |= __builtin_mul_overflow(numel, t.shape[d], &numel);
      if (t.shape[d] > 0) {
        std::int64_t step = 0;
        overflow |= __builtin_mul_overflow(t.shape[d] - 1, t.stride[d], &step);
        overflow |= __builtin_add_overflow(last, step, &last);
      }
    }
    if (overflow)
      throw BackboneError(fmt::format("a tensor's size ({}) and stride ({}) overflow 64 bits",
                                      fmt::join(t.shape, ", "), fmt::join(t.stride, ", ")));
    t.numel = numel;
    // An empty tensor reads nothing, whatever its offset (as in torch).
    if (numel > 0 && last >= t.storage.numel)
      throw BackboneError(fmt::format(
          "a tensor of size ({}), stride ({}) and storage offset {} reaches element {} of storage "
          "'{}', which has {} elements",
          fmt::join(t.shape, ", "), fmt::join(t.stride, ", "), t.offset, last, t.storage.key,
          t.storage.numel));
    return make_object("tensor", std::move(t));
  }

  ValuePtr call(const Value& callable, const Value& args) {
    const std::string& fn = callable.text;
    if (fn == kOrderedDict) {
      // OrderedDict.__reduce__ calls the class with no arguments and fills it with SETITEMS.
      if (!args.items.empty())
        throw BackboneError(fmt::format("{} called with {} arguments; torch.save writes none", fn,
                                        args.items.size()));
      return make_value(ValueKind::kDict);
    }
    if (fn == kRebuildTensorV2 || fn == kRebuildTensor) return rebuild_tensor(args, fn);
    if (fn == kRebuildParameter) {
      if (args.items.empty() || args.items[0]->kind != ValueKind::kObject ||
          !std::any_cast<TensorRef>(&args.items[0]->object))
        throw BackboneError(fmt::format("{} called without a tensor", fn));
      return args.items[0];
    }
    throw BackboneError(
        fmt::format("the pickle calls {}, which torch.save never does in a state dict", fn));
  }

  static bool is_text(const Value& v) {
    return v.kind == ValueKind::kString || v.kind == ValueKind::kBytes;
  }

  [[noreturn]] void bad_pid(const Value& pid) const {
    throw BackboneError(fmt::format(
        "malformed persistent id {}: expected {} as torch.save writes it", describe(pid),
        format_ == Format::kZip ? "('storage', storage type, key, location, numel)"
                                : "('storage', storage type, key, location, numel, view)"));
  }

  // Zip: ('storage', storage_type, key, location, numel).
  // Legacy: ('storage', storage_type, root_key, location, numel, view_metadata), where
  // view_metadata is None or (view_key, offset, view_numel) in elements of the root storage.
  ValuePtr persistent_load(const Value& pid) {
    const std::size_t arity = format_ == Format::kZip ? 5 : 6;
    if (pid.kind != ValueKind::kTuple || pid.items.size() != arity) bad_pid(pid);
    const auto& it = pid.items;
    if (!is_text(*it[0]) || it[0]->text != "storage") bad_pid(pid);
    auto dtype = storage_dtype(*it[1]);
    if (!dtype || !is_text(*it[2]) || !is_text(*it[3]) || it[4]->kind != ValueKind::kInt ||
        it[4]->integer < 0)
      bad_pid(pid);
    StorageRef ref{it[2]->text, *dtype, it[4]->integer, 0};
    // Bounds what a damaged size can make the legacy reader expect (and what the numel * element
    // size products below can reach).
    if (ref.numel > (std::int64_t{1} << 56))
      throw BackboneError(fmt::format("storage '{}' declares {} elements", ref.key, ref.numel));
    auto [root, inserted] = roots_.emplace(ref.key, RootStorage{ref.dtype, ref.numel});
    if (!inserted && (root->second.dtype != ref.dtype || root->second.numel != ref.numel))
      throw BackboneError(fmt::format(
          "storage '{}' is declared twice with different types or sizes ({} x {}, then {} x {})",
          ref.key, dtype_name(root->second.dtype), root->second.numel, dtype_name(ref.dtype),
          ref.numel));
    if (format_ == Format::kLegacy && it[5]->kind != ValueKind::kNone) {
      const Value& view = *it[5];
      if (view.kind != ValueKind::kTuple || view.items.size() != 3 || !is_text(*view.items[0]) ||
          view.items[1]->kind != ValueKind::kInt || view.items[2]->kind != ValueKind::kInt)
        bad_pid(pid);
      std::int64_t offset = view.items[1]->integer, size = view.items[2]->integer;
      if (offset < 0 || size < 0 || offset > ref.numel || size > ref.numel - offset)
        throw BackboneError(fmt::format(
            "storage view at offset {} of {} elements does not fit in storage '{}' of {}", offset,
            size, ref.key, ref.numel));
      ref.root_offset = offset;
      ref.numel = size;
    }
    return make_object("storage", std::move(ref));
  }

  Format format_;
  std::map<std::string, RootStorage> roots_;
};

// The name -> tensor entries of the top-level object, which must be a flat dict of tensors.
// A training checkpoint often nests the weights ({'state_dict': ..., 'optimizer': ..., 'epoch': 3})
// under a key that varies from project to project; guessing could pick the wrong weights (an EMA
// copy, a discriminator), so instead the message lists what the file holds and the user saves
// the state dict they mean.
std::vector<std::pair<std::string, TensorRef>> flat_state_dict(const Value& top) {
  if (top.kind != ValueKind::kDict)
    throw BackboneError(fmt::format(
        "not a state dict: the file holds {}, but a state dict is a dict of name -> tensor (save "
        "model.state_dict())",
        describe(top)));
  std::vector<std::pair<std::string, TensorRef>> out;
  std::vector<std::string> others, keys;
  out.reserve(top.entries.size());
  for (const auto& [key, value] : top.entries) {
    if (key->kind != ValueKind::kString)
      throw BackboneError(fmt::format(
          "not a state dict: the top-level dict has a key that is {}, not a str", describe(*key)));
    if (keys.size() < 20) keys.push_back("'" + key->text + "'");
    const auto* tensor =
        value->kind == ValueKind::kObject ? std::any_cast<TensorRef>(&value->object) : nullptr;
    if (tensor)
      out.emplace_back(key->text, *tensor);
    else if (others.size() < 10)
      others.push_back(fmt::format("'{}' holds {}", key->text, describe(*value)));
  }
  if (out.size() != top.entries.size())
    throw BackboneError(fmt::format(
        "not a flat state dict (name -> tensor): {}{}; the weights may be nested in a training "
        "checkpoint, and gensweep does not guess which entry holds them: save model.state_dict() "
        "itself (top-level keys: {}{})",
        fmt::join(others, ", "), top.entries.size() - out.size() > others.size() ? ", ..." : "",
        fmt::join(keys, ", "), top.entries.size() > keys.size() ? ", ..." : ""));
  return out;
}

CheckpointTensor tensor_without_data(const TensorRef& ref) {
  CheckpointTensor t;
  t.dtype = ref.storage.dtype;
  t.shape = ref.shape;
  return t;
}

[[noreturn]] void record_too_short(const std::string& record, const std::string& tensor,
                                   std::uint64_t have, std::int64_t numel, TensorDType dtype) {
  throw BackboneError(fmt::format(
      "storage record '{}' (used by tensor '{}') is too short: it holds {} bytes, but the pickle "
      "declares {} {} elements ({} bytes)",
      record, tensor, have, numel, dtype_name(dtype),
      static_cast<std::uint64_t>(numel) * element_size(dtype)));
}

StateDict read_zip(const detail::InputFile& file) {
  detail::ZipReader zip(file);
  if (zip.entries().empty())
    throw BackboneError("an empty zip archive, not a torch.save checkpoint");
  // torch names every entry "<archive>/...", the archive name coming from the first entry.
  const std::string& first = zip.entries().front().name;
  const std::string prefix = first.substr(0, first.find('/'));
  const detail::ZipEntry* pkl = zip.find(prefix + "/data.pkl");
  bool torchscript = zip.find(prefix + "/constants.pkl") != nullptr;
  for (const auto& e : zip.entries())
    torchscript |= e.name.starts_with(prefix + "/code/");
  if (torchscript)
    throw BackboneError(
        "this is a TorchScript archive (torch.jit.save), not a torch.save state dict; TorchScript "
        "files are loaded with torch::jit::load, not with the checkpoint reader");
  if (!pkl) {
    std::vector<std::string> names;
    for (const auto& e : zip.entries()) {
      if (names.size() == 5) {
        names.push_back("...");
        break;
      }
      names.push_back("'" + e.name + "'");
    }
    throw BackboneError(
        fmt::format("a zip archive without '{}/data.pkl', so not a torch.save checkpoint (expected "
                    "<name>/data.pkl and <name>/data/<key> records; it holds {})",
                    prefix, fmt::join(names, ", ")));
  }
  if (const auto* order = zip.find(prefix + "/byteorder")) {
    auto bytes = zip.read(*order);
    std::string text(bytes.begin(), bytes.end());
    if (text != "little")
      throw BackboneError(fmt::format(
          "the checkpoint's byte order is '{}'; only little-endian checkpoints are supported",
          text));
  }

  StateDictBuilder builder(Format::kZip);
  std::vector<std::pair<std::string, TensorRef>> refs;
  {
    auto pickle = zip.read(*pkl);
    detail::MemorySource source(pickle);
    Unpickler unpickler(source, prefix + "/data.pkl", builder.hooks());
    refs = flat_state_dict(*unpickler.load());
  }
  check_output_size(refs, file.size());

  // A storage shared by several tensors (views) is read once and kept until its last user.
  std::map<std::string, int> uses;
  for (const auto& [name, ref] : refs)
    if (ref.numel > 0) ++uses[ref.storage.key];
  std::map<std::string, std::vector<std::uint8_t>> cache;

  StateDict out;
  out.reserve(refs.size());
  for (const auto& [name, ref] : refs) {
    CheckpointTensor t = tensor_without_data(ref);
    if (ref.numel > 0) {
      const std::string record = prefix + "/data/" + ref.storage.key;
      const std::size_t elsize = element_size(ref.storage.dtype);
      auto cached = cache.find(ref.storage.key);
      if (cached == cache.end()) {
        const detail::ZipEntry* entry = zip.find(record);
        if (!entry)
          throw BackboneError(fmt::format(
              "the storage record '{}' of tensor '{}' is missing from the archive", record, name));
        auto bytes = zip.read(*entry);
        if (bytes.size() / elsize < static_cast<std::uint64_t>(ref.storage.numel))
          record_too_short(record, name, bytes.size(), ref.storage.numel, ref.storage.dtype);
        cached = cache.emplace(ref.storage.key, std::move(bytes)).first;
      }
      auto& bytes = cached->second;
      const bool last_use = --uses[ref.storage.key] == 0;
      if (last_use && ref.offset == 0 && is_contiguous(ref) &&
          bytes.size() == static_cast<std::size_t>(ref.numel) * elsize) {
        t.data = std::move(bytes);  // the common case: the record is the tensor
      } else {
        t.data.resize(static_cast<std::size_t>(ref.numel) * elsize);
        gather(bytes.data(), elsize, ref, t.data.data());
      }
      if (last_use) cache.erase(cached);
    }
    out.emplace_back(name, std::move(t));
  }
  return out;
}

// Sequential reads from a file through a buffer: the legacy format's pickles are parsed opcode
// by opcode, and the raw storages follow at an offset known only once they are parsed.
class FileSource : public detail::PickleSource {
 public:
  explicit FileSource(const detail::InputFile& file) : file_(file) {}

  void read(void* dst, std::size_t n) override {
    auto* out = static_cast<std::uint8_t*>(dst);
    while (n > 0) {
      if (buf_pos_ < buf_.size()) {
        std::size_t take = std::min(n, buf_.size() - buf_pos_);
        std::memcpy(out, buf_.data() + buf_pos_, take);
        buf_pos_ += take;
        out += take;
        n -= take;
      } else if (n >= kBufferSize) {  // a storage: straight into its destination
        file_.read_at(position(), out, n, "a storage");
        buf_start_ = position() + n;
        buf_.clear();
        buf_pos_ = 0;
        return;
      } else {
        buf_start_ = position();
        buf_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kBufferSize, remaining())));
        buf_pos_ = 0;
        GENSWEEP_ASSERT(!buf_.empty(), "read past the end of the file");
        file_.read_at(buf_start_, buf_.data(), buf_.size(), "the next bytes");
      }
    }
  }
  std::uint64_t position() const override { return buf_start_ + buf_pos_; }
  std::uint64_t remaining() const override { return file_.size() - position(); }

 private:
  static constexpr std::size_t kBufferSize = 1 << 16;
  const detail::InputFile& file_;
  std::vector<std::uint8_t> buf_;
  std::uint64_t buf_start_ = 0;
  std::size_t buf_pos_ = 0;
};

StateDict read_legacy(const detail::InputFile& file) {
  FileSource source(file);
  StateDictBuilder builder(Format::kLegacy);
  auto load = [&](const char* what) {
    // Each pickle gets its own memo, as each was written by its own pickle.dump.
    return Unpickler(source, what, builder.hooks()).load();
  };
  // Values are checked while their Unpickler lives (see Unpickler::~Unpickler); scalars survive.
  {
    Unpickler u(source, "the magic-number pickle", builder.hooks());
    auto magic = u.load();
    if (magic->kind != ValueKind::kBigInt ||
        magic->text != std::string(std::begin(kLegacyMagic), std::end(kLegacyMagic)))
      throw BackboneError(fmt::format(
          "not a PyTorch checkpoint: a pickle holding {}, but a legacy torch.save file starts with "
          "a pickle of its magic number 0x1950a86a20f9469cfc6c",
          describe(*magic)));
  }
  auto version = load("the protocol-version pickle");
  if (version->kind != ValueKind::kInt || version->integer != kLegacyProtocolVersion)
    throw BackboneError(fmt::format(
        "legacy torch.save protocol version {} is not supported (expected {})",
        version->kind == ValueKind::kInt ? std::to_string(version->integer) : describe(*version),
        kLegacyProtocolVersion));
  {
    Unpickler u(source, "the sys_info pickle", builder.hooks());
    auto sys_info = u.load();
    const Value* little =
        sys_info->kind == ValueKind::kDict ? detail::dict_get(*sys_info, "little_endian") : nullptr;
    if (!little || little->kind != ValueKind::kBool)
      throw BackboneError(
          fmt::format("the sys_info pickle holds {}, not a dict with a bool 'little_endian'",
                      describe(*sys_info)));
    if (!little->boolean)
      throw BackboneError(
          "the checkpoint was written on a big-endian machine; only little-endian checkpoints are "
          "supported");
  }
  std::vector<std::pair<std::string, TensorRef>> refs;
  {
    Unpickler u(source, "the state-dict pickle", builder.hooks());
    refs = flat_state_dict(*u.load());
  }
  check_output_size(refs, file.size());
  std::vector<std::string> keys;
  {
    Unpickler u(source, "the storage-key pickle", builder.hooks());
    auto list = u.load();
    if (list->kind != ValueKind::kList)
      throw BackboneError(fmt::format(
          "the storage-key pickle holds {}, not the list of storage keys", describe(*list)));
    for (const auto& key : list->items) {
      if (key->kind != ValueKind::kString && key->kind != ValueKind::kBytes)
        throw BackboneError(
            fmt::format("the storage-key list holds {}, not a str", describe(*key)));
      keys.push_back(key->text);
    }
  }

  // Tensors by root storage, so that each storage is turned into its tensors as it is read and
  // then freed: the peak is the state dict plus one storage.
  std::map<std::string, std::vector<std::size_t>> users;
  for (std::size_t i = 0; i < refs.size(); ++i)
    users[refs[i].second.storage.key].push_back(i);
  StateDict out;
  out.reserve(refs.size());
  for (const auto& [name, ref] : refs)
    out.emplace_back(name, tensor_without_data(ref));

  std::map<std::string, bool> seen;
  for (const auto& key : keys) {
    auto root = builder.roots().find(key);
    if (root == builder.roots().end())
      throw BackboneError(fmt::format(
          "the storage-key list names '{}', which the state-dict pickle never uses", key));
    if (!seen.emplace(key, true).second)
      throw BackboneError(fmt::format("the storage-key list names '{}' twice", key));
    const auto dtype = root->second.dtype;
    const std::size_t elsize = element_size(dtype);
    const std::uint64_t at = source.position();
    std::uint8_t count_bytes[8];
    if (source.remaining() < 8)
      throw BackboneError(fmt::format(
          "truncated: the storage record '{}' should start at byte {} with its 8-byte element "
          "count, but the file ends at byte {}",
          key, at, file.size()));
    source.read(count_bytes, 8);
    std::int64_t numel = 0;
    std::memcpy(&numel, count_bytes, 8);  // little-endian, as sys_info said
    // A shorter record than the pickle declares cannot hold its tensors.
    if (numel < root->second.numel) {
      const std::string tensor =
          users.count(key) ? refs[users[key].front()].first : std::string("?");
      record_too_short(key, tensor, numel < 0 ? 0 : static_cast<std::uint64_t>(numel) * elsize,
                       root->second.numel, dtype);
    }
    if (static_cast<std::uint64_t>(numel) > source.remaining() / elsize)
      throw BackboneError(fmt::format(
          "truncated: the storage record '{}' at byte {} holds {} {} elements ({} bytes), but "
          "only {} bytes are left in the file",
          key, at, numel, dtype_name(dtype), static_cast<std::uint64_t>(numel) * elsize,
          source.remaining()));
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(numel) * elsize);
    source.read(bytes.data(), bytes.size());
    for (std::size_t i : users[key]) {
      const TensorRef& ref = refs[i].second;
      if (ref.numel == 0) continue;
      auto& data = out[i].second.data;
      data.resize(static_cast<std::size_t>(ref.numel) * elsize);
      gather(bytes.data() + static_cast<std::size_t>(ref.storage.root_offset) * elsize, elsize, ref,
             data.data());
    }
  }
  for (const auto& [key, indices] : users)
    if (!seen.count(key))
      throw BackboneError(fmt::format(
          "tensor '{}' uses storage '{}', which is missing from the file's storage-key list",
          refs[indices.front()].first, key));
  return out;
}

std::string hex_prefix(const std::uint8_t* bytes, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += fmt::format("{}{:02x}", i ? " " : "", bytes[i]);
  return out;
}

StateDict read_any(const std::filesystem::path& path) {
  detail::InputFile file(path);
  if (file.size() == 0)
    throw BackboneError(
        "empty file (0 bytes); expected a PyTorch checkpoint written by torch.save (a zip "
        "archive, or the legacy format that starts with a pickle of its magic number)");
  std::uint8_t head[8] = {};
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), 8));
  file.read_at(0, head, n, "the file's first bytes");
  if (n >= 2 && head[0] == 'P' && head[1] == 'K') return read_zip(file);
  // Any pickle (PROTO): the legacy reader then checks for the magic number.
  if (head[0] == 0x80) return read_legacy(file);
  std::string kind;
  static const std::uint8_t kPng[] = {0x89, 'P', 'N', 'G'};
  if (n >= 4 && std::memcmp(head, kPng, 4) == 0) kind = " (a PNG image)";
  if (n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff) kind = " (a JPEG image)";
  if (n >= 4 && std::memcmp(head, "\x89HDF", 4) == 0) kind = " (an HDF5 file)";
  if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) kind = " (gzip data)";
  throw BackboneError(fmt::format(
      "not a PyTorch checkpoint{}: expected a torch.save file, i.e. a zip archive (starting with "
      "'PK') or the legacy format (starting with a pickle, byte 0x80), but it starts with bytes {}",
      kind, hex_prefix(head, n)));
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1f;
  std::uint32_t mantissa = h & 0x3ff;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    std::uint32_t e = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ff) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
void convert(const std::vector<std::uint8_t>& data, std::vector<float>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

const char* dtype_name(TensorDType dtype) {
  switch (dtype) {
    case TensorDType::kFloat32:
      return "float32";
    case TensorDType::kFloat64:
      return "float64";
    case TensorDType::kFloat16:
      return "float16";
    case TensorDType::kInt64:
      return "int64";
    case TensorDType::kInt32:
      return "int32";
    case TensorDType::kUInt8:
      return "uint8";
    case TensorDType::kInt8:
      return "int8";
    case TensorDType::kBool:
      return "bool";
  }
  return "unknown";
}

std::int64_t CheckpointTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

std::vector<float> CheckpointTensor::to_float() const {
  const auto n = static_cast<std::size_t>(numel());
  GENSWEEP_ASSERT(data.size() == n * element_size(dtype), "tensor of {} elements holds {} bytes", n,
                  data.size());
  std::vector<float> out(n);
  switch (dtype) {
    case TensorDType::kFloat32:
      convert<float>(data, out);
      break;
    case TensorDType::kFloat64:
      convert<double>(data, out);
      break;
    case TensorDType::kInt64:
      convert<std::int64_t>(data, out);
      break;
    case TensorDType::kInt32:
      convert<std::int32_t>(data, out);
      break;
    case TensorDType::kUInt8:
      convert<std::uint8_t>(data, out);
      break;
    case TensorDType::kInt8:
      convert<std::int8_t>(data, out);
      break;
    case TensorDType::kBool:
      for (std::size_t i = 0; i < n; ++i)
        out[i] = data[i] ? 1.0f : 0.0f;
      break;
    case TensorDType::kFloat16:
      for (std::size_t i = 0; i < n; ++i)
        out[i] = half_to_float(static_cast<std::uint16_t>(data[2 * i] | (data[2 * i + 1] << 8)));
      break;
  }
  return out;
}

StateDict read_checkpoint(const std::filesystem::path& file) {
  try {
    return read_any(file);
  } catch (const BackboneError& e) {
    // One place adds the file: every message below is written without it.
    throw BackboneError(fmt::format("{}: {}", file.string(), e.what()));
  }
}

const CheckpointTensor* find_tensor(const StateDict& dict, const std::string& name) {
  for (const auto& [key, tensor] : dict)
    if (key == name) return &tensor;
  return nullptr;
}

}  // namespace gensweep::features
