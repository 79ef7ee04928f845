#include "gensweep/features/checkpoint.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "gensweep/core/error.h"
#include "gensweep/core/sha256.h"
#include "pickle.h"
#include "test_util.h"
#include "zip_reader.h"

// Fixtures come from tests/data/features/checkpoints/make_fixtures.py (run once with Debian's
// python3-torch; the outputs are committed, so these tests need neither Python nor torch). Files
// that only need a few crafted bytes (hostile pickles, damaged copies) are written here.

namespace gensweep::features {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::filesystem::path fixture(const std::string& name) {
  return testing::test_data_dir() / "features" / "checkpoints" / name;
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::string text = testing::read_text(path);
  return Bytes(text.begin(), text.end());
}

void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

Bytes bytes_of(const std::string& text) {
  return Bytes(text.begin(), text.end());
}

void put16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

void put64(Bytes& out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v));
  put32(out, static_cast<std::uint32_t>(v >> 32));
}

// A stored (uncompressed) zip archive, as torch.save writes one, without its 64-byte alignment.
// With `zip64`, every size and offset of the central directory and its end goes through the ZIP64
// records, as they do when an archive passes 4 GiB (too big a fixture to commit).
Bytes zip_bytes(const std::vector<std::pair<std::string, Bytes>>& entries, bool zip64 = false) {
  Bytes out, cd;
  for (const auto& [name, data] : entries) {
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t crc = detail::crc32(data);
    const auto size = static_cast<std::uint32_t>(data.size());
    put32(out, 0x04034b50);
    for (std::uint32_t v : {20u, 0u, 0u, 0u, 0u})
      put16(out, v);  // version, flags, method, time, date
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, static_cast<std::uint32_t>(name.size()));
    put16(out, 0);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
    put32(cd, 0x02014b50);
    for (std::uint32_t v : {45u, 45u, 0u, 0u, 0u, 0u})
      put16(cd, v);
    put32(cd, crc);
    put32(cd, zip64 ? 0xffffffffu : size);
    put32(cd, zip64 ? 0xffffffffu : size);
    put16(cd, static_cast<std::uint32_t>(name.size()));
    put16(cd, zip64 ? 28 : 0);  // extra field length
    for (std::uint32_t v : {0u, 0u, 0u})
      put16(cd, v);  // comment, disk, attributes
    put32(cd, 0);
    put32(cd, zip64 ? 0xffffffffu : offset);
    cd.insert(cd.end(), name.begin(), name.end());
    if (zip64) {  // ZIP64 extended information: size, compressed size, local header offset
      put16(cd, 0x0001);
      put16(cd, 24);
      put64(cd, size);
      put64(cd, size);
      put64(cd, offset);
    }
  }
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), cd.begin(), cd.end());
  if (zip64) {
    const auto end64 = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);  // size of the rest of the record
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, entries.size());
    put64(out, entries.size());
    put64(out, cd.size());
    put64(out, cd_offset);
    put32(out, 0x07064b50);  // locator
    put32(out, 0);
    put64(out, end64);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xffffu : static_cast<std::uint32_t>(entries.size()));
  put16(out, zip64 ? 0xffffu : static_cast<std::uint32_t>(entries.size()));
  put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(cd.size()));
  put32(out, zip64 ? 0xffffffffu : cd_offset);
  put16(out, 0);
  return out;
}

// A zip checkpoint whose data.pkl is `pickle` (plus the records of `records`).
Bytes zip_checkpoint(const std::string& pickle,
                     const std::vector<std::pair<std::string, Bytes>>& records = {}) {
  std::vector<std::pair<std::string, Bytes>> entries = {{"archive/data.pkl", bytes_of(pickle)}};
  for (const auto& [key, data] : records)
    entries.emplace_back("archive/data/" + key, data);
  entries.emplace_back("archive/version", bytes_of("3\n"));
  return zip_bytes(entries);
}

void write_zip_checkpoint(const std::filesystem::path& path, const std::string& pickle,
                          const std::vector<std::pair<std::string, Bytes>>& records = {}) {
  write_bytes(path, zip_checkpoint(pickle, records));
}

// Thousands of damaged copies, each under a fresh name: rewriting one file in place makes ext4
// flush it to disk on every close (auto_da_alloc), which turns seconds into minutes.
class ScratchFiles {
 public:
  std::filesystem::path write(const Bytes& bytes) {
    if (!last_.empty()) std::filesystem::remove(last_);
    last_ = dir_ / ("scratch-" + std::to_string(count_++) + ".pth");
    write_bytes(last_, bytes);
    return last_;
  }

 private:
  testing::TempDir dir_;
  std::filesystem::path last_;
  int count_ = 0;
};

