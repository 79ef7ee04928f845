#pragma once
// SIGTERM, SIGUSR1 (what Slurm sends before a time limit) and SIGINT ask the job to stop: the
// current round of work units is finished and flushed, then the run ends with InterruptedError
// (exit code 75). Running again resumes from the stores' done-maps.

namespace gensweep::pipeline {
void install_interrupt_handlers();
bool interrupt_requested();
// The signal that asked to stop (SIGUSR1: Slurm's warning before a time limit), 0 when none.
int interrupt_signal();
// For tests.
void request_interrupt();
void clear_interrupt();
}  // namespace gensweep::pipeline
