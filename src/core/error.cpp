#include "gensweep/core/error.h"

namespace gensweep {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kIo:
      return "io";
    case ErrorKind::kStore:
      return "store";
    case ErrorKind::kComm:
      return "comm";
    case ErrorKind::kNumerical:
      return "numerical";
    case ErrorKind::kData:
      return "data";
    case ErrorKind::kBackbone:
      return "backbone";
    case ErrorKind::kInterrupted:
      return "interrupted";
    case ErrorKind::kScheduler:
      return "scheduler";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return 2;
    case ErrorKind::kConfig:
      return 3;
    case ErrorKind::kIo:
      return 4;
    case ErrorKind::kStore:
      return 5;
    case ErrorKind::kBackbone:
      return 6;
    case ErrorKind::kNumerical:
      return 7;
    case ErrorKind::kComm:
      return 8;
    case ErrorKind::kScheduler:
      return 9;
    case ErrorKind::kData:
      return 10;
    case ErrorKind::kInterrupted:
      return 75;  // EX_TEMPFAIL: run again to resume
    case ErrorKind::kInternal:
      return 70;  // EX_SOFTWARE
  }
  return 1;
}

namespace {
template <typename F>
auto inspect(std::exception_ptr error, F&& f) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return f(e.kind(), std::string(e.what()));
  } catch (const std::exception& e) {
    return f(ErrorKind::kInternal, std::string(e.what()));
  } catch (...) {
    return f(ErrorKind::kInternal, std::string("unknown exception"));
  }
}
}  // namespace

std::exception_ptr annotate(std::exception_ptr error, const std::string& prefix) {
  return inspect(error, [&](ErrorKind kind, const std::string& message) {
    return std::make_exception_ptr(Error(kind, prefix + message));
  });
}

ErrorKind kind_of(std::exception_ptr error) {
  return inspect(error, [](ErrorKind kind, const std::string&) { return kind; });
}

std::string message_of(std::exception_ptr error) {
  return inspect(error, [](ErrorKind, const std::string& message) { return message; });
}

namespace detail {
void throw_internal(const char* expr, const char* file, int line, const std::string& message) {
  throw InternalError(
      fmt::format("internal error: {}:{}: check `{}` failed: {}", file, line, expr, message));
}
}  // namespace detail

}  // namespace gensweep
