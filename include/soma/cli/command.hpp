// The CLI's verbs. Each verb is a Command in its own file (cmd_<verb>.cpp): it declares its
// options on a CLI11 subcommand and runs when that subcommand was given. main.cpp only parses
// and dispatches; it owns the exit-code policy (0 ok, 1 runtime failure, 2 usage or config).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace soma::cli {

// Options every verb accepts.
struct GlobalOptions {
  std::string log_level = "info";
  int threads = 0;  // 0: all cores
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to `app`; returns it.
  virtual CLI::App* add_to(CLI::App& app, GlobalOptions& global) = 0;
  virtual int run(const GlobalOptions& global) = 0;
};

std::unique_ptr<Command> make_train_command();
std::unique_ptr<Command> make_eval_command();
std::unique_ptr<Command> make_inspect_command();
std::unique_ptr<Command> make_layers_command();
std::unique_ptr<Command> make_trace_command();
std::unique_ptr<Command> make_bench_command();

// Shared helpers for verbs.
// True when stderr is a terminal (progress bars) — the only place soma asks.
bool stderr_is_terminal();
// Adds a file sink (e.g. run_dir/train.log) to the default logger.
void log_to_file(const std::string& path);

}  // namespace soma::cli
