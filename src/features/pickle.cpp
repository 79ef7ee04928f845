#include "pickle.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "gensweep/core/error.h"

namespace gensweep::features::detail {

namespace {

// Every opcode of pickle protocols 0-5, to name the unsupported ones in messages.
const char* opcode_name(std::uint8_t op) {
  switch (op) {
    case '(':
      return "MARK";
    case '.':
      return "STOP";
    case '0':
      return "POP";
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case 'F':
      return "FLOAT";
    case 'I':
      return "INT";
    case 'J':
      return "BININT";
    case 'K':
      return "BININT1";
    case 'L':
      return "LONG";
    case 'M':
      return "BININT2";
    case 'N':
      return "NONE";
    case 'P':
      return "PERSID";
    case 'Q':
      return "BINPERSID";
    case 'R':
      return "REDUCE";
    case 'S':
      return "STRING";
    case 'T':
      return "BINSTRING";
    case 'U':
      return "SHORT_BINSTRING";
    case 'V':
      return "UNICODE";
    case 'X':
      return "BINUNICODE";
    case 'a':
      return "APPEND";
    case 'b':
      return "BUILD";
    case 'c':
      return "GLOBAL";
    case 'd':
      return "DICT";
    case '}':
      return "EMPTY_DICT";
    case 'e':
      return "APPENDS";
    case 'g':
      return "GET";
    case 'h':
      return "BINGET";
    case 'i':
      return "INST";
    case 'j':
      return "LONG_BINGET";
    case 'l':
      return "LIST";
    case ']':
      return "EMPTY_LIST";
    case 'o':
      return "OBJ";
    case 'p':
      return "PUT";
    case 'q':
      return "BINPUT";
    case 'r':
      return "LONG_BINPUT";
    case 's':
      return "SETITEM";
    case 't':
      return "TUPLE";
    case ')':
      return "EMPTY_TUPLE";
    case 'u':
      return "SETITEMS";
    case 'G':
      return "BINFLOAT";
    case 'B':
      return "BINBYTES";
    case 'C':
      return "SHORT_BINBYTES";
    case 0x80:
      return "PROTO";
    case 0x81:
      return "NEWOBJ";
    case 0x82:
      return "EXT1";
    case 0x83:
      return "EXT2";
    case 0x84:
      return "EXT4";
    case 0x85:
      return "TUPLE1";
    case 0x86:
      return "TUPLE2";
    case 0x87:
      return "TUPLE3";
    case 0x88:
      return "NEWTRUE";
    case 0x89:
      return "NEWFALSE";
    case 0x8a:
      return "LONG1";
    case 0x8b:
      return "LONG4";
    case 0x8c:
      return "SHORT_BINUNICODE";
    case 0x8d:
      return "BINUNICODE8";
    case 0x8e:
      return "BINBYTES8";
    case 0x8f:
      return "EMPTY_SET";
    case 0x90:
      return "ADDITEMS";
    case 0x91:
      return "FROZENSET";
    case 0x92:
      return "NEWOBJ_EX";
    case 0x93:
      return "STACK_GLOBAL";
    case 0x94:
      return "MEMOIZE";
    case 0x95:
      return "FRAME";
    case 0x96:
      return "BYTEARRAY8";
    case 0x97:
      return "NEXT_BUFFER";
    case 0x98:
      return "READONLY_BUFFER";
    default:
      return nullptr;
  }
}

}  // namespace

void MemorySource::read(void* dst, std::size_t n) {
  GENSWEEP_ASSERT(n <= remaining(), "read of {} bytes with {} left", n, remaining());
  if (n > 0) std::memcpy(dst, bytes_.data() + pos_, n);
  pos_ += n;
}

void Value::release_children(std::vector<ValuePtr>& out) {
  for (auto& item : items)
    out.push_back(std::move(item));
  items.clear();
  for (auto& [k, v] : entries) {
    out.push_back(std::move(k));
    out.push_back(std::move(v));
  }
  entries.clear();
  index.reset();
}

Value::~Value() {
  if (items.empty() && entries.empty()) return;
  std::vector<ValuePtr> pending;
  release_children(pending);
  while (!pending.empty()) {
    ValuePtr v = std::move(pending.back());
    pending.pop_back();
    // Sole owner: take its children now so that its destruction (at the end of this iteration)
    // finds nothing left to recurse into.
    if (v && v.use_count() == 1) v->release_children(pending);
  }
}

ValuePtr make_value(ValueKind kind) {
  return std::make_shared<Value>(kind);
}

ValuePtr make_int(std::int64_t v) {
  auto value = make_value(ValueKind::kInt);
  value->integer = v;
  return value;
}

ValuePtr make_string(std::string s, ValueKind kind) {
  auto value = make_value(kind);
  value->text = std::move(s);
  return value;
}

ValuePtr make_object(std::string type_name, std::any payload) {
  auto value = make_value(ValueKind::kObject);
  value->text = std::move(type_name);
  value->object = std::move(payload);
  return value;
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case ValueKind::kNone:
      return "None";
    case ValueKind::kBool:
      return v.boolean ? "True" : "False";
    case ValueKind::kInt:
      return fmt::format("the int {}", v.integer);
    case ValueKind::kBigInt:
      return "a large int";
    case ValueKind::kFloat:
      return fmt::format("the float {}", v.real);
    case ValueKind::kString:
      return "a str";
    case ValueKind::kBytes:
      return "a bytes object";
    case ValueKind::kTuple:
      return fmt::format("a tuple of {}", v.items.size());
    case ValueKind::kList:
      return fmt::format("a list of {}", v.items.size());
    case ValueKind::kDict:
      return fmt::format("a dict of {} {}", v.entries.size(),
                         v.entries.size() == 1 ? "entry" : "entries");
    case ValueKind::kGlobal:
      return "the global " + v.text;
    case ValueKind::kObject:
      return "a " + v.text;
  }
  return "an unknown value";
}

