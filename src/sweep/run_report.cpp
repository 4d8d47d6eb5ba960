#include "soma/sweep/run_report.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "soma/core/error.hpp"
#include "soma/io/checkpoint.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;

void flatten(const YAML::Node& n, const std::string& path, std::map<std::string, std::string>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string k = kv.first.as<std::string>();
      flatten(kv.second, path.empty() ? k : path + "." + k, out);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) flatten(n[i], path + "[" + std::to_string(i) + "]", out);
  } else if (n.IsScalar()) {
    out[path] = n.Scalar();
  } else {
    out[path] = "null";
  }
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(decimals);
  s << v;
  return s.str();
}

std::string full(double v) {
  if (!std::isfinite(v)) return "";
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string csv_field(const std::string& f) {
  if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
  std::string out = "\"";
  for (char c : f) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

RunSummary summarize_run(const std::string& dir) {
  RunSummary r;
  r.dir = dir;
  r.name = fs::path(dir).filename().string();
  r.best_accuracy = r.last_accuracy = r.wall_s = NAN;
  const fs::path cfg = fs::path(dir) / "config.yaml";
  YAML::Node root;
  try {
    root = YAML::LoadFile(cfg.string());
  } catch (const YAML::Exception& e) {
    SOMA_CHECK_AS(IoError, false, cfg.string(), ": cannot read the run's config: ", e.what());
  }
  flatten(root, "", r.config);
  r.config.erase("output.dir");
  if (root["train"] && root["train"]["epochs"]) r.epochs_planned = root["train"]["epochs"].as<int64_t>();

  // metrics.jsonl: one JSON object per line, which YAML reads as a flow map.
  int64_t metric_epochs = 0;
  double metric_elapsed = NAN;
  std::ifstream in(fs::path(dir) / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    YAML::Node m;
    try {
      m = YAML::Load(line);
    } catch (const YAML::Exception&) {
      continue;  // a line cut by a kill
    }
    if (!m.IsMap() || !m["kind"] || m["kind"].as<std::string>() != "epoch") continue;
    for (const auto& kv : m) {
      const std::string k = kv.first.as<std::string>();
      if (k == "train_accuracy" || k.size() < 9 || k.compare(k.size() - 9, 9, "_accuracy") != 0)
        continue;
      if (kv.second.IsNull()) continue;
      const double a = kv.second.as<double>();
      r.accuracy_key = k;
      r.last_accuracy = a;
      if (!(a <= r.best_accuracy)) r.best_accuracy = a;  // also replaces NaN
    }
    if (m["epoch"] && !m["epoch"].IsNull()) metric_epochs = std::max(metric_epochs, int64_t(m["epoch"].as<double>()));
    if (m["elapsed_s"] && !m["elapsed_s"].IsNull()) metric_elapsed = m["elapsed_s"].as<double>();
  }
  r.epochs_done = metric_epochs;
  r.wall_s = metric_elapsed;
  bool progress = metric_epochs > 0;
  const fs::path last = fs::path(dir) / "last.h5";
  if (fs::exists(last)) {
    try {
      const Checkpoint c = load_checkpoint(last.string());
      auto cur = c.ints.find("trainer/cursor");
      if (cur != c.ints.end() && cur->second.size() >= 3) {
        r.epochs_done = cur->second[0];
        progress = progress || cur->second[2] > 0;
      }
      auto el = c.scalars.find("trainer/elapsed_s");
      if (el != c.scalars.end()) r.wall_s = el->second;
    } catch (const Error&) {
      // An unreadable last.h5 (a run killed while writing one): keep what metrics.jsonl says.
    }
  }
  r.status = r.epochs_planned > 0 && r.epochs_done >= r.epochs_planned ? "done"
             : progress                                                 ? "partial"
                                                                        : "not started";
  return r;
}

std::vector<RunSummary> summarize_runs(const std::string& runs_dir) {
  SOMA_CHECK_AS(IoError, fs::is_directory(runs_dir), runs_dir, ": not a directory");
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(runs_dir))
    if (e.is_directory() && fs::exists(e.path() / "config.yaml")) dirs.push_back(e.path().string());
  std::sort(dirs.begin(), dirs.end());
  SOMA_CHECK_AS(IoError, !dirs.empty(), runs_dir,
                ": holds no run directories (subdirectories with a config.yaml)");
  std::vector<RunSummary> runs;
  for (const auto& d : dirs) runs.push_back(summarize_run(d));
  return runs;
}

std::vector<std::string> differing_keys(const std::vector<RunSummary>& runs) {
  std::set<std::string> keys;
  for (const auto& r : runs)
    for (const auto& kv : r.config) keys.insert(kv.first);
  std::vector<std::string> out;
  for (const auto& k : keys) {
    std::set<std::string> values;
    size_t present = 0;
    for (const auto& r : runs) {
      auto it = r.config.find(k);
      if (it == r.config.end()) continue;
      values.insert(it->second);
      ++present;
    }
    if (values.size() > 1 || present != runs.size()) out.push_back(k);
  }
  return out;
}

ReportTable make_report(const std::vector<RunSummary>& runs) {
  ReportTable t;
  const std::vector<std::string> keys = differing_keys(runs);
  t.header.push_back("run");
  t.header.insert(t.header.end(), keys.begin(), keys.end());
  for (const char* h : {"status", "epochs", "best_acc", "last_acc", "wall_s"}) t.header.push_back(h);
  for (const auto& r : runs) {
    std::vector<std::string> row{r.name}, csv{r.name};
    for (const auto& k : keys) {
      auto it = r.config.find(k);
      const std::string v = it == r.config.end() ? "" : it->second;
      row.push_back(v.empty() ? "-" : v);
      csv.push_back(v);
    }
    const std::string epochs = std::to_string(r.epochs_done) + "/" + std::to_string(r.epochs_planned);
    row.insert(row.end(), {r.status, epochs, fixed(100.0 * r.best_accuracy, 2),
                           fixed(100.0 * r.last_accuracy, 2), fixed(r.wall_s, 1)});
    csv.insert(csv.end(), {r.status, std::to_string(r.epochs_done), full(r.best_accuracy),
                           full(r.last_accuracy), full(r.wall_s)});
    t.rows.push_back(std::move(row));
    t.csv_rows.push_back(std::move(csv));
  }
  return t;
}

std::string format_table(const ReportTable& t) {
  std::vector<size_t> w(t.header.size());
  for (size_t c = 0; c < t.header.size(); ++c) {
    w[c] = t.header[c].size();
    for (const auto& row : t.rows) w[c] = std::max(w[c], row[c].size());
  }
  std::ostringstream s;
  auto emit = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      s << row[c];
      if (c + 1 < row.size()) s << std::string(w[c] - row[c].size() + 2, ' ');
    }
    s << "\n";
  };
  emit(t.header);
  std::vector<std::string> rule;
  for (size_t c = 0; c < w.size(); ++c) rule.push_back(std::string(w[c], '-'));
  emit(rule);
  for (const auto& row : t.rows) emit(row);
  return s.str();
}

std::string to_csv(const ReportTable& t) {
  std::ostringstream s;
  auto emit = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) s << (c ? "," : "") << csv_field(row[c]);
    s << "\n";
  };
  std::vector<std::string> header = t.header;
  header[header.size() - 4] = "epochs_done";
  emit(header);
  for (const auto& row : t.csv_rows) emit(row);
  return s.str();
}

}  // namespace soma
