// soma command-line entry point: parses arguments, dispatches to one verb, maps errors to exit
// codes (0 ok, 1 runtime failure, 2 usage or config error). Nothing else lives here.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "soma/cli/command.hpp"
#include "soma/core/error.hpp"
#include "soma/core/threads.hpp"
#include "soma/core/version.hpp"

int main(int argc, char** argv) {
  using namespace soma;
  auto logger = spdlog::stderr_color_mt("soma");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");

  CLI::App app{"soma: train and evaluate spiking neural networks on CPUs"};
  app.set_version_flag("--version", "soma " + version() + (git_sha().empty() ? "" : " (" + git_sha() + ")"));
  app.require_subcommand(1);
  cli::GlobalOptions global;
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--threads", global.threads, "OpenMP threads (0: all cores)")->check(CLI::NonNegativeNumber);

  std::vector<std::unique_ptr<cli::Command>> commands;
  commands.push_back(cli::make_train_command());
  commands.push_back(cli::make_eval_command());
  commands.push_back(cli::make_inspect_command());
  commands.push_back(cli::make_layers_command());
  commands.push_back(cli::make_trace_command());
  commands.push_back(cli::make_bench_command());
  std::vector<CLI::App*> subs;
  for (auto& c : commands) subs.push_back(c->add_to(app, global));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  spdlog::set_level(spdlog::level::from_str(global.log_level));
  try {
    set_num_threads(global.threads);
    for (size_t i = 0; i < commands.size(); ++i)
      if (subs[i]->parsed()) return commands[i]->run(global);
    return 2;
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const UsageError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const InternalError& e) {
    spdlog::critical("{} (this is a bug in soma; please report it)", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
