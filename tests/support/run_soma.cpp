#include "support/run_soma.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace soma::testing {

CommandResult run_shell(const std::string& command) {
  // One output file per call: ctest runs test processes in parallel.
  static int calls = 0;
  const auto dir = std::filesystem::path(SOMA_BINARY_DIR) / "test_scratch" / "_cmd_output";
  std::filesystem::create_directories(dir);
  const std::string out_file =
      (dir / ("out_" + std::to_string(getpid()) + "_" + std::to_string(calls++) + ".txt")).string();
  const std::string full = "cd '" + std::string(SOMA_SOURCE_DIR) + "' && " + command + " > '" +
                           out_file + "' 2>&1";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  std::filesystem::remove(out_file);
  return r;
}

CommandResult run_soma(const std::string& args) {
  return run_shell("'" + std::string(SOMA_BINARY_DIR) + "/bin/soma' " + args);
}

std::string scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::path(SOMA_BINARY_DIR) / "test_scratch" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace soma::testing