// Crafted pickles, opcode by opcode (string literals with \x escapes are too easy to get wrong).
class PickleBuilder {
 public:
  PickleBuilder& op(char c) {
    s_ += c;
    return *this;
  }
  PickleBuilder& op(std::uint8_t c) { return op(static_cast<char>(c)); }
  PickleBuilder& proto(int v) { return op(std::uint8_t{0x80}).op(static_cast<char>(v)); }
  PickleBuilder& global(const std::string& module, const std::string& name) {
    s_ += 'c' + module + '\n' + name + '\n';
    return *this;
  }
  PickleBuilder& str(const std::string& text) {
    s_ += 'X';
    for (int i = 0; i < 4; ++i)
      s_ += static_cast<char>((text.size() >> (8 * i)) & 0xff);
    s_ += text;
    return *this;
  }
  PickleBuilder& short_str(const std::string& text) {  // SHORT_BINUNICODE (protocol 4)
    op(std::uint8_t{0x8c}).op(static_cast<char>(text.size()));
    s_ += text;
    return *this;
  }
  PickleBuilder& int1(int v) { return op('K').op(static_cast<char>(v)); }
  PickleBuilder& long1(std::int64_t v) {  // LONG1 with 8 bytes, two's complement
    op(std::uint8_t{0x8a}).op(std::uint8_t{8});
    for (int i = 0; i < 8; ++i)
      op(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
    return *this;
  }
  PickleBuilder& put(int slot) { return op('q').op(static_cast<char>(slot)); }
  PickleBuilder& get(int slot) { return op('h').op(static_cast<char>(slot)); }
  PickleBuilder& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

constexpr std::uint8_t kTuple1 = 0x85, kNewFalse = 0x89, kStackGlobal = 0x93, kMemoize = 0x94;

// {'w': tensor of 2 float32 in storage '0' at `offset`}, as torch.save writes it.
// With `size` and `stride` other than (2) and (1), a 1-d view of that size and stride; with
// `rank` > 1, that many dimensions of size 1 before it.
std::string one_tensor_pickle(int offset, std::int64_t size = 2, std::int64_t stride = 1,
                              int rank = 1) {
  PickleBuilder p;
  p.proto(2).op('}').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(');
  p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").int1(2).op('t');
  p.op('Q').int1(offset).op('(');
  for (int d = 1; d < rank; ++d)
    p.int1(1);
  p.long1(size).op('t').op('(');
  for (int d = 1; d < rank; ++d)
    p.int1(1);
  p.long1(stride).op('t').op(kNewFalse);
  p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R').op('s').op('.');
  return p.str();
}

// The message read_checkpoint throws, or "" when it reads the file.
std::string error_of(const std::filesystem::path& path) {
  try {
    read_checkpoint(path);
  } catch (const BackboneError& e) {
    return e.what();
  }
  return "";
}

const std::string kRefusal =
    "which a state dict never needs (only tensors and OrderedDict are accepted; loading a weights "
    "file never executes code)";

std::string refusal(const std::filesystem::path& path, const std::string& global) {
  return path.string() + ": refusing to load: the pickle asks for global '" + global + "', " +
         kRefusal;
}

// Compares a tensor with torch.load's reading of it (small_expected.json): exact values.
void expect_matches(const CheckpointTensor& t, const nlohmann::json& want,
                    const std::string& name) {
  SCOPED_TRACE(name);
  EXPECT_EQ(dtype_name(t.dtype), want["dtype"].get<std::string>());
  EXPECT_EQ(t.shape, want["shape"].get<std::vector<std::int64_t>>());
  const auto& values = want["values"];
  ASSERT_EQ(t.numel(), static_cast<std::int64_t>(values.size()));
  auto element = [&](std::size_t i, auto zero) {
    decltype(zero) v;
    std::memcpy(&v, t.data.data() + i * sizeof v, sizeof v);
    return v;
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    switch (t.dtype) {
      case TensorDType::kFloat32:
        EXPECT_EQ(element(i, 0.0f), values[i].get<float>()) << i;
        break;
      case TensorDType::kFloat64:
        EXPECT_EQ(element(i, 0.0), values[i].get<double>()) << i;
        break;
      case TensorDType::kInt64:
        EXPECT_EQ(element(i, std::int64_t{}), values[i].get<std::int64_t>()) << i;
        break;
      case TensorDType::kInt32:
        EXPECT_EQ(element(i, std::int32_t{}), values[i].get<std::int32_t>()) << i;
        break;
      case TensorDType::kUInt8:
        EXPECT_EQ(t.data[i], values[i].get<int>()) << i;
        break;
      case TensorDType::kInt8:
        EXPECT_EQ(static_cast<std::int8_t>(t.data[i]), values[i].get<int>()) << i;
        break;
      case TensorDType::kBool:
        EXPECT_EQ(t.data[i] != 0, values[i].get<bool>()) << i;
        break;
      case TensorDType::kFloat16:
        EXPECT_EQ(t.to_float()[i], values[i].get<float>()) << i;
        break;
    }
  }
}

class SmallStateDict : public ::testing::TestWithParam<const char*> {};

TEST_P(SmallStateDict, MatchesTorchLoadInNamesOrderShapesAndValues) {
  auto want = nlohmann::json::parse(testing::read_text(fixture("small_expected.json")));
  StateDict dict = read_checkpoint(fixture(GetParam()));
  const auto& tensors = want["tensors"];
  ASSERT_EQ(dict.size(), tensors.size());
  for (std::size_t i = 0; i < dict.size(); ++i) {
    EXPECT_EQ(dict[i].first, tensors[i]["name"].get<std::string>());
    expect_matches(dict[i].second, tensors[i], dict[i].first);
    EXPECT_EQ(dict[i].second.data.size(),
              static_cast<std::size_t>(dict[i].second.numel()) *
                  (dict[i].second.dtype == TensorDType::kFloat64 ||
                           dict[i].second.dtype == TensorDType::kInt64
                       ? 8
                   : dict[i].second.dtype == TensorDType::kFloat32 ||
                           dict[i].second.dtype == TensorDType::kInt32
                       ? 4
                   : dict[i].second.dtype == TensorDType::kFloat16 ? 2
                                                                   : 1));
  }
}

INSTANTIATE_TEST_SUITE_P(BothFormats, SmallStateDict,
                         ::testing::Values("small_zip.pth", "small_legacy.pth",
                                           "small_proto4_zip.pth"));

TEST(Checkpoint, ViewsScalarsAndEmptyTensors) {
  StateDict dict = read_checkpoint(fixture("small_legacy.pth"));
  const auto* t = find_tensor(dict, "view.t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<std::int64_t>{4, 3}));
  EXPECT_EQ(t->to_float(), (std::vector<float>{0.5f, 4.5f, 8.5f, 1.5f, 5.5f, 9.5f, 2.5f, 6.5f,
                                               10.5f, 3.5f, 7.5f, 11.5f}));
  EXPECT_EQ(find_tensor(dict, "view.strided")->to_float(),
            (std::vector<float>{0.5f, 3.5f, 8.5f, 11.5f}));
  const auto* scalar = find_tensor(dict, "scalar");
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->numel(), 1);
  EXPECT_EQ(scalar->to_float(), std::vector<float>{3.5f});
  const auto* empty = find_tensor(dict, "empty2d");
  EXPECT_EQ(empty->shape, (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_TRUE(empty->data.empty());
  EXPECT_EQ(find_tensor(dict, "bn.num_batches_tracked")->dtype, TensorDType::kInt64);
  EXPECT_EQ(find_tensor(dict, "no.such.tensor"), nullptr);
}

TEST(Checkpoint, ToFloatConvertsEveryDtype) {
  StateDict dict = read_checkpoint(fixture("small_zip.pth"));
  EXPECT_EQ(find_tensor(dict, "half")->to_float(),
            (std::vector<float>{1.0f, -2.5f, 65504.0f, 5.9604645e-08f}));
  EXPECT_EQ(find_tensor(dict, "int32")->to_float(),
            (std::vector<float>{-1.0f, 2.0f, 2147483648.0f}));
  EXPECT_EQ(find_tensor(dict, "uint8")->to_float(), (std::vector<float>{0.0f, 255.0f, 7.0f}));
  EXPECT_EQ(find_tensor(dict, "int8")->to_float(), (std::vector<float>{-128.0f, 127.0f}));
  EXPECT_EQ(find_tensor(dict, "bool")->to_float(), (std::vector<float>{1.0f, 0.0f, 1.0f}));
  EXPECT_EQ(find_tensor(dict, "f64")->to_float()[1], -2.25f);
  EXPECT_EQ(find_tensor(dict, "bn.num_batches_tracked")->to_float(), std::vector<float>{7.0f});
}

// The golden: the FID Inception stand-in (zip format, 92 MB) against torch.load's reading of it,
// recorded by make_fixtures.py in surrogate_inception_expected.json.
TEST(Checkpoint, SurrogateInceptionMatchesTorchLoad) {
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  const auto path = testing::shared_dir() / "weights/surrogate-fid-inception.pth";
  auto want =
      nlohmann::json::parse(testing::read_text(fixture("surrogate_inception_expected.json")));
  ASSERT_EQ(sha256_file_hex(path), want["sha256"].get<std::string>())
      << "the shared weights file changed; re-run make_fixtures.py";
  StateDict dict = read_checkpoint(path);
  ASSERT_EQ(dict.size(), want["count"].get<std::size_t>());
  EXPECT_EQ(dict.size(), 566u);
  const auto& tensors = want["tensors"];
  for (std::size_t i = 0; i < dict.size(); ++i) {
    EXPECT_EQ(dict[i].first, tensors[i][0].get<std::string>()) << i;
    EXPECT_EQ(dtype_name(dict[i].second.dtype), tensors[i][1].get<std::string>()) << i;
    EXPECT_EQ(dict[i].second.shape, tensors[i][2].get<std::vector<std::int64_t>>()) << i;
  }
  using Shape = std::vector<std::int64_t>;
  EXPECT_EQ(find_tensor(dict, "Conv2d_1a_3x3.conv.weight")->shape, (Shape{32, 3, 3, 3}));
  EXPECT_EQ(find_tensor(dict, "fc.weight")->shape, (Shape{1008, 2048}));
  EXPECT_EQ(find_tensor(dict, "fc.bias")->shape, (Shape{1008}));
  EXPECT_EQ(find_tensor(dict, "Mixed_7c.branch_pool.conv.weight")->shape, (Shape{192, 2048, 1, 1}));
  for (const auto& [name, sample] : want["samples"].items()) {
    SCOPED_TRACE(name);
    const auto* t = find_tensor(dict, name);
    ASSERT_NE(t, nullptr);
    auto values = t->to_float();
    for (const auto& pair : sample["values"])
      EXPECT_EQ(values.at(pair[0].get<std::size_t>()), pair[1].get<float>()) << pair[0];
    // torch sums in a different order: float64 sums of float32 values agree to ~1e-12.
    double sum = 0.0, magnitude = 0.0;
    for (float v : values) {
      sum += v;
      magnitude += std::fabs(v);
    }
    EXPECT_NEAR(sum, sample["sum"].get<double>(), 1e-12 * magnitude + 1e-12);
  }
}

TEST(Checkpoint, SurrogateInceptionCutShortIsAnErrorNamingTheFile) {
  GENSWEEP_REQUIRE_SHARED("weights/surrogate-fid-inception.pth");
  const auto bytes = read_bytes(testing::shared_dir() / "weights/surrogate-fid-inception.pth");
  testing::TempDir dir;
  const auto path = dir / "cut.pth";
  for (std::size_t size :
       {std::size_t{100}, bytes.size() / 2, bytes.size() - 100, bytes.size() - 1}) {
    write_bytes(path, Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)));
    EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                      path.string() + ": truncated or damaged zip archive");
  }
}

// --- refused globals: loading never executes code ---

TEST(Checkpoint, RefusesOsSystemWithTheExactMessage) {
  testing::TempDir dir;
  const auto path = dir / "evil.pth";
  // GLOBAL 'os system', then REDUCE with ('true',): what a malicious "weights" file does.
  write_zip_checkpoint(path, PickleBuilder()
                                 .proto(2)
                                 .global("os", "system")
                                 .put(0)
                                 .str("true")
                                 .put(1)
                                 .op(kTuple1)
                                 .put(2)
                                 .op('R')
                                 .put(3)
                                 .op('.')
                                 .str());
  EXPECT_EQ(error_of(path), refusal(path, "os.system"));
}

TEST(Checkpoint, RefusesAGlobalAskedForByStackGlobal) {
  testing::TempDir dir;
  const auto path = dir / "evil4.pth";
  // Protocol 4: SHORT_BINUNICODE 'os', SHORT_BINUNICODE 'system', STACK_GLOBAL.
  write_zip_checkpoint(path, PickleBuilder()
                                 .proto(4)
                                 .short_str("os")
                                 .op(kMemoize)
                                 .short_str("system")
                                 .op(kMemoize)
                                 .op(kStackGlobal)
                                 .op(kMemoize)
                                 .op('.')
                                 .str());
  EXPECT_EQ(error_of(path), refusal(path, "os.system"));
}

TEST(Checkpoint, RefusesTheGlobalsOfRealHostileAndWholeModelFiles) {
  EXPECT_EQ(error_of(fixture("posix_system_zip.pth")),
            refusal(fixture("posix_system_zip.pth"), "posix.system"));
  // Protocol 2 writes Python 2's __builtin__; the message gives the name Python 3 resolves.
  EXPECT_EQ(error_of(fixture("builtins_eval_legacy.pth")),
            refusal(fixture("builtins_eval_legacy.pth"), "builtins.eval"));
  EXPECT_EQ(error_of(fixture("full_model.pth")),
            refusal(fixture("full_model.pth"), "torch.nn.modules.linear.Linear"));
}

TEST(Checkpoint, RefusesLoadFromBytes) {
  testing::TempDir dir;
  const auto path = dir / "bytes.pth";
  write_zip_checkpoint(
      path, PickleBuilder().proto(2).global("torch.storage", "_load_from_bytes").op('.').str());
  EXPECT_EQ(error_of(path), refusal(path, "torch.storage._load_from_bytes"));
}

// --- files that are not (flat) state dicts ---

TEST(Checkpoint, NestedTrainingCheckpointIsReportedNotGuessed) {
  const auto path = fixture("nested_checkpoint.pth");
  const auto message = error_of(path);
  EXPECT_NE(message.find(path.string() + ": not a flat state dict (name -> tensor): 'state_dict' "
                                         "holds a dict of 23 entries, 'epoch' holds the int 3, "
                                         "'optimizer' holds a dict of 1 entry"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("top-level keys: 'state_dict', 'epoch', 'optimizer'"), std::string::npos)
      << message;
}

TEST(Checkpoint, NotACheckpoint) {
  testing::TempDir dir;
  const auto empty = dir / "empty.pth";
  write_bytes(empty, {});
  EXPECT_THROW_WITH(read_checkpoint(empty), BackboneError,
                    empty.string() + ": empty file (0 bytes)");

  const auto png = dir / "image.pth";
  write_bytes(png, {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
  EXPECT_EQ(error_of(png), png.string() +
                               ": not a PyTorch checkpoint (a PNG image): expected a torch.save "
                               "file, i.e. a zip archive (starting with 'PK') or the legacy format "
                               "(starting with a pickle, byte 0x80), but it starts with bytes 89 "
                               "50 4e 47 0d 0a 1a 0a");

  const auto random = dir / "random.pth";
  Bytes noise(4096);
  std::uint32_t state = 12345;
  for (auto& b : noise)
    b = static_cast<std::uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
  noise[0] = 0x17;
  write_bytes(random, noise);
  EXPECT_THROW_WITH(read_checkpoint(random), BackboneError,
                    random.string() + ": not a PyTorch checkpoint: expected a torch.save file");

  EXPECT_THROW_WITH(read_checkpoint(dir / "missing.pth"), BackboneError,
                    (dir / "missing.pth").string() + ": cannot open the weights file");

  const auto plain_pickle = dir / "plain.pkl";
  write_bytes(plain_pickle, bytes_of("\x80\x02K\x07."));
  EXPECT_THROW_WITH(read_checkpoint(plain_pickle), BackboneError,
                    "not a PyTorch checkpoint: a pickle holding the int 7, but a legacy torch.save "
                    "file starts with a pickle of its magic number 0x1950a86a20f9469cfc6c");
}

TEST(Checkpoint, ZipProblems) {
  EXPECT_THROW_WITH(
      read_checkpoint(fixture("no_data_pkl.zip")), BackboneError,
      fixture("no_data_pkl.zip").string() +
          ": a zip archive without 'archive/data.pkl', so not a torch.save checkpoint");
  EXPECT_THROW_WITH(read_checkpoint(fixture("compressed_zip.pth")), BackboneError,
                    "zip entry 'small_zip/data.pkl' is compressed (method 8, deflate); torch.save "
                    "stores entries uncompressed");
  EXPECT_THROW_WITH(read_checkpoint(fixture("short_record_zip.pth")), BackboneError,
                    "is too short: it holds 44 bytes, but the pickle declares 12 float32 elements "
                    "(48 bytes)");
  EXPECT_THROW_WITH(read_checkpoint(fixture("torchscript.pt")), BackboneError,
                    "this is a TorchScript archive (torch.jit.save), not a torch.save state dict");
  EXPECT_THROW_WITH(read_checkpoint(fixture("bfloat16.pth")), BackboneError,
                    "a tensor is stored as torch.BFloat16Storage, which this reader does not "
                    "support");

  // A flipped bit inside a storage record: the CRC catches it.
  auto bytes = read_bytes(fixture("small_zip.pth"));
  testing::TempDir dir;
  const auto path = dir / "flipped.pth";
  detail::InputFile file(fixture("small_zip.pth"));
  detail::ZipReader zip(file);
  const auto* record = zip.find("small_zip/data/0");
  ASSERT_NE(record, nullptr);
  // Local header: 30 bytes + name + extra (torch pads the extra field to align the data).
  const std::size_t lho = record->local_header_offset;
  const std::size_t data = lho + 30 + (bytes[lho + 26] | (bytes[lho + 27] << 8)) +
                           (bytes[lho + 28] | (bytes[lho + 29] << 8));
  bytes[data] ^= 0x01;
  write_bytes(path, bytes);
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "damaged zip archive: entry 'small_zip/data/0' fails its CRC-32 check");

  const auto missing = dir / "missing_record.pth";
  const std::string pickle = one_tensor_pickle(0);
  write_zip_checkpoint(missing, pickle);
  EXPECT_THROW_WITH(
      read_checkpoint(missing), BackboneError,
      "the storage record 'archive/data/0' of tensor 'w' is missing from the archive");
  // The same pickle with its record: reads (the hand-written pickle is right).
  const auto good = dir / "good.pth";
  write_zip_checkpoint(good, pickle, {{"0", Bytes{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}}});
  auto dict = read_checkpoint(good);
  ASSERT_EQ(dict.size(), 1u);
  EXPECT_EQ(dict[0].second.to_float(), (std::vector<float>{1.0f, 2.0f}));
  // A view reaching past its storage's declared size.
  const auto past = dir / "past.pth";
  write_zip_checkpoint(past, one_tensor_pickle(1), {{"0", Bytes{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}}});
  EXPECT_THROW_WITH(read_checkpoint(past), BackboneError,
                    "a tensor of size (2), stride (1) and storage offset 1 reaches element 2 of "
                    "storage '0', which has 2 elements");
}

TEST(Checkpoint, StrideZeroViewsAndTheSizeCap) {
  testing::TempDir dir;
  const Bytes storage{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40};  // 1.0f, 2.0f
  // An expanded element (stride 0) is a legal view: read as three copies.
  write_zip_checkpoint(dir / "expand.pth", one_tensor_pickle(1, 3, 0), {{"0", storage}});
  auto dict = read_checkpoint(dir / "expand.pth");
  EXPECT_EQ(dict[0].second.to_float(), (std::vector<float>{2.0f, 2.0f, 2.0f}));
  // But a few hundred bytes must not ask for 4 TiB.
  write_zip_checkpoint(dir / "huge.pth", one_tensor_pickle(0, std::int64_t{1} << 40, 0),
                       {{"0", storage}});
  EXPECT_THROW_WITH(read_checkpoint(dir / "huge.pth"), BackboneError,
                    "bytes (at tensor 'w'), over 8 times the file's size: views repeat their "
                    "storages far more than any state dict does");
  write_zip_checkpoint(dir / "rank.pth", one_tensor_pickle(0, 2, 1, 65), {{"0", storage}});
  EXPECT_THROW_WITH(read_checkpoint(dir / "rank.pth"), BackboneError,
                    "a tensor has 65 dimensions; at most 64 are accepted");
  write_zip_checkpoint(dir / "rank64.pth", one_tensor_pickle(0, 2, 1, 64), {{"0", storage}});
  EXPECT_EQ(read_checkpoint(dir / "rank64.pth")[0].second.shape.size(), 64u);
  write_zip_checkpoint(dir / "negative.pth", one_tensor_pickle(0, 2, -1), {{"0", storage}});
  EXPECT_THROW_WITH(read_checkpoint(dir / "negative.pth"), BackboneError,
                    "a tensor's stride holds the int -1, not a non-negative int");
}

TEST(Checkpoint, OpcodeCap) {
  testing::TempDir dir;
  PickleBuilder p;
  p.proto(2);
  for (std::uint64_t i = 0; i < detail::Unpickler::kMaxOpcodes / 2; ++i)
    p.op('N').op('0');
  write_zip_checkpoint(dir / "long.pth", p.op('}').op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(dir / "long.pth"), BackboneError,
                    "archive/data.pkl: the pickle runs more than 4000000 opcodes");
}

TEST(Checkpoint, LegacyProblems) {
  auto bytes = read_bytes(fixture("small_legacy.pth"));
  testing::TempDir dir;
  // sys_info's little_endian flipped to False.
  const Bytes flag = bytes_of("little_endianq\x02\x88");
  auto it = std::search(bytes.begin(), bytes.end(), flag.begin(), flag.end());
  ASSERT_NE(it, bytes.end());
  auto big = bytes;
  big[static_cast<std::size_t>(it - bytes.begin()) + flag.size() - 1] = 0x89;
  write_bytes(dir / "big.pth", big);
  EXPECT_THROW_WITH(read_checkpoint(dir / "big.pth"), BackboneError,
                    "the checkpoint was written on a big-endian machine");

  // Protocol version 1002 instead of 1001 (BININT2 0x03e9).
  auto version = bytes;
  ASSERT_EQ(version[18], 0xe9);
  version[18] = 0xea;
  write_bytes(dir / "version.pth", version);
  EXPECT_THROW_WITH(read_checkpoint(dir / "version.pth"), BackboneError,
                    "legacy torch.save protocol version 1002 is not supported (expected 1001)");

  // Cut inside the last storage record.
  write_bytes(dir / "cut.pth", Bytes(bytes.begin(), bytes.end() - 3));
  EXPECT_THROW_WITH(read_checkpoint(dir / "cut.pth"), BackboneError,
                    "truncated: the storage record");
}

TEST(Checkpoint, UnsupportedAndMalformedPickles) {
  testing::TempDir dir;
  const auto path = dir / "p.pth";
  write_zip_checkpoint(path, PickleBuilder().proto(2).op('(').raw("i__main__\nX\n").op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "archive/data.pkl: unsupported pickle opcode 0x69 (INST): a torch.save state "
                    "dict uses only protocol-2 opcodes such as GLOBAL, REDUCE and BINPERSID "
                    "(pickle opcode at byte 3)");
  write_zip_checkpoint(path, PickleBuilder().proto(2).op(std::uint8_t{0xff}).str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "unknown pickle opcode 0xff: not a pickle, or a damaged one");
  write_zip_checkpoint(path, PickleBuilder().proto(2).op('X').raw("\xff\xff\xff\x7f").str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "archive/data.pkl: truncated: BINUNICODE at byte 2 needs 2147483647 more "
                    "bytes, but only 0 are left");
  write_zip_checkpoint(path, PickleBuilder().proto(2).get(5).op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "malformed pickle: BINGET 5 refers to a memo slot never stored");
  write_zip_checkpoint(path, PickleBuilder().proto(2).op('R').op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "malformed pickle: REDUCE needs a value on the stack, found none");
  write_zip_checkpoint(path, PickleBuilder().proto(2).int1(1).op(')').op('R').op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "malformed pickle: REDUCE calls the int 1, not a global");
  // A list that contains itself.
  write_zip_checkpoint(path, PickleBuilder().proto(2).op(']').put(0).get(0).op('a').op('.').str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "not a state dict: the file holds a list of 1");
  // Nested a million deep: destroyed without recursion.
  write_zip_checkpoint(path, PickleBuilder()
                                 .proto(2)
                                 .raw(std::string(1000000, ']'))
                                 .raw(std::string(999999, 'a'))
                                 .op('.')
                                 .str());
  EXPECT_THROW_WITH(read_checkpoint(path), BackboneError,
                    "not a state dict: the file holds a list of 1");
}

// The same entries in a ZIP64 archive read the same as torch's own zip.
TEST(Checkpoint, Zip64ArchiveReadsTheSame) {
  detail::InputFile file(fixture("small_zip.pth"));
  detail::ZipReader zip(file);
  std::vector<std::pair<std::string, Bytes>> entries;
  for (const auto& e : zip.entries())
    entries.emplace_back(e.name, zip.read(e));
  testing::TempDir dir;
  write_bytes(dir / "zip64.pth", zip_bytes(entries, /*zip64=*/true));
  write_bytes(dir / "zip32.pth", zip_bytes(entries));
  const auto original = read_checkpoint(fixture("small_zip.pth"));
  for (const char* name : {"zip64.pth", "zip32.pth"}) {
    SCOPED_TRACE(name);
    const auto copy = read_checkpoint(dir / name);
    ASSERT_EQ(copy.size(), original.size());
    for (std::size_t i = 0; i < copy.size(); ++i) {
      EXPECT_EQ(copy[i].first, original[i].first);
      EXPECT_EQ(copy[i].second.shape, original[i].second.shape);
      EXPECT_EQ(copy[i].second.data, original[i].second.data);
    }
  }
}

// A legacy file whose storage is a view of a bigger root storage (written by PyTorch < 0.4, which
// 1.13 cannot produce), written here byte by byte.
Bytes legacy_file(int view_offset, int view_size) {
  PickleBuilder p;
  p.proto(2).op(std::uint8_t{0x8a}).op(std::uint8_t{10});
  p.raw(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10)).op('.');
  p.proto(2).op('M').raw("\xe9\x03").op('.');  // protocol version 1001
  p.proto(2).op('}').op('(').str("protocol_version").op('M').raw("\xe9\x03");
  p.str("little_endian").op(std::uint8_t{0x88}).op('u').op('.');
  p.proto(2).op('}').str("v").global("torch._utils", "_rebuild_tensor_v2").op('(');
  p.op('(').str("storage").global("torch", "FloatStorage").str("root").str("cpu").int1(6);
  p.op('(').str("view").int1(view_offset).int1(view_size).op('t').op('t');
  p.op('Q').int1(1).int1(2).op(kTuple1).int1(1).op(kTuple1).op(kNewFalse);
  p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R').op('s').op('.');
  p.proto(2).op(']').op('(').str("root").op('e').op('.');
  Bytes out = bytes_of(p.str());
  put64(out, 6);  // the root storage: 6 float32 values 0..5
  for (float v : {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f}) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    put32(out, bits);
  }
  return out;
}

TEST(Checkpoint, LegacyStorageViews) {
  testing::TempDir dir;
  // View = root[2:5]; the tensor starts at element 1 of the view: root[3], root[4].
  write_bytes(dir / "view.pth", legacy_file(2, 3));
  auto dict = read_checkpoint(dir / "view.pth");
  ASSERT_EQ(dict.size(), 1u);
  EXPECT_EQ(dict[0].first, "v");
  EXPECT_EQ(dict[0].second.to_float(), (std::vector<float>{3.0f, 4.0f}));
  // A view of 2 elements cannot hold a tensor reaching its element 2.
  write_bytes(dir / "short_view.pth", legacy_file(2, 2));
  EXPECT_THROW_WITH(read_checkpoint(dir / "short_view.pth"), BackboneError,
                    "a tensor of size (2), stride (1) and storage offset 1 reaches element 2 of "
                    "storage 'root', which has 2 elements");
  write_bytes(dir / "past_root.pth", legacy_file(5, 3));
  EXPECT_THROW_WITH(read_checkpoint(dir / "past_root.pth"), BackboneError,
                    "storage view at offset 5 of 3 elements does not fit in storage 'root' of 6");
}

TEST(Pickle, ScalarsAndDicts) {
  // LONG1 -1 (0xff), LONG1 2^63 (beyond int64), BINFLOAT 1.5, dict with a repeated key.
  PickleBuilder b;
  b.proto(2).op('(');
  b.op(std::uint8_t{0x8a}).op(std::uint8_t{1}).op(std::uint8_t{0xff});
  b.op(std::uint8_t{0x8a})
      .op(std::uint8_t{9})
      .raw(std::string(7, '\0'))
      .raw("\x80")
      .raw(std::string(1, '\0'));
  b.op('G').raw("\x3f\xf8").raw(std::string(6, '\0'));
  b.op('}').op('(').str("a").int1(1).str("b").int1(2).str("a").int1(3).op('u');
  b.op('t').put(0).op('.');
  const std::string& p = b.str();
  Bytes bytes(p.begin(), p.end());
  detail::MemorySource source(bytes);
  detail::UnpicklerHooks hooks;
  detail::Unpickler unpickler(source, "test", hooks);
  auto v = unpickler.load();
  ASSERT_EQ(v->kind, detail::ValueKind::kTuple);
  ASSERT_EQ(v->items.size(), 4u);
  EXPECT_EQ(v->items[0]->integer, -1);
  EXPECT_EQ(v->items[1]->kind, detail::ValueKind::kBigInt);
  EXPECT_EQ(v->items[2]->real, 1.5);
  const auto& dict = *v->items[3];
  ASSERT_EQ(dict.entries.size(), 2u);
  EXPECT_EQ(dict.entries[0].first->text, "a");
  EXPECT_EQ(dict.entries[0].second->integer, 3);  // replaced in place, as in Python
  EXPECT_EQ(detail::dict_get(dict, "b")->integer, 2);
}

// Every prefix of a real file is an error naming the file, never a crash or a partial result.
TEST(Checkpoint, EveryTruncationIsAnErrorNamingTheFile) {
  ScratchFiles scratch;
  for (const char* name : {"small_zip.pth", "small_legacy.pth", "small_proto4_zip.pth"}) {
    SCOPED_TRACE(name);
    const auto bytes = read_bytes(fixture(name));
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      const auto path =
          scratch.write(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size)));
      const auto message = error_of(path);
      EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << size << ": " << message;
    }
  }
}

