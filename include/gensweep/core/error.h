#pragma once
// One exception hierarchy for all of gensweep. Each kind maps to a documented exit code in the CLI
// (see docs/EXIT_CODES in README). Messages say what failed, the value, the file or key, and the
// rank where it happened. Only the CLI catches everything.

#include <fmt/format.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace gensweep {

enum class ErrorKind {
  kUsage,        // bad command line
  kConfig,       // bad job file or preset
  kIo,           // unreadable file, bad image source
  kStore,        // damaged, foreign or mismatching HDF5 store
  kComm,         // MPI failure or an error raised on another rank
  kNumerical,    // non-finite input, impossible decomposition
  kData,         // the data cannot support what was asked (too few rows for k, mismatching
                 // dimensions, a subset larger than its set): the command line was fine
  kBackbone,     // weights file, network definition, inference
  kInterrupted,  // a termination signal asked the job to stop after flushing
  kScheduler,    // Slurm missing, unreachable or refusing a submission
  kInternal,     // a broken invariant: a bug in gensweep
};

// Name used in messages and in the results file ("config", "io", ...).
const char* error_kind_name(ErrorKind kind);

// Process exit code for an error kind (documented in README "Exit codes").
int exit_code_for(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

#define GENSWEEP_DEFINE_ERROR(Name, Kind)                                          \
  class Name : public Error {                                                      \
   public:                                                                         \
    explicit Name(const std::string& message) : Error(ErrorKind::Kind, message) {} \
  }

GENSWEEP_DEFINE_ERROR(UsageError, kUsage);
GENSWEEP_DEFINE_ERROR(ConfigError, kConfig);
GENSWEEP_DEFINE_ERROR(IoError, kIo);
GENSWEEP_DEFINE_ERROR(StoreError, kStore);
GENSWEEP_DEFINE_ERROR(CommError, kComm);
GENSWEEP_DEFINE_ERROR(NumericalError, kNumerical);
GENSWEEP_DEFINE_ERROR(DataError, kData);
GENSWEEP_DEFINE_ERROR(BackboneError, kBackbone);
GENSWEEP_DEFINE_ERROR(InterruptedError, kInterrupted);
GENSWEEP_DEFINE_ERROR(SchedulerError, kScheduler);
GENSWEEP_DEFINE_ERROR(InternalError, kInternal);

#undef GENSWEEP_DEFINE_ERROR

// The same error with `prefix` put before its message, keeping its kind; anything that is not a
// gensweep::Error becomes an InternalError. Used where a phase adds context ("unit 7: ...").
std::exception_ptr annotate(std::exception_ptr error, const std::string& prefix);
// The kind of an error: its ErrorKind for a gensweep::Error, kInternal for anything else.
ErrorKind kind_of(std::exception_ptr error);
std::string message_of(std::exception_ptr error);

namespace detail {
[[noreturn]] void throw_internal(const char* expr, const char* file, int line,
                                 const std::string& message);
}  // namespace detail

}  // namespace gensweep

// User-caused problems: throw ErrorType with a formatted message when cond is false.
//   GENSWEEP_CHECK(n > 0, ConfigError, "{}: batch_size must be positive, got {}", where, n);
#define GENSWEEP_CHECK(cond, ErrorType, ...)                            \
  do {                                                                  \
    if (!(cond)) throw ::gensweep::ErrorType(fmt::format(__VA_ARGS__)); \
  } while (0)

// Internal invariants: a failure is a bug in gensweep, reported with the expression and file:line.
#define GENSWEEP_ASSERT(cond, ...)                                                             \
  do {                                                                                         \
    if (!(cond))                                                                               \
      ::gensweep::detail::throw_internal(#cond, __FILE__, __LINE__, fmt::format(__VA_ARGS__)); \
  } while (0)
