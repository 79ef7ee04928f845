#pragma once
// Move-only owners of HDF5 identifiers (files, datasets, dataspaces, types, property lists,
// attributes, groups). Internal to the store module: nothing outside src/store includes HDF5.

#include <hdf5.h>

#include <utility>

namespace gensweep::store::detail {

template <herr_t (*Close)(hid_t)>
class Hdf5Handle {
 public:
  Hdf5Handle() = default;
  explicit Hdf5Handle(hid_t id) : id_(id) {}
  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership, for callers that must close explicitly and check the result.
  hid_t release() noexcept { return std::exchange(id_, H5I_INVALID_HID); }

  // A failing close is ignored: destructors never throw, and everything that must reach the disk
  // was flushed explicitly (and checked) before.
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileHandle = Hdf5Handle<H5Fclose>;
using GroupHandle = Hdf5Handle<H5Gclose>;
using DatasetHandle = Hdf5Handle<H5Dclose>;
using DataspaceHandle = Hdf5Handle<H5Sclose>;
using DatatypeHandle = Hdf5Handle<H5Tclose>;
using PropListHandle = Hdf5Handle<H5Pclose>;
using AttributeHandle = Hdf5Handle<H5Aclose>;

}  // namespace gensweep::store::detail
