#pragma once
// String and integer attributes, and the string datatypes the store uses. Strings are UTF-8
// tagged; attribute strings are variable-length so that h5py returns str, not bytes.

#include "hdf5_handles.h"

#include "gensweep/store/provenance.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gensweep::store::detail {

DatatypeHandle make_vlen_utf8_type();
DatatypeHandle make_fixed_utf8_type(std::size_t bytes);  // NUL-padded

// `context` starts every error message (for example "store '/data/x.h5'").
void write_string_attribute(hid_t object, const std::string& name, const std::string& value,
                            const std::string& context);
// nullopt when the attribute does not exist; StoreError when it is not a string.
// A fixed-length (NUL-padded) UTF-8 string attribute: its value lives inside the object header, not
// in the global heap, so adding it changes one metadata block instead of two.
void write_inline_string_attribute(hid_t object, const std::string& name, const std::string& value,
                                   const std::string& context);
// True when `name` exists and holds a variable-length string (its value lives in the global heap).
bool is_variable_length_string_attribute(hid_t object, const std::string& name);
std::optional<std::string> read_string_attribute(hid_t object, const std::string& name,
                                                 const std::string& context);
// Every string attribute of `object` (non-string attributes are skipped).
Attributes read_string_attributes(hid_t object, const std::string& context);

void write_int64_attribute(hid_t object, const std::string& name, std::int64_t value,
                           const std::string& context);
std::optional<std::int64_t> read_int64_attribute(hid_t object, const std::string& name,
                                                 const std::string& context);

bool has_attribute(hid_t object, const std::string& name);

}  // namespace gensweep::store::detail
