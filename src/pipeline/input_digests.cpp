#include "gensweep/pipeline/input_digests.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <unordered_map>

#include "gensweep/core/archive.h"
#include "gensweep/core/error.h"
#include "gensweep/core/log.h"
#include "gensweep/core/parallel.h"
#include "gensweep/core/sha256.h"
#include "gensweep/core/strings.h"
#include "gensweep/dist/phase.h"
#include "gensweep/report/atomic_file.h"

namespace gensweep::pipeline {
namespace {

constexpr std::string_view kManifestMagic = "gensweep-input-manifest\t1";

struct ManifestEntry {
  FileStat stat;
  std::int64_t stat_taken_ns = 0;  // when the stat record was taken, just before hashing
  std::string sha256;
};
using Manifest = std::unordered_map<std::string, ManifestEntry>;

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Ids and paths may hold any byte but '\0': the field separators are percent-encoded.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '\t' || c == '\n' || c == '\r') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

bool is_hex_digest(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The manifest of `root`, or an empty one when there is none; a damaged or foreign file is
// ignored with the reason (its files are hashed again and it is replaced).
Manifest read_manifest(const std::filesystem::path& path, const std::filesystem::path& root) {
  Manifest manifest;
  std::ifstream in(path, std::ios::binary);
  if (!in) return manifest;
  auto reject = [&](const std::string& why) {
    log::info("input manifest {}: not used ({}); its files are hashed again", path.string(), why);
    return Manifest{};
  };
  std::string line;
  if (!std::getline(in, line) || line != kManifestMagic) return reject("not an input manifest");
  if (!std::getline(in, line) || line != "root\t" + escape(root.string()))
    return reject("made for another folder");
  std::int64_t line_number = 2;
  while (std::getline(in, line)) {
    ++line_number;
    const auto fields = split(line, '\t');
    if (fields.size() == 2 && fields[0] == "end") {
      std::size_t count = 0;
      if (!parse_number(fields[1], count) || count != manifest.size())
        return reject(fmt::format("line {}: the end line counts {} entries, {} were read",
                                  line_number, fields[1], manifest.size()));
      return manifest;
    }
    ManifestEntry e;
    auto id = fields.size() == 7 ? unescape(fields[0]) : std::nullopt;
    if (!id || !parse_number(fields[1], e.stat.size) || !parse_number(fields[2], e.stat.mtime_ns) ||
        !parse_number(fields[3], e.stat.ctime_ns) || !parse_number(fields[4], e.stat.inode) ||
        !parse_number(fields[5], e.stat_taken_ns) || !is_hex_digest(fields[6]))
      return reject(fmt::format("line {} is malformed", line_number));
    e.sha256 = fields[6];
    manifest[*id] = std::move(e);
  }
  return reject("it ends without its end line (truncated)");
}

void write_manifest(const std::filesystem::path& path, const std::filesystem::path& root,
                    const Manifest& manifest) {
  std::vector<const std::pair<const std::string, ManifestEntry>*> sorted;
  sorted.reserve(manifest.size());
  for (const auto& entry : manifest)
    sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string text;
  text.reserve(manifest.size() * 140 + 256);
  text += kManifestMagic;
  text += "\nroot\t" + escape(root.string()) + "\n";
  for (const auto* entry : sorted) {
    const ManifestEntry& e = entry->second;
    text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", escape(entry->first), e.stat.size,
                        e.stat.mtime_ns, e.stat.ctime_ns, e.stat.inode, e.stat_taken_ns, e.sha256);
  }
  text += fmt::format("end\t{}\n", manifest.size());
  std::filesystem::create_directories(path.parent_path());
  report::write_file_atomically(path, text);
}

// Digests travel between ranks as a count and strings ("unreadable" is not 64 characters).
std::vector<std::uint8_t> pack(const std::vector<std::string>& digests) {
  ByteWriter w;
  w.put(static_cast<std::int64_t>(digests.size()));
  for (const auto& d : digests)
    w.put_string(d);
  return w.take();
}

std::vector<std::string> unpack(std::span<const std::uint8_t> bytes) {
  ByteReader r(bytes, "input digests");
  std::vector<std::string> out;
  const auto count = r.get<std::int64_t>();
  for (std::int64_t i = 0; i < count; ++i)
    out.push_back(r.get_string());
  r.expect_end();
  return out;
}

}  // namespace

