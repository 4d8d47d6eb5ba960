#include "experiment_loading.hpp"

#include <filesystem>
#include <fstream>

#include "soma/core/config_loader.hpp"
#include "soma/io/checkpoint.hpp"
#include "soma/train/training_state.hpp"

namespace soma::cli {

bool looks_like_checkpoint(const std::string& path) {
  // HDF5 files start with the 8-byte signature \x89HDF\r\n\x1a\n.
  std::ifstream f(path, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f.gcount() == 8 && std::string(sig, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

LoadedExperiment load_experiment(const std::string& target, const std::string& checkpoint,
                                 const std::vector<std::string>& overrides) {
  LoadedExperiment le;
  ConfigNode root;
  Checkpoint ckpt;
  if (looks_like_checkpoint(target)) {
    SOMA_CHECK_AS(UsageError, checkpoint.empty(), "give either a checkpoint, or a config with --checkpoint");
    le.checkpoint_path = target;
    ckpt = load_checkpoint(target);
    auto it = ckpt.meta.find("config_yaml");
    SOMA_CHECK_AS(IoError, it != ckpt.meta.end(), target, ": /meta has no config_yaml attribute");
    root = ConfigNode::parse(it->second, target + ":/meta/config_yaml");
    apply_overrides(root, overrides);
  } else {
    root = load_config(target, overrides);
    le.checkpoint_path = checkpoint;
    if (!checkpoint.empty()) ckpt = load_checkpoint(checkpoint);
  }
  const std::string name = std::filesystem::path(target).stem().string();
  le.experiment = make_experiment(root, name);
  if (!le.checkpoint_path.empty())
    load_model_state(*le.experiment.model, ckpt, le.checkpoint_path);
  return le;
}

}  // namespace soma::cli
