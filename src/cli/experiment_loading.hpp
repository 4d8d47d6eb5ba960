// Shared by eval, trace and inspect: an Experiment from a checkpoint (its embedded config) or
// from a config file (+ optional checkpoint whose weights are loaded).
#pragma once

#include <string>
#include <vector>

#include "soma/train/experiment.hpp"

namespace soma::cli {

struct LoadedExperiment {
  Experiment experiment;
  std::string checkpoint_path;  // "" when only a config was given
};

// `target` is a checkpoint (.h5) or a config; with a config, `checkpoint` (if set) supplies
// the weights. Overrides apply to whichever config is used.
LoadedExperiment load_experiment(const std::string& target, const std::string& checkpoint,
                                 const std::vector<std::string>& overrides);

bool looks_like_checkpoint(const std::string& path);

}  // namespace soma::cli
