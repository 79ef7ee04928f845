#pragma once
// Reading PyTorch `torch.save(state_dict)` files without Python and without LibTorch (which cannot
// read them: see ../shared/design/TOOLCHAIN.md). Both formats:
//   - zip (PyTorch >= 1.6): `<name>/data.pkl` pickle + `<name>/data/<key>` raw storages;
//   - legacy (pre-1.6, e.g. pytorch-fid's pt_inception-2015-12-05-6726825d.pth): magic number,
//     protocol, sys_info pickles, the state-dict pickle, the storage key list, then raw storages.
// The unpickler is restricted: it accepts only the globals a state dict needs
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and _rebuild_tensor,
// torch._utils._rebuild_parameter for files that hold nn.Parameters, the torch.*Storage types of
// the dtypes below) and refuses anything else with a BackboneError naming the global: loading a
// weights file never executes code. This header is torch-free; the reader does not use LibTorch.
//
// What is read: pickle protocol 2 as torch.save writes it (and protocols 3-5 for files saved with
// pickle_protocol=4), zip archives with stored entries (ZIP64 included; CRC-32 checked; a
// re-zipped, compressed archive is refused), legacy files including storage views.
// The top-level object must be a flat dict of name -> tensor (a dict or an OrderedDict; the
// `_metadata` attribute state_dict() adds is ignored). A training checkpoint that nests the weights
// ({'state_dict': {...}, 'epoch': 3, ...}) is refused with a message listing its keys and what each
// holds, rather than guessed at: the key varies between projects and a guess could pick the wrong
// weights (an EMA copy, a discriminator).

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace gensweep::features {

enum class TensorDType { kFloat32, kFloat64, kFloat16, kInt64, kInt32, kUInt8, kInt8, kBool };
const char* dtype_name(TensorDType dtype);

struct CheckpointTensor {
  TensorDType dtype = TensorDType::kFloat32;
  std::vector<std::int64_t> shape;
  // Contiguous row-major little-endian bytes of exactly the tensor's elements (strides and storage
  // offsets are resolved by the reader).
  std::vector<std::uint8_t> data;
  std::int64_t numel() const;
  // Values converted to float32 (float64/float16/integer tensors converted exactly or rounded).
  std::vector<float> to_float() const;
};

// Entries in the file's order.
using StateDict = std::vector<std::pair<std::string, CheckpointTensor>>;

// Throws BackboneError naming the file and what is wrong (truncated, not a checkpoint, a refused
// global, an unsupported pickle opcode, a storage missing or too short), e.g.
//   "w.pth: refusing to load: the pickle asks for global 'os.system', which a state dict never
//    needs (only tensors and OrderedDict are accepted; loading a weights file never executes code)"
// Every size and offset in the file is checked before it is used; the pickle's opcodes and the
// tensors' total size (views can repeat a storage) are capped, so a damaged or hostile file
// cannot make the reader allocate without bound. Peak memory is about the state dict plus one
// storage.
StateDict read_checkpoint(const std::filesystem::path& file);

const CheckpointTensor* find_tensor(const StateDict& dict, const std::string& name);

}  // namespace gensweep::features
