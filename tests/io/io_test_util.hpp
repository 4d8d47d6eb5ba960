// Helpers shared by the io tests: a fresh scratch directory per test, and running python3.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace soma::test {

// <build>/test_tmp/io/<name>, emptied.
inline std::string scratch_dir(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(SOMA_BINARY_DIR) / "test_tmp" / "io" / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline bool have_python_module(const std::string& module) {
  const std::string cmd = "/usr/bin/python3 -c 'import " + module + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Runs `script` with python3 (arguments appended); returns stdout+stderr, sets `rc`.
inline std::string run_python(const std::string& dir, const std::string& script,
                              const std::string& args, int& rc) {
  const std::string py = dir + "/script.py", out = dir + "/script.out";
  write_text(py, script);
  const std::string cmd = "/usr/bin/python3 " + py + " " + args + " >" + out + " 2>&1";
  rc = std::system(cmd.c_str());
  return read_text(out);
}

}  // namespace soma::test