// Damage every byte of the legacy file and of the zip's data.pkl (re-zipped with a valid CRC, so
// that the unpickler, not the CRC, meets the damage): each read succeeds or throws BackboneError.
// Run under -fsanitize=address,undefined to check memory safety as well.
TEST(Checkpoint, DamagedBytesNeverCrash) {
  ScratchFiles scratch;
  auto legacy = read_bytes(fixture("small_legacy.pth"));
  for (std::size_t i = 0; i < legacy.size(); ++i) {
    for (std::uint8_t mask : {0xffu, 0x01u, 0x80u}) {
      auto copy = legacy;
      copy[i] ^= mask;
      try {
        read_checkpoint(scratch.write(copy));
      } catch (const BackboneError&) {
      }
    }
  }
  detail::InputFile file(fixture("small_zip.pth"));
  detail::ZipReader zip(file);
  std::vector<std::pair<std::string, Bytes>> records;
  Bytes pickle;
  for (const auto& e : zip.entries()) {
    if (e.name == "small_zip/data.pkl")
      pickle = zip.read(e);
    else if (e.name.starts_with("small_zip/data/"))
      records.emplace_back(e.name.substr(15), zip.read(e));
  }
  ASSERT_FALSE(pickle.empty());
  for (std::size_t i = 0; i < pickle.size(); ++i) {
    for (std::uint8_t mask : {0xffu, 0x01u, 0x80u}) {
      auto copy = pickle;
      copy[i] ^= mask;
      try {
        read_checkpoint(
            scratch.write(zip_checkpoint(std::string(copy.begin(), copy.end()), records)));
      } catch (const BackboneError&) {
      }
    }
  }
}

}  // namespace
}  // namespace gensweep::features
