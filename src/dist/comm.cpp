#include "gensweep/dist/comm.h"

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <cstdlib>
#include <cstring>

#include "gensweep/core/error.h"
#include "gensweep/core/strings.h"

namespace gensweep::dist {

// Serial behaviour lives in the base class; MpiComm overrides it.
class CommImpl {
 public:
  virtual ~CommImpl() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  virtual bool is_mpi() const { return false; }
  virtual void barrier() const {}
  virtual void broadcast_bytes(std::vector<std::uint8_t>& bytes, int root) const {}
  virtual std::vector<std::vector<std::uint8_t>> gather(std::span<const std::uint8_t> mine,
                                                        int root) const {
    return {std::vector<std::uint8_t>(mine.begin(), mine.end())};
  }
  virtual std::int64_t sum(std::int64_t v) const { return v; }
  virtual double max(double v) const { return v; }
  enum class Reduce { kSumInt64, kMinInt64, kMinDouble };
  virtual void allreduce(void* /*data*/, std::int64_t /*count*/, Reduce /*op*/) const {}
  [[noreturn]] virtual void abort(int code) const { std::exit(code); }
};

namespace {

void check_mpi(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw CommError(fmt::format("MPI call {} failed: {}", what, std::string(text, len)));
  }
}

class MpiComm final : public CommImpl {
 public:
  MpiComm() {
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool is_mpi() const override { return true; }
  void barrier() const override { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  void broadcast_bytes(std::vector<std::uint8_t>& bytes, int root) const override {
    std::int64_t n = static_cast<std::int64_t>(bytes.size());
    check_mpi(MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast(size)");
    bytes.resize(static_cast<std::size_t>(n));
    // Large payloads go in pieces: MPI counts are int.
    constexpr std::int64_t kPiece = 1 << 30;
    for (std::int64_t off = 0; off < n; off += kPiece) {
      int count = static_cast<int>(std::min(kPiece, n - off));
      check_mpi(MPI_Bcast(bytes.data() + off, count, MPI_BYTE, root, MPI_COMM_WORLD),
                "MPI_Bcast(data)");
    }
  }

  std::vector<std::vector<std::uint8_t>> gather(std::span<const std::uint8_t> mine,
                                                int root) const override {
    std::int64_t n = static_cast<std::int64_t>(mine.size());
    std::vector<std::int64_t> sizes(rank_ == root ? size_ : 0);
    check_mpi(MPI_Gather(&n, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, root, MPI_COMM_WORLD),
              "MPI_Gather(size)");
    std::vector<std::vector<std::uint8_t>> out;
    // Point-to-point per rank keeps counts within int and memory at one buffer per rank.
    constexpr int kTag = 7101;
    constexpr std::int64_t kPiece = 1 << 30;
    if (rank_ == root) {
      out.resize(size_);
      for (int r = 0; r < size_; ++r) {
        out[r].resize(static_cast<std::size_t>(sizes[r]));
        if (r == root) {
          std::memcpy(out[r].data(), mine.data(), mine.size());
          continue;
        }
        for (std::int64_t off = 0; off < sizes[r]; off += kPiece) {
          int count = static_cast<int>(std::min(kPiece, sizes[r] - off));
          check_mpi(MPI_Recv(out[r].data() + off, count, MPI_BYTE, r, kTag, MPI_COMM_WORLD,
                             MPI_STATUS_IGNORE),
                    "MPI_Recv");
        }
      }
    } else {
      for (std::int64_t off = 0; off < n; off += kPiece) {
        int count = static_cast<int>(std::min(kPiece, n - off));
        check_mpi(MPI_Send(mine.data() + off, count, MPI_BYTE, root, kTag, MPI_COMM_WORLD),
                  "MPI_Send");
      }
    }
    return out;
  }

  std::int64_t sum(std::int64_t v) const override {
    std::int64_t out = 0;
    check_mpi(MPI_Allreduce(&v, &out, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }
  double max(double v) const override {
    double out = 0;
    check_mpi(MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
    return out;
  }
  void allreduce(void* data, std::int64_t count, Reduce op) const override {
    const MPI_Datatype type = op == Reduce::kMinDouble ? MPI_DOUBLE : MPI_INT64_T;
    const MPI_Op mpi_op = op == Reduce::kSumInt64 ? MPI_SUM : MPI_MIN;
    const std::int64_t size = op == Reduce::kMinDouble ? sizeof(double) : sizeof(std::int64_t);
    // MPI counts are int: large arrays go in pieces.
    constexpr std::int64_t kPiece = 1 << 26;
    for (std::int64_t off = 0; off < count; off += kPiece) {
      const int n = static_cast<int>(std::min(kPiece, count - off));
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + off * size, n, type, mpi_op,
                              MPI_COMM_WORLD),
                "MPI_Allreduce(in place)");
    }
  }
  [[noreturn]] void abort(int code) const override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

Comm::Comm() : impl_(std::make_unique<CommImpl>()) {}
Comm::Comm(std::unique_ptr<CommImpl> impl) : impl_(std::move(impl)) {}
Comm::~Comm() = default;
Comm::Comm(Comm&&) noexcept = default;
Comm& Comm::operator=(Comm&&) noexcept = default;

int Comm::rank() const {
  return impl_->rank();
}
int Comm::size() const {
  return impl_->size();
}
bool Comm::is_mpi() const {
  return impl_->is_mpi();
}
void Comm::barrier() const {
  impl_->barrier();
}

void Comm::broadcast(std::vector<std::uint8_t>& value, int root) const {
  impl_->broadcast_bytes(value, root);
}

void Comm::broadcast(std::string& value, int root) const {
  if (size() == 1) return;
  std::vector<std::uint8_t> bytes(value.begin(), value.end());
  impl_->broadcast_bytes(bytes, root);
  value.assign(bytes.begin(), bytes.end());
}

void Comm::broadcast(std::vector<double>& value, int root) const {
  if (size() == 1) return;
  std::vector<std::uint8_t> bytes(value.size() * sizeof(double));
  std::memcpy(bytes.data(), value.data(), bytes.size());
  impl_->broadcast_bytes(bytes, root);
  value.resize(bytes.size() / sizeof(double));
  std::memcpy(value.data(), bytes.data(), bytes.size());
}

void Comm::broadcast(std::int64_t& value, int root) const {
  if (size() == 1) return;
  std::vector<std::uint8_t> bytes(sizeof(value));
  std::memcpy(bytes.data(), &value, sizeof(value));
  impl_->broadcast_bytes(bytes, root);
  std::memcpy(&value, bytes.data(), sizeof(value));
}

std::vector<std::vector<std::uint8_t>> Comm::gather(std::span<const std::uint8_t> mine,
                                                    int root) const {
  return impl_->gather(mine, root);
}

std::int64_t Comm::sum(std::int64_t value) const {
  return impl_->sum(value);
}
double Comm::max(double value) const {
  return impl_->max(value);
}

void Comm::allreduce_sum(std::span<std::int64_t> values) const {
  impl_->allreduce(values.data(), static_cast<std::int64_t>(values.size()),
                   CommImpl::Reduce::kSumInt64);
}
void Comm::allreduce_min(std::span<std::int64_t> values) const {
  impl_->allreduce(values.data(), static_cast<std::int64_t>(values.size()),
                   CommImpl::Reduce::kMinInt64);
}
void Comm::allreduce_min(std::span<double> values) const {
  impl_->allreduce(values.data(), static_cast<std::int64_t>(values.size()),
                   CommImpl::Reduce::kMinDouble);
}

void Comm::agree(const std::optional<std::string>& local_error) const {
  if (size() == 1) {
    if (local_error) throw CommError(*local_error);
    return;
  }
  std::int64_t failed = sum(local_error ? 1 : 0);
  if (failed == 0) return;
  std::string mine = local_error.value_or("");
  auto all = gather({reinterpret_cast<const std::uint8_t*>(mine.data()), mine.size()}, 0);
  std::string combined;
  if (is_root()) {
    std::vector<std::string> parts;
    for (int r = 0; r < size(); ++r) {
      if (!all[r].empty())
        parts.push_back(fmt::format("rank {}: {}", r, std::string(all[r].begin(), all[r].end())));
    }
    combined = join(parts, "; ");
  }
  broadcast(combined, 0);
  throw CommError(combined);
}

void Comm::agree(std::exception_ptr local_error) const {
  if (size() == 1) {
    if (local_error) std::rethrow_exception(local_error);
    return;
  }
  // The lowest failing rank decides the kind; every failing rank's message is kept.
  const std::int64_t kind_code =
      local_error ? static_cast<std::int64_t>(kind_of(local_error)) : std::int64_t{-1};
  std::vector<std::uint8_t> mine(sizeof(kind_code));
  std::memcpy(mine.data(), &kind_code, sizeof(kind_code));
  std::int64_t failed = sum(local_error ? 1 : 0);
  if (failed == 0) return;
  auto kinds = gather(mine, 0);
  std::int64_t kind = static_cast<std::int64_t>(ErrorKind::kComm);
  if (is_root()) {
    for (const auto& k : kinds) {
      std::int64_t v = 0;
      std::memcpy(&v, k.data(), sizeof(v));
      if (v >= 0) {
        kind = v;
        break;
      }
    }
  }
  broadcast(kind, 0);
  try {
    agree(local_error ? std::optional<std::string>(message_of(local_error)) : std::nullopt);
  } catch (const CommError& e) {
    throw Error(static_cast<ErrorKind>(kind), e.what());
  }
}

void Comm::abort(int exit_code) const {
  impl_->abort(exit_code);
  std::exit(exit_code);  // not reached: the compiler cannot see through the virtual call
}

bool Environment::launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

Environment::Environment(int* argc, char*** argv) {
  if (!launched_by_mpi()) return;  // serial twin, no MPI at all
  int provided = 0;
  check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  initialized_mpi_ = true;
  // Errors come back as codes so check_mpi can turn them into CommError with a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  world_ = Comm(std::make_unique<MpiComm>());
}

Environment::~Environment() {
  if (initialized_mpi_) {
    world_ = Comm();
    MPI_Finalize();
  }
}

std::vector<std::int64_t> round_robin_share(std::int64_t count, int rank, int size) {
  std::vector<std::int64_t> mine;
  for (std::int64_t i = rank; i < count; i += size)
    mine.push_back(i);
  return mine;
}

}  // namespace gensweep::dist

namespace gensweep::dist {
int local_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
    if (const char* value = std::getenv(var); value && *value) return std::atoi(value);
  }
  return 0;
}
}  // namespace gensweep::dist
