#pragma once
// UTF-8 checks for the strings a store keeps. HDF5 stores bytes and a character-set tag; it does
// not validate. Python (h5py) decodes every UTF-8-tagged string, so an invalid one would make the
// store unreadable there: ids and attributes are rejected, failure reasons (free text from image
// libraries) are repaired instead.

#include <cstddef>
#include <string>
#include <string_view>

namespace gensweep::store::detail {

// Byte offset of the first invalid UTF-8 sequence or NUL character, or npos when there is none.
std::size_t find_invalid_utf8(std::string_view text);

// Replaces invalid sequences and NULs with '?', then cuts to at most max_bytes at a character
// boundary, ending in "..." when something was cut.
std::string sanitize_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace gensweep::store::detail
