#include "numpy_pickle.h"

#include <fmt/format.h>

#include "gensweep/core/error.h"

namespace gensweep::features::detail {
namespace {

constexpr const char* kReconstruct = "numpy._reconstruct";
constexpr const char* kNdarray = "numpy.ndarray";
constexpr const char* kDtype = "numpy.dtype";
constexpr const char* kFrombuffer = "numpy._frombuffer";
constexpr const char* kEncode = "_codecs.encode";
constexpr const char* kArrayType = "numpy array";
constexpr const char* kDtypeType = "numpy dtype";

// A dtype under construction: its type code ("f8") and, after BUILD, its byte order.
struct NumpyDtype {
  std::string code;
  char order = '=';
  std::string descr() const {
    // One-byte types have no byte order ('|'); '=' is the writer's native order, which for every
    // file in this ecosystem is little-endian.
    if (code.size() >= 2 && code.substr(1) == "1") return "|" + code;
    return std::string(1, order == '=' ? '<' : order) + code;
  }
};

// The allowed globals, by the name the hooks use for them. Both spellings of numpy's private
// modules (numpy.core before 2.0, numpy._core after) map to one name.
std::string allowed_global(const std::string& module, const std::string& name) {
  if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") &&
      name == "_reconstruct")
    return kReconstruct;
  if ((module == "numpy.core.numeric" || module == "numpy._core.numeric") && name == "_frombuffer")
    return kFrombuffer;
  if (module == "numpy" && name == "ndarray") return kNdarray;
  if (module == "numpy" && name == "dtype") return kDtype;
  if (module == "_codecs" && name == "encode") return kEncode;
  return {};
}

// A str's UTF-8 text as Latin-1 bytes: what _codecs.encode(s, 'latin1') returns. Every code point
// must be below 256 (numpy writes the raw bytes as such a str).
std::string latin1_bytes(const std::string& utf8, const std::string& what) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      const auto d = static_cast<unsigned char>(utf8[++i]);
      GENSWEEP_CHECK((d & 0xC0) == 0x80, BackboneError,
                     "{}: _codecs.encode got text that is not valid UTF-8", what);
      out.push_back(static_cast<char>(((c & 0x1F) << 6) | (d & 0x3F)));
    } else {
      throw BackboneError(fmt::format(
          "{}: _codecs.encode got a character beyond Latin-1, so not numpy's array bytes", what));
    }
  }
  return out;
}

std::vector<std::int64_t> shape_of(const Value& v, const std::string& what) {
  GENSWEEP_CHECK(v.kind == ValueKind::kTuple, BackboneError,
                 "{}: a numpy array's shape is {}, not a tuple", what, describe(v));
  std::vector<std::int64_t> shape;
  for (const auto& d : v.items) {
    GENSWEEP_CHECK(d->kind == ValueKind::kInt && d->integer >= 0, BackboneError,
                   "{}: a numpy array's shape holds {}, not a non-negative int", what,
                   describe(*d));
    shape.push_back(d->integer);
  }
  return shape;
}

const NumpyDtype& dtype_of(const Value& v, const std::string& what) {
  const auto* dtype = v.kind == ValueKind::kObject ? std::any_cast<NumpyDtype>(&v.object) : nullptr;
  GENSWEEP_CHECK(dtype != nullptr, BackboneError, "{}: expected a numpy dtype, found {}", what,
                 describe(v));
  return *dtype;
}

}  // namespace

