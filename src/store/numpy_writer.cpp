#include "gensweep/store/numpy_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <memory>

#include "gensweep/core/error.h"

namespace gensweep::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy writer writes '<' data");

std::string shape_text(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

void check_target(const std::filesystem::path& path, const char* suffix) {
  GENSWEEP_CHECK(path.extension() == suffix, IoError, "{}: expected a file name ending in {}",
                 path.string(), suffix);
  std::error_code ec;
  GENSWEEP_CHECK(!std::filesystem::exists(path, ec), IoError,
                 "{}: exists already; gensweep does not overwrite it (remove it or choose another "
                 "name)",
                 path.string());
}

std::filesystem::path temporary_for(const std::filesystem::path& path) {
  return path.parent_path() / fmt::format(".{}.tmp.{}", path.filename().string(), ::getpid());
}

// Moves the finished temporary into place unless something appeared there meanwhile.
void publish(const std::filesystem::path& temporary, const std::filesystem::path& path) {
  // link() fails when the target exists: never replaces a file written meanwhile.
  const int rc = ::link(temporary.c_str(), path.c_str());
  const int error = errno;
  std::filesystem::remove(temporary);
  GENSWEEP_CHECK(rc == 0, IoError, "{}: cannot create it: {}", path.string(), std::strerror(error));
}

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

}  // namespace

std::string npy_bytes(const NpyArray& a) {
  std::int64_t count = 1;
  for (auto d : a.shape)
    count *= d;
  const std::size_t have = a.is_f32 ? a.f32.size() : a.f64.size();
  GENSWEEP_ASSERT(static_cast<std::int64_t>(have) == count, "{}: {} values for shape {}", a.name,
                  have, shape_text(a.shape));
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   a.is_f32 ? "<f4" : "<f8", shape_text(a.shape));
  // magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64, as numpy writes it.
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto length = static_cast<std::uint16_t>(header.size());
  out.push_back(static_cast<char>(length & 0xff));
  out.push_back(static_cast<char>(length >> 8));
  out += header;
  if (a.is_f32) {
    out.append(reinterpret_cast<const char*>(a.f32.data()), a.f32.size() * sizeof(float));
  } else {
    out.append(reinterpret_cast<const char*>(a.f64.data()), a.f64.size() * sizeof(double));
  }
  return out;
}

void write_npy(const std::filesystem::path& path, const NpyArray& array) {
  check_target(path, ".npy");
  const auto temporary = temporary_for(path);
  {
    const std::string bytes = npy_bytes(array);
    std::ofstream out(temporary, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    GENSWEEP_CHECK(out.good(), IoError, "{}: cannot write it", temporary.string());
  }
  publish(temporary, path);
}

void write_npz(const std::filesystem::path& path, const std::vector<NpyArray>& arrays,
               bool compress) {
  check_target(path, ".npz");
  const auto temporary = temporary_for(path);
  {
    ArchivePtr a(archive_write_new(), archive_write_free);
    auto check = [&](int rc, const char* what) {
      if (rc == ARCHIVE_OK) return;
      const std::string reason = archive_error_string(a.get()) ? archive_error_string(a.get())
                                                               : "unknown libarchive error";
      std::filesystem::remove(temporary);
      throw IoError(fmt::format("{}: cannot write it ({}: {})", path.string(), what, reason));
    };
    check(archive_write_set_format_zip(a.get()), "zip format");
    check(archive_write_set_options(a.get(),
                                    compress ? "zip:compression=deflate" : "zip:compression=store"),
          "compression");
    check(archive_write_open_filename(a.get(), temporary.c_str()), "open");
    for (const auto& array : arrays) {
      const std::string bytes = npy_bytes(array);
      EntryPtr entry(archive_entry_new(), archive_entry_free);
      archive_entry_set_pathname(entry.get(), (array.name + ".npy").c_str());
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_perm(entry.get(), 0644);
      archive_entry_set_mtime(entry.get(), 315532800, 0);  // 1980-01-01, ZIP's epoch: reproducible
      check(archive_write_header(a.get(), entry.get()), "member header");
      const la_ssize_t written = archive_write_data(a.get(), bytes.data(), bytes.size());
      check(written == static_cast<la_ssize_t>(bytes.size()) ? ARCHIVE_OK : ARCHIVE_FATAL,
            "member data");
    }
    check(archive_write_close(a.get()), "close");
  }
  publish(temporary, path);
}

}  // namespace gensweep::store
