#pragma once
// The communicator: MPI behind a small value type with a serial twin (as ADIOS2 does), so every
// other module builds, runs and is tested without MPI. When the process was not started by an MPI
// launcher (mpirun, srun), no MPI call is made at all and the serial twin is used.
//
// Error agreement: distributed phases do their local work inside try/catch and then call
// `agree(local_error)`. If any rank failed, every rank throws the same CommError carrying each
// failing rank's message, so no rank is left waiting in a collective.

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gensweep::dist {

class CommImpl;

class Comm {
 public:
  Comm();  // the serial twin: rank 0 of 1
  ~Comm();
  Comm(Comm&&) noexcept;
  Comm& operator=(Comm&&) noexcept;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const;
  int size() const;
  bool is_root() const { return rank() == 0; }
  bool is_mpi() const;

  void barrier() const;
  // Root's value replaces everyone's.
  void broadcast(std::string& value, int root = 0) const;
  void broadcast(std::vector<std::uint8_t>& value, int root = 0) const;
  void broadcast(std::vector<double>& value, int root = 0) const;
  void broadcast(std::int64_t& value, int root = 0) const;
  // Variable-size byte buffers from every rank to root; non-root ranks get an empty result.
  std::vector<std::vector<std::uint8_t>> gather(std::span<const std::uint8_t> mine,
                                                int root = 0) const;
  std::int64_t sum(std::int64_t value) const;
  double max(double value) const;
  // Element-wise allreduce in place: every rank ends with the element-wise sum / minimum over
  // ranks (any length; the same length on every rank).
  void allreduce_sum(std::span<std::int64_t> values) const;
  void allreduce_min(std::span<std::int64_t> values) const;
  void allreduce_min(std::span<double> values) const;

  // Collective: throws CommError on every rank if any rank passed an error. The message lists
  // each failing rank: "rank 1: <message>; rank 3: <message>".
  void agree(const std::optional<std::string>& local_error) const;
  // The same for a captured exception: every rank throws an Error of the kind of the lowest
  // failing rank's error (a config error stays a config error, exit code included).
  void agree(std::exception_ptr local_error) const;
  // Ends every rank of the job (MPI_Abort) after a failure outside a collective phase.
  [[noreturn]] void abort(int exit_code) const;

 private:
  friend class Environment;
  explicit Comm(std::unique_ptr<CommImpl> impl);
  std::unique_ptr<CommImpl> impl_;
};

// Owns MPI initialisation for the process. Constructed once in main(); `world()` is the job's
// communicator (the serial twin when not launched by an MPI launcher).
class Environment {
 public:
  Environment(int* argc, char*** argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  Comm& world() { return world_; }
  // True when environment variables show an MPI launcher started this process.
  static bool launched_by_mpi();

 private:
  bool initialized_mpi_ = false;
  Comm world_;
};

// Deterministic partition of `count` items over `size` ranks, round-robin: item i goes to rank
// i % size. Rank-count invariance of results relies on per-item work not depending on the owner.
std::vector<std::int64_t> round_robin_share(std::int64_t count, int rank, int size);

}  // namespace gensweep::dist

namespace gensweep::dist {
// This process's index among the ranks on its node (OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID),
// 0 when run alone: "auto" devices map rank -> cuda:<local rank>.
int local_rank();
}  // namespace gensweep::dist
