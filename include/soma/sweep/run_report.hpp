// RunReport: a table of the runs of a sweep (or any folder of run directories).
//
// A run directory is one holding config.yaml (the trainer writes the resolved config there;
// `soma sweep` does before any run starts). Per run:
//   config      the resolved config flattened to key paths ("train.optimizer.lr",
//               "model.layers[2].tau") with their YAML scalar text; output.dir is left out
//   epochs      epochs planned (train.epochs) and done (last.h5: /trainer/cursor epoch; else the
//               last "epoch" line of metrics.jsonl)
//   accuracy    best and last evaluation accuracy: the <split>_accuracy of metrics.jsonl's
//               "epoch" lines (val or test), NaN when none was written
//   wall time   last.h5 /trainer/elapsed_s (kept across resumes); else the last elapsed_s
//   status      done (epochs done >= planned), partial (some progress), not started
// The table: run | each key whose value differs between runs (sorted) | status | epochs |
// best_acc | last_acc | wall_s; accuracies in percent with 2 decimals, wall time in seconds
// with 1 decimal; CSV has the same columns (RFC 4180 quoting) with full-precision numbers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace soma {

struct RunSummary {
  std::string name;  // directory name
  std::string dir;
  std::map<std::string, std::string> config;  // flattened, without output.dir
  int64_t epochs_planned = 0;
  int64_t epochs_done = 0;
  double best_accuracy = 0.0;  // NaN: no evaluation yet
  double last_accuracy = 0.0;
  std::string accuracy_key;    // e.g. "test_accuracy"
  double wall_s = 0.0;         // NaN: unknown
  std::string status;
};

RunSummary summarize_run(const std::string& dir);
// Every subdirectory of runs_dir with a config.yaml, sorted by name. Throws IoError when
// runs_dir is missing or holds no run.
std::vector<RunSummary> summarize_runs(const std::string& runs_dir);

// Key paths whose values differ between runs (a key missing from some runs differs too).
std::vector<std::string> differing_keys(const std::vector<RunSummary>& runs);

struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;      // formatted for the terminal
  std::vector<std::vector<std::string>> csv_rows;  // full precision
};

ReportTable make_report(const std::vector<RunSummary>& runs);
std::string format_table(const ReportTable& t);  // aligned columns, header underlined
std::string to_csv(const ReportTable& t);

}  // namespace soma