void dict_set(Value& dict, ValuePtr key, ValuePtr value) {
  if (!dict.index) dict.index = std::make_unique<DictIndex>();
  const std::size_t position = dict.entries.size();
  bool inserted = true;
  std::size_t existing = 0;
  if (key->kind == ValueKind::kString && key->text.size() <= DictIndex::kMaxIndexedKey) {
    auto [it, fresh] = dict.index->strings.emplace(std::string_view(key->text), position);
    inserted = fresh;
    existing = it->second;
  } else if (key->kind == ValueKind::kInt) {
    auto [it, fresh] = dict.index->ints.emplace(key->integer, position);
    inserted = fresh;
    existing = it->second;
  }
  if (!inserted) {
    dict.entries[existing].second = std::move(value);
    return;
  }
  // The index holds a view of the key's text: the key lives in `entries` from here on.
  dict.entries.emplace_back(std::move(key), std::move(value));
}

const Value* dict_get(const Value& dict, const std::string& key) {
  if (!dict.index) return nullptr;
  auto it = dict.index->strings.find(key);
  return it == dict.index->strings.end() ? nullptr : dict.entries[it->second].second.get();
}

Unpickler::Unpickler(PickleSource& source, std::string context, UnpicklerHooks hooks)
    : source_(source), context_(std::move(context)), hooks_(std::move(hooks)) {}

Unpickler::~Unpickler() {
  // Every reference cycle passes through the memo (BINGET is the only way back to an ancestor), so
  // emptying the memoized containers breaks them all.
  std::vector<ValuePtr> released;
  for (auto& [index, value] : memo_)
    if (value) value->release_children(released);
  // `released` dies here; Value's destructor unwinds what it held without recursion.
  while (!released.empty()) {
    ValuePtr v = std::move(released.back());
    released.pop_back();
    if (v && v.use_count() == 1) v->release_children(released);
  }
}

void Unpickler::fail(const std::string& what) const {
  throw BackboneError(
      fmt::format("{}: {} (pickle opcode at byte {})", context_, what, opcode_position_));
}

void Unpickler::need(std::uint64_t n, const char* opcode) const {
  if (n > source_.remaining())
    throw BackboneError(fmt::format(
        "{}: truncated: {} at byte {} needs {} more bytes, but only {} are left (the file is cut "
        "short or damaged)",
        context_, opcode, opcode_position_, n, source_.remaining()));
}

std::uint64_t Unpickler::read_uint(std::size_t bytes, const char* opcode) {
  need(bytes, opcode);
  std::uint8_t buf[8] = {};
  source_.read(buf, bytes);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(buf[i]) << (8 * i);
  return v;
}

std::string Unpickler::read_bytes(std::uint64_t n, const char* opcode) {
  need(n, opcode);  // before allocating: a damaged length must not become a huge allocation
  std::string s(static_cast<std::size_t>(n), '\0');
  if (n > 0) source_.read(s.data(), s.size());
  return s;
}

