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

NpzStreamWriter::NpzStreamWriter(std::filesystem::path path) : path_(std::move(path)) {
  check_target(path_, ".npz");
  temporary_ = temporary_for(path_);
  archive_ = archive_write_new();
  GENSWEEP_CHECK(archive_ != nullptr, IoError, "{}: cannot allocate an archive writer",
                 path_.string());
  if (archive_write_set_format_zip(archive_) != ARCHIVE_OK) fail("zip format");
  if (archive_write_set_options(archive_, "zip:compression=store") != ARCHIVE_OK)
    fail("compression");
  if (archive_write_open_filename(archive_, temporary_.c_str()) != ARCHIVE_OK) fail("open");
}

NpzStreamWriter::~NpzStreamWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
  if (!closed_) {
    std::error_code ec;
    std::filesystem::remove(temporary_, ec);
  }
}

void NpzStreamWriter::fail(const char* what) {
  const char* reason = archive_error_string(archive_);
  throw IoError(fmt::format("{}: cannot write it ({}: {})", path_.string(), what,
                            reason ? reason : "unknown libarchive error"));
}

void NpzStreamWriter::begin_member(const std::string& name, const std::string& descr,
                                   const std::vector<std::int64_t>& shape) {
  GENSWEEP_ASSERT(member_left_ == 0, "{}: member {} is not finished", path_.string(), member_);
  std::int64_t count = 1;
  for (auto d : shape)
    count *= d;
  const std::int64_t item = descr.empty() ? 0 : std::stoll(descr.substr(2));
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   descr, shape_text(shape));
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string prefix("\x93NUMPY\x01\x00", 8);
  prefix.push_back(static_cast<char>(header.size() & 0xff));
  prefix.push_back(static_cast<char>(header.size() >> 8));
  prefix += header;
  EntryPtr entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), (name + ".npy").c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(prefix.size() + count * item));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_mtime(entry.get(), 315532800, 0);  // 1980-01-01, ZIP's epoch: reproducible
  if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) fail("member header");
  member_ = name;
  member_left_ = prefix.size() + static_cast<std::uint64_t>(count * item);
  write(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(prefix.data()),
                                      prefix.size()));
}

void NpzStreamWriter::write(std::span<const std::uint8_t> bytes) {
  GENSWEEP_ASSERT(bytes.size() <= member_left_, "{}: member {} gets {} bytes more than declared",
                  path_.string(), member_, bytes.size() - member_left_);
  const la_ssize_t written = archive_write_data(archive_, bytes.data(), bytes.size());
  if (written != static_cast<la_ssize_t>(bytes.size())) fail("member data");
  member_left_ -= bytes.size();
}

void NpzStreamWriter::close() {
  GENSWEEP_ASSERT(member_left_ == 0, "{}: member {} lacks {} bytes", path_.string(), member_,
                  member_left_);
  if (archive_write_close(archive_) != ARCHIVE_OK) fail("close");
  archive_write_free(archive_);
  archive_ = nullptr;
  publish(temporary_, path_);
  closed_ = true;
}

}  // namespace gensweep::store