UnpicklerHooks numpy_array_hooks(const std::string& what) {
  UnpicklerHooks hooks;
  hooks.find_global = [what](const std::string& module, const std::string& name) {
    const std::string allowed = allowed_global(module, name);
    GENSWEEP_CHECK(!allowed.empty(), BackboneError,
                   "{}: refused the global {}.{}: reading a file never runs code, and only numpy "
                   "arrays (numpy.core.multiarray._reconstruct, numpy.dtype, "
                   "numpy.core.numeric._frombuffer, _codecs.encode) are allowed",
                   what, module, name);
    auto v = make_value(ValueKind::kGlobal);
    v->text = allowed;
    return v;
  };
  hooks.call = [what](const Value& callable, const Value& args) -> ValuePtr {
    const auto& a = args.items;
    if (callable.text == kReconstruct) {
      GENSWEEP_CHECK(a.size() == 3 && a[0]->kind == ValueKind::kGlobal && a[0]->text == kNdarray,
                     BackboneError, "{}: _reconstruct is called with other than (ndarray, ...)",
                     what);
      return make_object(kArrayType, NumpyArray{});
    }
    if (callable.text == kDtype) {
      GENSWEEP_CHECK(!a.empty() && a[0]->is_string(), BackboneError,
                     "{}: numpy.dtype is called without a type code", what);
      return make_object(kDtypeType, NumpyDtype{a[0]->text});
    }
    if (callable.text == kEncode) {
      GENSWEEP_CHECK(
          a.size() == 2 && a[0]->is_string() && a[1]->is_string() && a[1]->text == "latin1",
          BackboneError,
          "{}: _codecs.encode is allowed only as encode(str, 'latin1'), numpy's way "
          "of pickling array bytes",
          what);
      return make_string(latin1_bytes(a[0]->text, what), ValueKind::kBytes);
    }
    if (callable.text == kFrombuffer) {
      GENSWEEP_CHECK(
          a.size() == 4 && a[0]->kind == ValueKind::kBytes && a[3]->is_string(), BackboneError,
          "{}: _frombuffer is called with other than (buffer, dtype, shape, order)", what);
      NumpyArray array;
      array.raw = a[0]->text;
      array.descr = dtype_of(*a[1], what).descr();
      array.shape = shape_of(*a[2], what);
      array.fortran_order = a[3]->text == "F";
      array.complete = true;
      return make_object(kArrayType, std::move(array));
    }
    throw BackboneError(
        fmt::format("{}: the global {} cannot be called here", what, callable.text));
  };
  hooks.build = [what](Value& object, const Value& state) {
    if (auto* dtype = std::any_cast<NumpyDtype>(&object.object)) {
      // (3, '<', None, None, None, -1, -1, 0): the byte order is the second item.
      GENSWEEP_CHECK(state.kind == ValueKind::kTuple && state.items.size() >= 2 &&
                         state.items[1]->is_string() && state.items[1]->text.size() == 1,
                     BackboneError, "{}: a numpy dtype's state is {}, not (version, order, ...)",
                     what, describe(state));
      dtype->order = state.items[1]->text[0];
      return;
    }
    auto* array = std::any_cast<NumpyArray>(&object.object);
    GENSWEEP_CHECK(array != nullptr, BackboneError, "{}: BUILD on {}", what, describe(object));
    // (1, shape, dtype, is_fortran, raw)
    const auto& s = state.items;
    GENSWEEP_CHECK(state.kind == ValueKind::kTuple && s.size() == 5 &&
                       s[3]->kind == ValueKind::kBool &&
                       (s[4]->kind == ValueKind::kBytes || s[4]->kind == ValueKind::kList),
                   BackboneError,
                   "{}: a numpy array's state is {}, not (version, shape, dtype, fortran, bytes)",
                   what, describe(state));
    GENSWEEP_CHECK(s[4]->kind == ValueKind::kBytes, BackboneError,
                   "{}: a numpy array of Python objects (dtype '|O'); never unpickled", what);
    array->shape = shape_of(*s[1], what);
    array->descr = dtype_of(*s[2], what).descr();
    array->fortran_order = s[3]->boolean;
    array->raw = s[4]->text;
    array->complete = true;
  };
  hooks.persistent_load = [what](const Value&) -> ValuePtr {
    throw BackboneError(fmt::format(
        "{}: the pickle refers to an external storage (a torch tensor), not a numpy array", what));
  };
  return hooks;
}

const NumpyArray* numpy_array(const Value& value) {
  if (value.kind != ValueKind::kObject) return nullptr;
  const auto* array = std::any_cast<NumpyArray>(&value.object);
  return array != nullptr && array->complete ? array : nullptr;
}

}  // namespace gensweep::features::detail