std::optional<FileStat> stat_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStat out;
  out.size = static_cast<std::int64_t>(st.st_size);
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  out.inode = static_cast<std::uint64_t>(st.st_ino);
  return out;
}

std::filesystem::path input_manifest_path(const std::filesystem::path& manifest_dir,
                                          const std::filesystem::path& files_root) {
  return manifest_dir / (sha256_hex(files_root.string()).substr(0, 16) + ".tsv");
}

DatasetDigest dataset_fingerprint(const ImageSource& source, const dist::Comm& comm, int threads,
                                  const InputDigestOptions& options) {
  const std::int64_t n = source.size();
  const std::filesystem::path root = source.files_root();
  const bool use_manifest = !options.manifest_dir.empty() && !root.empty();
  const auto manifest_path =
      use_manifest ? input_manifest_path(options.manifest_dir, root) : std::filesystem::path{};

  // Rank 0: which digests the manifest already knows.
  DatasetDigest out;
  std::vector<std::string> digests;
  std::vector<std::optional<FileStat>> stats;
  std::vector<std::uint8_t> todo(static_cast<std::size_t>(n), 1);
  Manifest manifest;
  std::int64_t stat_taken_ns = 0;
  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    digests.resize(static_cast<std::size_t>(n));
    stats.resize(static_cast<std::size_t>(n));
    if (use_manifest) manifest = read_manifest(manifest_path, root);
    stat_taken_ns = now_ns();
    for (std::int64_t i = 0; i < n; ++i) {
      const io::ImageEntry* entry = source.file_entry(i);
      if (entry == nullptr) continue;
      ++out.files;
      stats[i] = stat_file(entry->path);
      if (!stats[i] || options.verify) continue;
      auto known = manifest.find(entry->id);
      if (known == manifest.end() || !(known->second.stat == *stats[i])) continue;
      // Racily clean: modified too close to the moment it was hashed to trust the record.
      if (stats[i]->mtime_ns + kRacyWindowNs > known->second.stat_taken_ns) continue;
      digests[i] = known->second.sha256;
      todo[i] = 0;
    }
  });
  comm.broadcast(todo);

  // Everyone hashes a round-robin share of the files to read.
  std::vector<std::int64_t> needed;
  for (std::int64_t i = 0; i < n; ++i)
    if (todo[i]) needed.push_back(i);
  const auto mine =
      dist::round_robin_share(static_cast<std::int64_t>(needed.size()), comm.rank(), comm.size());
  std::vector<std::string> hashed(mine.size());
  // A phase of its own: an error while hashing on one rank must not leave the others waiting in
  // the gather below.
  dist::run_phase(comm, [&] {
    parallel_for(static_cast<std::int64_t>(mine.size()), threads, [&](std::int64_t k) {
      const std::int64_t i = needed[mine[k]];
      hashed[k] = source.content_digests(i, i + 1).front();
    });
  });
  auto all = comm.gather(pack(hashed));

  dist::run_phase(comm, [&] {
    if (!comm.is_root()) return;
    bool changed = options.verify && use_manifest;
    for (int r = 0; r < comm.size(); ++r) {
      const auto slots =
          dist::round_robin_share(static_cast<std::int64_t>(needed.size()), r, comm.size());
      const auto texts = unpack(all[r]);
      GENSWEEP_ASSERT(texts.size() == slots.size(), "rank {} sent {} digests for {} files", r,
                      texts.size(), slots.size());
      for (std::size_t k = 0; k < slots.size(); ++k) {
        const std::int64_t i = needed[slots[k]];
        digests[i] = texts[k];
        const io::ImageEntry* entry = source.file_entry(i);
        if (entry == nullptr || !stats[i] || !is_hex_digest(texts[k])) continue;
        manifest[entry->id] = ManifestEntry{*stats[i], stat_taken_ns, texts[k]};
        changed = true;
      }
    }
    out.fingerprint = source.fingerprint_from(digests);
    if (use_manifest && changed && options.write) {
      try {
        write_manifest(manifest_path, root, manifest);
      } catch (const std::exception& e) {
        log::info("input manifest {}: not written ({}); the next run hashes these files again",
                  manifest_path.string(), e.what());
      }
    }
  });
  comm.broadcast(out.fingerprint);
  out.hashed = static_cast<std::int64_t>(needed.size());
  out.files = comm.sum(comm.is_root() ? out.files : 0);
  return out;
}

}  // namespace gensweep::pipeline
