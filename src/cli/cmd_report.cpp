// soma report RUNS_DIR [--csv FILE]: one row per run directory (e.g. the points of a sweep):
// the config keys that differ between runs, status, epochs, best/last accuracy, wall time
// (sweep/run_report.hpp). --csv also writes the table as CSV (full precision).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

#include "soma/cli/command.hpp"
#include "soma/core/error.hpp"
#include "soma/sweep/run_report.hpp"

namespace soma::cli {
namespace {

class ReportCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("report", "table of the runs in a directory (a sweep): differing config keys, accuracy, time");
    sub->add_option("runs_dir", dir_, "directory whose subdirectories are runs")->required();
    sub->add_option("--csv", csv_, "also write the table as CSV to this file");
    return sub;
  }

  int run(const GlobalOptions&) override {
    const ReportTable t = make_report(summarize_runs(dir_));
    std::cout << format_table(t);
    if (!csv_.empty()) {
      std::ofstream f(csv_);
      f << to_csv(t);
      SOMA_CHECK_AS(IoError, f.good(), csv_, ": cannot write the CSV file");
      spdlog::info("wrote {}", csv_);
    }
    return 0;
  }

 private:
  std::string dir_, csv_;
};

}  // namespace

std::unique_ptr<Command> make_report_command() { return std::make_unique<ReportCommand>(); }

}  // namespace soma::cli
