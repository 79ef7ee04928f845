#pragma once
// A distributed phase: local work that may fail on some ranks, followed by agreement, so that no
// rank is left waiting in the next collective while another unwinds. The one way gensweep writes
//
//   try { work(); } catch (...) { error = std::current_exception(); }  comm.agree(error);
//
// Errors travel as kinds (core/error.h): after a multi-rank failure every rank throws an Error of
// the kind of the lowest failing rank's error; code that must tell causes apart tests
// `Error::kind()`, never the message text or the C++ type.

#include <functional>
#include <string>

#include "gensweep/dist/comm.h"

namespace gensweep::dist {

// Runs `work` on this rank, then agrees (collective: every rank of `comm` must call it). When
// `work` threw on any rank, every rank throws: alone, the original exception (its C++ type kept)
// or, with `context`, the same kind with `context` put before the message; with several ranks, the
// lowest failing rank's kind with every failing rank's (annotated) message.
void run_phase(const Comm& comm, const std::function<void()>& work,
               const std::string& context = {});

}  // namespace gensweep::dist
