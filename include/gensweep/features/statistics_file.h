#pragma once
// Fréchet statistics (mean and covariance) that other tools wrote, read as data only
// (shared/spec/FORMATS.md sections 2-7, 11):
//
//   .npz (ZIP of .npy)     pytorch-fid --save-stats, clean-fid, EDM, TTUR: `mu`, `sigma`;
//                          the ADM evaluator's reference batch: also `mu_s`, `sigma_s` (entry
//                          "sfid")
//   pickle (.pkl)          EDM2's calculate_metrics.py ref: {num_images, fid: {mu, sigma},
//                          fd_dinov2: {...}} (entry = the metric's name), protocols 2-5
//   torch.save (.pt)       torch-fidelity's *-stat-fid-*.pt: {mu, sigma} of numpy arrays
//
// Values are promoted to float64 and the stored dtypes recorded (clean-fid and torch-fidelity
// store a float32 mean). The covariance is checked for shape and finiteness and symmetrised as
// (S + S^T) / 2, the largest asymmetry being kept as a diagnostic. Pickles go through the
// restricted unpickler: nothing is executed, and NVIDIA's network pickles (which embed code) are
// refused, naming the global that would have run. Errors are IoError naming the file.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gensweep::features {

struct ImportedStatistics {
  std::int64_t dim = 0;
  std::vector<double> mean;           // D
  std::vector<double> covariance;     // D x D, row-major, symmetric, denominator N - 1
  std::optional<std::int64_t> count;  // N when the file records it (EDM2's num_images)
  std::string format;                 // "pytorch-fid .npz (mu, sigma)", ...
  std::string mean_dtype;             // as stored: "<f8", "<f4"
  std::string covariance_dtype;
  double max_asymmetry = 0.0;  // max |S_ij - S_ji| before symmetrising
};

// Reads the statistics in `file`; `entry` selects one set where a file holds several ("" for the
// file's only set; "sfid" for an ADM reference batch's mu_s/sigma_s; an EDM2 pickle's metric name
// such as "fid" or "fd_dinov2", optional when it holds one). Refuses files that hold images or
// features rather than statistics, saying what they hold and which source reads them.
ImportedStatistics read_statistics_file(const std::filesystem::path& file,
                                        const std::string& entry = "");

}  // namespace gensweep::features