std::string Unpickler::read_line(const char* opcode) {
  // GLOBAL's module and name: short identifiers; a bound keeps a damaged file from reading on.
  constexpr std::size_t kMaxLine = 1024;
  std::string line;
  for (;;) {
    need(1, opcode);
    char c = 0;
    source_.read(&c, 1);
    if (c == '\n') return line;
    if (line.size() >= kMaxLine)
      fail(fmt::format("{} argument longer than {} bytes", opcode, kMaxLine));
    line.push_back(c);
  }
}

ValuePtr Unpickler::pop(const char* opcode) {
  std::size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor)
    fail(fmt::format("malformed pickle: {} needs a value on the stack, found none", opcode));
  ValuePtr v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

ValuePtr& Unpickler::top(const char* opcode) {
  std::size_t floor = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= floor)
    fail(fmt::format("malformed pickle: {} needs a value on the stack, found none", opcode));
  return stack_.back();
}

std::vector<ValuePtr> Unpickler::pop_to_mark(const char* opcode) {
  if (marks_.empty()) fail(fmt::format("malformed pickle: {} without a MARK", opcode));
  std::size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<ValuePtr> values(std::make_move_iterator(stack_.begin() + mark),
                               std::make_move_iterator(stack_.end()));
  stack_.resize(mark);
  return values;
}

void Unpickler::memo_put(std::uint64_t index, const char* opcode) {
  memo_[index] = top(opcode);
}

void Unpickler::memo_get(std::uint64_t index, const char* opcode) {
  auto it = memo_.find(index);
  if (it == memo_.end())
    fail(fmt::format("malformed pickle: {} {} refers to a memo slot never stored", opcode, index));
  stack_.push_back(it->second);
}

ValuePtr Unpickler::call(const ValuePtr& callable, const ValuePtr& args, const char* opcode) {
  // Only what find_global accepted can be called: anything else on the stack (an int, a dict)
  // would be a malformed pickle, and nothing here ever runs Python.
  if (callable->kind != ValueKind::kGlobal)
    fail(fmt::format("malformed pickle: {} calls {}, not a global", opcode, describe(*callable)));
  if (args->kind != ValueKind::kTuple)
    fail(
        fmt::format("malformed pickle: {} arguments are {}, not a tuple", opcode, describe(*args)));
  return hooks_.call(*callable, *args);
}

