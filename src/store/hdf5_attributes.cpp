#include "hdf5_attributes.h"

#include "hdf5_errors.h"

#include <fmt/format.h>

#include <algorithm>

#include <vector>

namespace gensweep::store::detail {
namespace {

std::string read_string_value(hid_t attribute, const std::string& name,
                              const std::string& context) {
  DatatypeHandle file_type(check_id(H5Aget_type(attribute), [&] {
    return fmt::format("{}: cannot read the type of attribute '{}'", context, name);
  }));
  DataspaceHandle space(check_id(H5Aget_space(attribute), [&] {
    return fmt::format("{}: cannot read the shape of attribute '{}'", context, name);
  }));
  const hssize_t elements = H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(file_type.get()) != H5T_STRING || elements != 1)
    throw StoreError(fmt::format("{}: attribute '{}' is not a single string", context, name));
  if (H5Tis_variable_str(file_type.get()) > 0) {
    // Read with the file's own string type: HDF5 does not convert between character sets.
    DatatypeHandle memory_type(H5Tcopy(file_type.get()));
    char* value = nullptr;
    check_status(H5Aread(attribute, memory_type.get(), &value),
                 [&] { return fmt::format("{}: cannot read attribute '{}'", context, name); });
    std::string text = value ? value : "";
    H5free_memory(value);
    return text;
  }
  // Fixed-length strings (written by other tools): read the bytes and drop the padding.
  const std::size_t size = H5Tget_size(file_type.get());
  DatatypeHandle memory_type(H5Tcopy(file_type.get()));
  std::vector<char> buffer(size + 1, '\0');
  check_status(H5Aread(attribute, memory_type.get(), buffer.data()),
               [&] { return fmt::format("{}: cannot read attribute '{}'", context, name); });
  std::string text(buffer.data(), size);
  text.erase(text.find_last_not_of('\0') + 1);
  if (H5Tget_strpad(file_type.get()) == H5T_STR_SPACEPAD)
    text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

struct IterateState {
  Attributes* out;
  const std::string* context;
  std::string error;
};

herr_t collect_attribute(hid_t object, const char* name, const H5A_info_t* /*info*/, void* data) {
  auto* state = static_cast<IterateState*>(data);
  try {
    AttributeHandle attribute(H5Aopen(object, name, H5P_DEFAULT));
    if (!attribute) return -1;
    DatatypeHandle type(H5Aget_type(attribute.get()));
    if (!type || H5Tget_class(type.get()) != H5T_STRING) return 0;
    (*state->out)[name] = read_string_value(attribute.get(), name, *state->context);
    return 0;
  } catch (const std::exception& e) {
    // Exceptions must not unwind through HDF5's C frames: stop the iteration and rethrow after.
    state->error = e.what();
    return -1;
  }
}

}  // namespace

DatatypeHandle make_vlen_utf8_type() {
  DatatypeHandle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

DatatypeHandle make_fixed_utf8_type(std::size_t bytes) {
  DatatypeHandle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), bytes);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& context) {
  const auto describe = [&] {
    return fmt::format("{}: cannot write attribute '{}'", context, name);
  };
  if (has_attribute(object, name)) check_status(H5Adelete(object, name.c_str()), describe);
  DatatypeHandle type = make_vlen_utf8_type();
  DataspaceHandle space(check_id(H5Screate(H5S_SCALAR), describe));
  AttributeHandle attribute(
      check_id(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               describe));
  const char* text = value.c_str();
  check_status(H5Awrite(attribute.get(), type.get(), &text), describe);
}

void write_inline_string_attribute(hid_t object, const std::string& name, const std::string& value,
                                   const std::string& context) {
  const auto describe = [&] {
    return fmt::format("{}: cannot write attribute '{}'", context, name);
  };
  if (has_attribute(object, name)) check_status(H5Adelete(object, name.c_str()), describe);
  // HDF5 has no zero-size strings: an empty value is one NUL byte.
  DatatypeHandle type = make_fixed_utf8_type(std::max<std::size_t>(1, value.size()));
  DataspaceHandle space(check_id(H5Screate(H5S_SCALAR), describe));
  AttributeHandle attribute(
      check_id(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               describe));
  std::string padded = value;
  padded.resize(std::max<std::size_t>(1, value.size()), '\0');
  check_status(H5Awrite(attribute.get(), type.get(), padded.data()), describe);
}

bool is_variable_length_string_attribute(hid_t object, const std::string& name) {
  if (!has_attribute(object, name)) return false;
  AttributeHandle attribute(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!attribute) return false;
  DatatypeHandle type(H5Aget_type(attribute.get()));
  return type && H5Tget_class(type.get()) == H5T_STRING && H5Tis_variable_str(type.get()) > 0;
}

std::optional<std::string> read_string_attribute(hid_t object, const std::string& name,
                                                 const std::string& context) {
  if (!has_attribute(object, name)) return std::nullopt;
  AttributeHandle attribute(check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), [&] {
    return fmt::format("{}: cannot open attribute '{}'", context, name);
  }));
  return read_string_value(attribute.get(), name, context);
}

Attributes read_string_attributes(hid_t object, const std::string& context) {
  Attributes out;
  IterateState state{&out, &context, {}};
  hsize_t index = 0;
  const herr_t status =
      H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &state);
  if (!state.error.empty()) {
    H5Eclear2(H5E_DEFAULT);
    throw StoreError(state.error);
  }
  check_status(status, [&] { return fmt::format("{}: cannot list attributes", context); });
  return out;
}

void write_int64_attribute(hid_t object, const std::string& name, std::int64_t value,
                           const std::string& context) {
  const auto describe = [&] {
    return fmt::format("{}: cannot write attribute '{}'", context, name);
  };
  if (has_attribute(object, name)) check_status(H5Adelete(object, name.c_str()), describe);
  DataspaceHandle space(check_id(H5Screate(H5S_SCALAR), describe));
  AttributeHandle attribute(check_id(
      H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      describe));
  check_status(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value), describe);
}

std::optional<std::int64_t> read_int64_attribute(hid_t object, const std::string& name,
                                                 const std::string& context) {
  if (!has_attribute(object, name)) return std::nullopt;
  const auto describe = [&] {
    return fmt::format("{}: cannot read attribute '{}'", context, name);
  };
  AttributeHandle attribute(check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), describe));
  DatatypeHandle type(check_id(H5Aget_type(attribute.get()), describe));
  DataspaceHandle space(check_id(H5Aget_space(attribute.get()), describe));
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.get()) != 1)
    throw StoreError(fmt::format("{}: attribute '{}' is not a single integer", context, name));
  std::int64_t value = 0;
  check_status(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), describe);
  return value;
}

}  // namespace gensweep::store::detail
