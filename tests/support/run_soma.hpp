// Runs the built `soma` executable for end-to-end tests and captures its output.
#pragma once

#include <string>

namespace soma::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `<build>/bin/soma <args>` from the source tree root (so relative dataset paths work).
CommandResult run_soma(const std::string& args);
// Runs any shell command the same way.
CommandResult run_shell(const std::string& command);
// A fresh, empty directory under the build tree for one test.
std::string scratch_dir(const std::string& name);

}  // namespace soma::testing
