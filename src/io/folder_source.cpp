// Recursive, deterministic listing of an image folder.

#include "gensweep/io/folder_source.h"

#include <algorithm>
#include <system_error>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"

namespace gensweep::io {
namespace fs = std::filesystem;
namespace {

struct Walker {
  const fs::path& root;
  std::vector<ImageEntry>& entries;
  // Canonical paths of the directories being walked (the current chain from the root): a link
  // to one of them is a loop and is not entered. Other directories reached through several links
  // are listed under each name, so the result never depends on directory iteration order.
  std::vector<fs::path> ancestors;

  void walk(const fs::path& dir, const std::string& prefix) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(dir, ec);
    if (ec)
      throw IoError(fmt::format("image folder '{}': cannot resolve '{}': {}", root.string(),
                                dir.string(), ec.message()));
    if (std::find(ancestors.begin(), ancestors.end(), canonical) != ancestors.end()) return;
    ancestors.push_back(canonical);

    fs::directory_iterator it(dir, ec);
    if (ec)
      throw IoError(fmt::format("image folder '{}': cannot read directory '{}': {}", root.string(),
                                dir.string(), ec.message()));
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.') continue;  // hidden (.DS_Store, .ipynb_checkpoints)
      std::error_code status_ec;
      const fs::file_status status = it->status(status_ec);  // follows symbolic links
      if (status_ec) continue;                               // broken link
      const std::string id = prefix.empty() ? name : prefix + "/" + name;
      if (fs::is_directory(status)) {
        walk(it->path(), id);
      } else if (fs::is_regular_file(status) && has_image_extension(name)) {
        entries.push_back({id, it->path()});
      }
    }
    if (ec)
      throw IoError(fmt::format("image folder '{}': error while reading '{}': {}", root.string(),
                                dir.string(), ec.message()));
    ancestors.pop_back();
  }
};

}  // namespace

bool has_image_extension(std::string_view file_name) {
  return ends_with_ci(file_name, ".png") || ends_with_ci(file_name, ".jpg") ||
         ends_with_ci(file_name, ".jpeg");
}

std::vector<ImageEntry> list_image_folder(const fs::path& root) {
  std::error_code ec;
  const fs::file_status status = fs::status(root, ec);
  if (status.type() == fs::file_type::not_found)
    throw IoError(fmt::format("image folder '{}' does not exist", root.string()));
  if (ec)
    throw IoError(
        fmt::format("image folder '{}' cannot be accessed: {}", root.string(), ec.message()));
  if (!fs::is_directory(status))
    throw IoError(fmt::format("image folder '{}' is not a directory", root.string()));

  std::vector<ImageEntry> entries;
  Walker{root, entries, {}}.walk(root, "");
  // std::string's ordering is char_traits<char>::compare, i.e. memcmp: bytewise, locale-free.
  std::sort(entries.begin(), entries.end(),
            [](const ImageEntry& a, const ImageEntry& b) { return a.id < b.id; });
  if (entries.empty())
    throw IoError(
        fmt::format("image folder '{}' contains no images (*.png, *.jpg, *.jpeg)", root.string()));
  return entries;
}

}  // namespace gensweep::io
