// SweepPlan: a grid file -> the points of a sweep, and one run directory per point.
//
// Grid file (YAML), three forms:
//   1) a map of key paths to lists of values: the cartesian product, first key slowest
//        train.optimizer.lr: [1.0e-3, 3.0e-3]
//        data.batch_size: [16, 32]                    -> 4 points
//      (a scalar instead of a list is a single value)
//   2) a list of explicit override sets, one point each
//        - model.layers[2].tau: 2.0
//        - model.layers[2].tau: 4.0
//          train.epochs: 3
//      (block style: inside YAML's {...} flow maps a key holding '[' needs quotes)
//   3) both: {grid: <form 1>, sets: <form 2>}; every set is crossed with every grid point
//      (set outer, grid inner), e.g. model variants x learning rates.
// Key paths are those of `--set` (a.b.c, list items as layers[2]); values are YAML, given to
// the config loader as `--set key=<value in flow YAML>`.
// Point names: "<index>_<key>=<value>_..." with the index zero-padded to 3+ digits (so names
// sort in sweep order and are unique), <key> the last component of each key path, characters
// other than [A-Za-z0-9._+-] in keys and values replaced by '-', at most 100 characters.
// A run directory DIR/<name>/ holds config.yaml (the resolved config: base config + --set +
// the point's overrides + output.dir = DIR/<name>) and overrides.yaml (what made it differ);
// DIR/sweep.yaml lists the sweep (config, grid, base overrides, points) and DIR/points.txt
// the point names, one per line, in order (task i of a job array runs line i + 1).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "soma/core/config_node.hpp"

namespace soma {

struct SweepPoint {
  std::string name;
  std::vector<std::pair<std::string, std::string>> overrides;  // key path -> flow YAML value
  std::vector<std::string> override_args() const;             // "key=value" for --set
};

// The points described by a parsed grid file (named; see above).
std::vector<SweepPoint> expand_grid(const ConfigNode& grid);
std::vector<SweepPoint> load_grid(const std::string& path);

struct SweepSpec {
  std::string config;                       // base config file
  std::string grid;                         // grid file (for the manifest)
  std::vector<std::string> base_overrides;  // --set given to `soma sweep`, for every point
  std::string out_dir;                      // DIR
};

struct PreparedPoint {
  SweepPoint point;
  std::string dir;          // absolute DIR/<name>
  std::string config_path;  // dir + "/config.yaml"
  std::string config_yaml;  // its text
};

// The resolved config of every point (loaded through load_config, so a bad key path or value
// is a ConfigError naming the `--set` it came from). Writes nothing.
std::vector<PreparedPoint> resolve_sweep(const SweepSpec& spec, const std::vector<SweepPoint>& points);
// Creates DIR/<name>/{config.yaml, overrides.yaml}, DIR/sweep.yaml and DIR/points.txt.
void write_sweep(const SweepSpec& spec, const std::vector<PreparedPoint>& points);

}  // namespace soma
