#include "support/run_soma.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace soma::testing {

CommandResult run_shell(const std::string& command) {
  const std::string out_file = scratch_dir("_cmd_output") + "/out.txt";
  const std::string full = "cd '" + std::string(SOMA_SOURCE_DIR) + "' && " + command + " > '" +
                           out_file + "' 2>&1";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
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
