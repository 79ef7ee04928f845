#pragma once
// Internal: one TurboJPEG compressor and one decompressor per thread. Creating a handle allocates
// libjpeg's state; reusing it per thread keeps that out of the per-image path, and thread_local
// keeps decoding from several threads safe without locks. A handle whose last call failed is
// discarded: TurboJPEG 2 leaves libjpeg mid-header after a failed tjDecompressHeader3, and the
// next image would then fail with "two SOI markers".

#include <turbojpeg.h>

#include <memory>

namespace gensweep::io::detail {

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

enum class TjRole { kCompress, kDecompress };

inline TjHandle& thread_tj_slot(TjRole role) {
  thread_local TjHandle compressor, decompressor;
  return role == TjRole::kCompress ? compressor : decompressor;
}

// Null when TurboJPEG cannot allocate (the caller reports it).
inline tjhandle thread_tj(TjRole role) {
  TjHandle& slot = thread_tj_slot(role);
  if (!slot) slot.reset(role == TjRole::kCompress ? tjInitCompress() : tjInitDecompress());
  return slot.get();
}

// After a failed call: the next thread_tj(role) makes a fresh handle.
inline void discard_thread_tj(TjRole role) {
  thread_tj_slot(role).reset();
}

}  // namespace gensweep::io::detail
