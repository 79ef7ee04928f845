#include "gensweep/pipeline/interrupt.h"

#include <csignal>
#include <initializer_list>

namespace gensweep::pipeline {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) {
  g_interrupted = 1;
  g_signal = sig;
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGTERM, SIGUSR1, SIGINT})
    sigaction(sig, &action, nullptr);
}
bool interrupt_requested() {
  return g_interrupted != 0;
}
int interrupt_signal() {
  return g_signal;
}
void request_interrupt() {
  g_interrupted = 1;
}
void clear_interrupt() {
  g_interrupted = 0;
  g_signal = 0;
}

}  // namespace gensweep::pipeline
