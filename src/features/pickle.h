#pragma once
// A restricted unpickler: just enough of Python's pickle machine to read what torch.save writes
// (protocol 2, and the few protocol 3-5 opcodes a pickle_protocol=4 save adds), never executing
// anything. Globals, calls (REDUCE, NEWOBJ) and persistent ids are handed to hooks supplied by the
// caller, so the policy of what a state dict may contain lives in checkpoint.cpp and this file
// knows nothing about tensors. Every length read from the input is checked against the bytes left
// before anything is allocated, so a hostile or damaged file costs at most its own size in memory.
//
// Errors are BackboneError messages without the file name (the checkpoint reader adds it), saying
// which pickle ("data.pkl"), which byte, which opcode and what was expected.

#include <any>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gensweep::features::detail {

// Sequential input of a pickle: a buffer in memory (zip data.pkl) or a file read in order (the
// legacy format, whose pickles are followed by raw storages at an offset known only after parsing).
class PickleSource {
 public:
  virtual ~PickleSource() = default;
  // Copies exactly n bytes; callers check remaining() first (the unpickler does).
  virtual void read(void* dst, std::size_t n) = 0;
  // Offset of the next byte, counted from the start of the file or buffer (for messages).
  virtual std::uint64_t position() const = 0;
  virtual std::uint64_t remaining() const = 0;
};

class MemorySource : public PickleSource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  void read(void* dst, std::size_t n) override;
  std::uint64_t position() const override { return pos_; }
  std::uint64_t remaining() const override { return bytes_.size() - pos_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

enum class ValueKind {
  kNone,
  kBool,
  kInt,     // fits in int64
  kBigInt,  // LONG1 beyond int64 (the legacy magic number): `text` holds its little-endian bytes
  kFloat,
  kString,  // str (and Python 2 str from BINSTRING): `text`
  kBytes,   // `text`
  kTuple,   // `items`
  kList,    // `items`
  kDict,    // `entries` in insertion order
  kGlobal,  // what find_global accepted: `text` is "module.name"
  kObject,  // what a hook built (a storage, a tensor): `object`, named by `text` in messages
};

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// Lookup of a dict's str keys (views of the key values' text, which never changes once read) and
// int keys. Keys longer than kMaxIndexedKey are not indexed, so not de-duplicated: that only
// matters to pickles torch.save does not write, and it keeps a hostile pickle from making every
// SETITEM hash a megabyte-long key.
struct DictIndex {
  static constexpr std::size_t kMaxIndexedKey = 256;
  std::unordered_map<std::string_view, std::size_t> strings;
  std::unordered_map<std::int64_t, std::size_t> ints;
};

// One Python object. Containers hold shared pointers because the memo lets a pickle refer to the
// same object twice (a storage shared by several tensors) and mutate a container after storing it
// (SETITEMS on a memoized dict).
struct Value {
  explicit Value(ValueKind k) : kind(k) {}
  // Destroys nested containers iteratively: a pickle can nest lists millions deep, and the default
  // recursive destruction would overflow the stack.
  ~Value();
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  ValueKind kind;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text;
  std::vector<ValuePtr> items;
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;
  // Dict keys that are str or int, to position in `entries`: a repeated key replaces the value in
  // place, as in Python, without a quadratic scan. Allocated for dicts only.
  std::unique_ptr<DictIndex> index;
  std::any object;

  bool is_string() const { return kind == ValueKind::kString; }
  // Moves every child into `out` (used by the destructor and by cycle breaking).
  void release_children(std::vector<ValuePtr>& out);
};

ValuePtr make_value(ValueKind kind);
ValuePtr make_int(std::int64_t v);
ValuePtr make_string(std::string s, ValueKind kind = ValueKind::kString);
ValuePtr make_object(std::string type_name, std::any payload);

// "an int", "a dict of 3 entries", "a tensor", "the global os.system": for messages.
std::string describe(const Value& v);

// Inserts or replaces key -> value in a dict, keeping the first insertion's position.
void dict_set(Value& dict, ValuePtr key, ValuePtr value);
// The value under a str key, or nullptr.
const Value* dict_get(const Value& dict, const std::string& key);

struct UnpicklerHooks {
  // GLOBAL and STACK_GLOBAL: the value standing for module.name (usually a kGlobal), or a throw
  // that refuses it. This is where the allow-list lives.
  std::function<ValuePtr(const std::string& module, const std::string& name)> find_global;
  // REDUCE and NEWOBJ: the result of calling `callable` (a value find_global returned; anything
  // else is refused before the hook is asked) with the tuple `args`.
  std::function<ValuePtr(const Value& callable, const Value& args)> call;
  // BINPERSID: the object a persistent id stands for (torch.save's storages).
  std::function<ValuePtr(const Value& pid)> persistent_load;
  // BUILD on an object a hook made (a numpy array's or dtype's __setstate__): updates `object`
  // from `state`, or throws. Unset: BUILD on such an object is refused as malformed.
  std::function<void(Value& object, const Value& state)> build;
};

class Unpickler {
 public:
  // Each opcode makes at most one value (about 150 bytes): this bounds what a hostile pickle can
  // make the reader hold to well under 1 GB, while a state dict needs about 35 opcodes per tensor
  // (the 566-tensor Inception pickle runs 17370), so 100000-tensor state dicts still load.
  static constexpr std::uint64_t kMaxOpcodes = 4'000'000;

  // `context` names the pickle in messages ("data.pkl", "the state-dict pickle").
  Unpickler(PickleSource& source, std::string context, UnpicklerHooks hooks);
  // Clears every memoized container: a hostile pickle can build reference cycles (a list that
  // contains itself) that shared pointers alone would leak. Values returned by load() are
  // therefore only to be read while the Unpickler lives.
  ~Unpickler();
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // Runs the machine up to and including STOP and returns the object on top of the stack.
  ValuePtr load();

 private:
  [[noreturn]] void fail(const std::string& what) const;
  void need(std::uint64_t n, const char* opcode) const;
  std::uint64_t read_uint(std::size_t bytes, const char* opcode);
  std::string read_bytes(std::uint64_t n, const char* opcode);
  std::string read_line(const char* opcode);
  ValuePtr pop(const char* opcode);
  ValuePtr& top(const char* opcode);
  // Values above the innermost MARK, which is removed.
  std::vector<ValuePtr> pop_to_mark(const char* opcode);
  void memo_put(std::uint64_t index, const char* opcode);
  void memo_get(std::uint64_t index, const char* opcode);
  ValuePtr call(const ValuePtr& callable, const ValuePtr& args, const char* opcode);

  PickleSource& source_;
  std::string context_;
  UnpicklerHooks hooks_;
  std::vector<ValuePtr> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, ValuePtr> memo_;
  std::uint64_t opcode_position_ = 0;
  std::uint64_t opcodes_ = 0;
};

}  // namespace gensweep::features::detail
