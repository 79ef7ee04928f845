#include "gensweep/pipeline/interrupt.h"

#include <csignal>
#include <initializer_list>

namespace gensweep::pipeline {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) {
  g_interrupted = 1;
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
void request_interrupt() {
  g_interrupted = 1;
}
void clear_interrupt() {
  g_interrupted = 0;
}

}  // namespace gensweep::pipeline
