// soma inspect CKPT [--config] [--json]: what a checkpoint holds.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "soma/cli/command.hpp"
#include "soma/io/checkpoint.hpp"
#include "soma/io/json.hpp"

namespace soma::cli {
namespace {

class InspectCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("inspect", "show a checkpoint's metadata, config, tensors and training state");
    sub->add_option("checkpoint", path_, "checkpoint file (.h5)")->required()->check(CLI::ExistingFile);
    sub->add_flag("--config", show_config_, "print the embedded resolved config");
    sub->add_flag("--json", json_, "one JSON object instead of text");
    return sub;
  }

  int run(const GlobalOptions&) override {
    const Checkpoint c = load_checkpoint(path_);
    int64_t n_params = 0;
    for (const auto& [k, t] : c.tensors)
      if (k.rfind("model/params/", 0) == 0) n_params += t.numel();
    auto cursor = c.ints.find("trainer/cursor");
    auto scalar = [&](const std::string& k) {
      auto it = c.scalars.find(k);
      return it == c.scalars.end() ? -1.0 : it->second;
    };
    if (json_) {
      Json j = Json::object();
      j.set("path", path_);
      j.set("format_version", c.format_version);
      Json meta = Json::object();
      for (const auto& [k, v] : c.meta)
        if (k != "config_yaml" || show_config_) meta.set(k, v);
      j.set("meta", meta);
      Json tensors = Json::object();
      for (const auto& [k, t] : c.tensors) {
        Json shape = Json::array();
        for (int i = 0; i < t.rank(); ++i) shape.push_back(t.dim(i));
        tensors.set(k, shape);
      }
      j.set("tensors", tensors);
      j.set("parameters", n_params);
      if (cursor != c.ints.end()) {
        Json tr = Json::object();
        tr.set("epoch", cursor->second[0]);
        tr.set("next_batch", cursor->second[1]);
        tr.set("step", cursor->second[2]);
        tr.set("best_epoch", cursor->second[3]);
        tr.set("best_metric", scalar("trainer/best_metric"));
        tr.set("elapsed_s", scalar("trainer/elapsed_s"));
        j.set("trainer", tr);
      }
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    std::printf("%s\n  format_version %ld\n", path_.c_str(), long(c.format_version));
    for (const auto& [k, v] : c.meta)
      if (k != "config_yaml") std::printf("  %-14s %s\n", k.c_str(), v.c_str());
    if (cursor != c.ints.end())
      std::printf("\ntraining state: epoch %ld done, next batch %ld, step %ld; best accuracy %.2f%% at "
                  "epoch %ld; %.1f s of training\n",
                  long(cursor->second[0]), long(cursor->second[1]), long(cursor->second[2]),
                  100.0 * scalar("trainer/best_metric"), long(cursor->second[3]),
                  scalar("trainer/elapsed_s"));
    std::printf("\ntensors (%ld model parameters):\n", long(n_params));
    for (const auto& [k, t] : c.tensors)
      std::printf("  /%-44s %-18s %ld\n", k.c_str(), t.shape().str().c_str(), long(t.numel()));
    // The run's metrics, when the checkpoint sits in its run directory.
    const auto jsonl = std::filesystem::path(path_).parent_path() / "metrics.jsonl";
    if (std::filesystem::exists(jsonl)) {
      std::ifstream in(jsonl);
      std::string line, last_epoch;
      int64_t epochs = 0;
      while (std::getline(in, line))
        if (line.find("\"kind\":\"epoch\"") != std::string::npos) {
          last_epoch = line;
          ++epochs;
        }
      if (epochs) std::printf("\nmetrics (%s): %ld epoch records; last:\n  %s\n", jsonl.c_str(),
                              long(epochs), last_epoch.c_str());
    }
    if (show_config_) {
      auto it = c.meta.find("config_yaml");
      if (it != c.meta.end()) std::printf("\nconfig:\n%s\n", it->second.c_str());
    }
    return 0;
  }

 private:
  std::string path_;
  bool show_config_ = false, json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_inspect_command() { return std::make_unique<InspectCommand>(); }

}  // namespace soma::cli
