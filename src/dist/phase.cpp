#include "gensweep/dist/phase.h"

#include "gensweep/core/error.h"

namespace gensweep::dist {

void run_phase(const Comm& comm, const std::function<void()>& work, const std::string& context) {
  std::exception_ptr error;
  try {
    work();
  } catch (...) {
    error = std::current_exception();
    if (!context.empty()) error = annotate(error, context);
  }
  comm.agree(error);
}

}  // namespace gensweep::dist