ValuePtr Unpickler::load() {
  for (;;) {
    opcode_position_ = source_.position();
    if (++opcodes_ > kMaxOpcodes)
      fail(
          fmt::format("the pickle runs more than {} opcodes: a state dict needs about 35 per "
                      "tensor, so this is not one, or one of over 100000 tensors",
                      kMaxOpcodes));
    need(1, "the next opcode");
    std::uint8_t op = 0;
    source_.read(&op, 1);
    switch (op) {
      case 0x80: {  // PROTO
        auto protocol = read_uint(1, "PROTO");
        if (protocol < 2 || protocol > 5)
          fail(fmt::format("pickle protocol {} is not supported (torch.save writes protocol 2)",
                           protocol));
        break;
      }
      case 0x95:  // FRAME: an advisory length (protocol 4); the opcodes inside are read as usual
        read_uint(8, "FRAME");
        break;
      case '.': {  // STOP
        if (!marks_.empty()) fail("malformed pickle: STOP with an unclosed MARK");
        return pop("STOP");
      }
      case '(':
        marks_.push_back(stack_.size());
        break;
      case '0':
        pop("POP");
        break;
      case '1':
        pop_to_mark("POP_MARK");
        break;
      case '2':
        stack_.push_back(top("DUP"));
        break;
      case 'N':
        stack_.push_back(make_value(ValueKind::kNone));
        break;
      case 0x88:
      case 0x89: {
        auto v = make_value(ValueKind::kBool);
        v->boolean = op == 0x88;
        stack_.push_back(std::move(v));
        break;
      }
      case 'J':
        stack_.push_back(make_int(static_cast<std::int32_t>(read_uint(4, "BININT"))));
        break;
      case 'K':
        stack_.push_back(make_int(static_cast<std::int64_t>(read_uint(1, "BININT1"))));
        break;
      case 'M':
        stack_.push_back(make_int(static_cast<std::int64_t>(read_uint(2, "BININT2"))));
        break;
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        auto n = read_uint(1, "LONG1");
        std::string bytes = read_bytes(n, "LONG1");
        // Python writes the shortest form, but drop redundant sign bytes anyway before deciding
        // whether the value fits in int64.
        while (bytes.size() > 1) {
          auto last = static_cast<std::uint8_t>(bytes.back());
          auto prev = static_cast<std::uint8_t>(bytes[bytes.size() - 2]);
          if ((last == 0x00 && !(prev & 0x80)) || (last == 0xff && (prev & 0x80)))
            bytes.pop_back();
          else
            break;
        }
        if (bytes.size() <= 8) {
          std::uint64_t v = 0;
          for (std::size_t i = 0; i < bytes.size(); ++i)
            v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[i])) << (8 * i);
          if (!bytes.empty() && (static_cast<std::uint8_t>(bytes.back()) & 0x80))
            for (std::size_t i = bytes.size(); i < 8; ++i)
              v |= std::uint64_t{0xff} << (8 * i);
          stack_.push_back(make_int(static_cast<std::int64_t>(v)));
        } else {
          stack_.push_back(make_string(std::move(bytes), ValueKind::kBigInt));
        }
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        auto bits = read_uint(8, "BINFLOAT");
        auto v = make_value(ValueKind::kFloat);
        v->real = std::bit_cast<double>(__builtin_bswap64(bits));
        stack_.push_back(std::move(v));
        break;
      }
      case 'X':
        stack_.push_back(make_string(read_bytes(read_uint(4, "BINUNICODE"), "BINUNICODE")));
        break;
      case 0x8c:
        stack_.push_back(
            make_string(read_bytes(read_uint(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE")));
        break;
      case 0x8d:
        stack_.push_back(make_string(read_bytes(read_uint(8, "BINUNICODE8"), "BINUNICODE8")));
        break;
      // Python 2 str (old checkpoints' keys and locations): torch.load decodes them as ASCII.
      case 'T':
        stack_.push_back(make_string(read_bytes(read_uint(4, "BINSTRING"), "BINSTRING")));
        break;
      case 'U':
        stack_.push_back(
            make_string(read_bytes(read_uint(1, "SHORT_BINSTRING"), "SHORT_BINSTRING")));
        break;
      case 'B':
        stack_.push_back(
            make_string(read_bytes(read_uint(4, "BINBYTES"), "BINBYTES"), ValueKind::kBytes));
        break;
      case 'C':
        stack_.push_back(make_string(read_bytes(read_uint(1, "SHORT_BINBYTES"), "SHORT_BINBYTES"),
                                     ValueKind::kBytes));
        break;
      case 0x8e:
        stack_.push_back(
            make_string(read_bytes(read_uint(8, "BINBYTES8"), "BINBYTES8"), ValueKind::kBytes));
        break;
      // Protocol 5's in-band buffer (numpy arrays pickled by Python >= 3.14 by default): the same
      // bytes, mutable in Python, which nothing here needs to know.
      case 0x96:
        stack_.push_back(
            make_string(read_bytes(read_uint(8, "BYTEARRAY8"), "BYTEARRAY8"), ValueKind::kBytes));
        break;
      case '}':
        stack_.push_back(make_value(ValueKind::kDict));
        break;
      case ']':
        stack_.push_back(make_value(ValueKind::kList));
        break;
      case ')':
        stack_.push_back(make_value(ValueKind::kTuple));
        break;
      case 't':
      case 'l': {  // TUPLE, LIST
        auto v = make_value(op == 't' ? ValueKind::kTuple : ValueKind::kList);
        v->items = pop_to_mark(op == 't' ? "TUPLE" : "LIST");
        stack_.push_back(std::move(v));
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        std::size_t n = op - 0x84u;
        auto v = make_value(ValueKind::kTuple);
        v->items.resize(n);
        for (std::size_t i = n; i-- > 0;)
          v->items[i] = pop(opcode_name(op));
        stack_.push_back(std::move(v));
        break;
      }
      case 'd': {  // DICT
        auto values = pop_to_mark("DICT");
        if (values.size() % 2 != 0) fail("malformed pickle: DICT with an odd number of values");
        auto v = make_value(ValueKind::kDict);
        for (std::size_t i = 0; i < values.size(); i += 2)
          dict_set(*v, values[i], values[i + 1]);
        stack_.push_back(std::move(v));
        break;
      }
      case 'q':
        memo_put(read_uint(1, "BINPUT"), "BINPUT");
        break;
      case 'r':
        memo_put(read_uint(4, "LONG_BINPUT"), "LONG_BINPUT");
        break;
      case 0x94:
        memo_put(memo_.size(), "MEMOIZE");
        break;
      case 'h':
        memo_get(read_uint(1, "BINGET"), "BINGET");
        break;
      case 'j':
        memo_get(read_uint(4, "LONG_BINGET"), "LONG_BINGET");
        break;
      case 's': {  // SETITEM
        auto value = pop("SETITEM");
        auto key = pop("SETITEM");
        auto& dict = top("SETITEM");
        if (dict->kind != ValueKind::kDict)
          fail(fmt::format("malformed pickle: SETITEM on {}, not a dict", describe(*dict)));
        dict_set(*dict, std::move(key), std::move(value));
        break;
      }
      case 'u': {  // SETITEMS
        auto values = pop_to_mark("SETITEMS");
        if (values.size() % 2 != 0) fail("malformed pickle: SETITEMS with an odd number of values");
        auto& dict = top("SETITEMS");
        if (dict->kind != ValueKind::kDict)
          fail(fmt::format("malformed pickle: SETITEMS on {}, not a dict", describe(*dict)));
        for (std::size_t i = 0; i < values.size(); i += 2)
          dict_set(*dict, std::move(values[i]), std::move(values[i + 1]));
        break;
      }
      case 'a': {  // APPEND
        auto value = pop("APPEND");
        auto& list = top("APPEND");
        if (list->kind != ValueKind::kList)
          fail(fmt::format("malformed pickle: APPEND on {}, not a list", describe(*list)));
        list->items.push_back(std::move(value));
        break;
      }
      case 'e': {  // APPENDS
        auto values = pop_to_mark("APPENDS");
        auto& list = top("APPENDS");
        if (list->kind != ValueKind::kList)
          fail(fmt::format("malformed pickle: APPENDS on {}, not a list", describe(*list)));
        for (auto& v : values)
          list->items.push_back(std::move(v));
        break;
      }
      case 'c': {  // GLOBAL: "module\nname\n"
        std::string module = read_line("GLOBAL");
        std::string name = read_line("GLOBAL");
        stack_.push_back(hooks_.find_global(module, name));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop("STACK_GLOBAL");
        auto module = pop("STACK_GLOBAL");
        if (!module->is_string() || !name->is_string())
          fail("malformed pickle: STACK_GLOBAL needs two str values");
        stack_.push_back(hooks_.find_global(module->text, name->text));
        break;
      }
      case 'R': {  // REDUCE: callable(*args)
        auto args = pop("REDUCE");
        auto callable = pop("REDUCE");
        stack_.push_back(call(callable, args, "REDUCE"));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args); for the allowed classes the same as a call
        auto args = pop("NEWOBJ");
        auto cls = pop("NEWOBJ");
        stack_.push_back(call(cls, args, "NEWOBJ"));
        break;
      }
      case 'b': {  // BUILD: obj.__setstate__(state)
        auto state = pop("BUILD");
        auto& obj = top("BUILD");
        // Objects a hook made (numpy arrays and dtypes) take their state through the build hook.
        if (obj->kind == ValueKind::kObject && hooks_.build) {
          hooks_.build(*obj, *state);
          break;
        }
        // state_dict() sets an OrderedDict attribute `_metadata` (module versions), which pickles
        // as a BUILD with a dict of attributes. Those attributes mean nothing to the weights, so
        // they are accepted and dropped; BUILD on anything else is not something torch.save
        // writes for a state dict.
        if (obj->kind != ValueKind::kDict)
          fail(
              fmt::format("malformed pickle: BUILD on {} (only a dict's attributes, such as "
                          "state_dict()'s _metadata, are accepted)",
                          describe(*obj)));
        break;
      }
      case 'Q': {  // BINPERSID
        auto pid = pop("BINPERSID");
        stack_.push_back(hooks_.persistent_load(*pid));
        break;
      }
      default: {
        if (const char* name = opcode_name(op))
          fail(
              fmt::format("unsupported pickle opcode 0x{:02x} ({}): a torch.save state dict uses "
                          "only protocol-2 opcodes such as GLOBAL, REDUCE and BINPERSID",
                          op, name));
        fail(fmt::format("unknown pickle opcode 0x{:02x}: not a pickle, or a damaged one", op));
      }
    }
  }
}

}  // namespace gensweep::features::detail
