#pragma once
// The subcommands of `gensweep`. Each returns the process exit code; errors are thrown and mapped
// to exit codes by main().

#include <string>
#include <vector>

#include "gensweep/dist/comm.h"

namespace gensweep::cli {

int command_run(const std::string& name, const std::vector<std::string>& args, dist::Comm& comm);
int command_validate(const std::vector<std::string>& args, dist::Comm& comm);
int command_inspect(const std::vector<std::string>& args, dist::Comm& comm);
int command_compare(const std::vector<std::string>& args, dist::Comm& comm);

// The default presets directory: $GENSWEEP_CONFIG_DIR, else configs/ next to the build tree or
// the installed share/gensweep/configs.
std::string default_presets_dir();

}  // namespace gensweep::cli
