// soma eval CONFIG|CKPT [--checkpoint CKPT] [--split test|val|train] [--report FILE.json]
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "experiment_loading.hpp"
#include "soma/cli/command.hpp"
#include "soma/io/json.hpp"
#include "soma/train/evaluator.hpp"
#include "soma/train/training_state.hpp"

namespace soma::cli {
namespace {

Json report_json(const EvalResult& r, const std::string& split, const std::string& ckpt) {
  Json j = Json::object();
  j.set("checkpoint", ckpt);
  j.set("split", split);
  j.set("samples", r.samples);
  j.set("accuracy", r.accuracy);
  j.set("loss", r.loss);
  Json conf = Json::array();
  for (const auto& row : r.confusion) {
    Json jr = Json::array();
    for (int64_t v : row) jr.push_back(v);
    conf.push_back(jr);
  }
  j.set("confusion", conf);
  Json layers = Json::array();
  for (const auto& l : r.layers) {
    Json jl = Json::object();
    jl.set("name", l.name);
    jl.set("type", l.type);
    if (l.spiking) jl.set("firing_rate", l.firing_rate);
    if (l.synaptic_ops_per_sample > 0) {
      jl.set("input", l.spike_input ? "spikes" : "analog");
      jl.set("input_density", l.input_density);
      jl.set(l.spike_input ? "acs_per_sample" : "macs_per_sample", l.synaptic_ops_per_sample);
    }
    layers.push_back(jl);
  }
  j.set("layers", layers);
  Json ops = Json::object();
  ops.set("acs_per_sample", r.acs_per_sample);
  ops.set("macs_per_sample", r.macs_per_sample);
  j.set("operations", ops);
  Json energy = Json::object();
  energy.set("e_ac_pj", r.e_ac_pj);
  energy.set("e_mac_pj", r.e_mac_pj);
  energy.set("uj_per_sample", r.energy_uj_per_sample);
  energy.set("table", "Horowitz, ISSCC 2014, 45 nm: 0.9 pJ per 32-bit float add, 4.6 pJ per multiply-add (configurable in eval.energy)");
  j.set("energy", energy);
  j.set("seconds", r.seconds);
  return j;
}

class EvalCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("eval", "evaluate a checkpoint (with its embedded config, or a given one)");
    sub->add_option("target", target_, "a checkpoint (.h5), or a config together with --checkpoint")
        ->required()->check(CLI::ExistingFile);
    sub->add_option("--checkpoint", checkpoint_, "checkpoint to evaluate when TARGET is a config")
        ->check(CLI::ExistingFile);
    sub->add_option("--split", split_, "test, val or train")->check(CLI::IsMember({"test", "val", "train"}));
    sub->add_option("--report", report_, "write a JSON report (accuracy, loss, confusion, firing rates, operations, energy)");
    sub->add_option("--set", overrides_, "override a key of the config (e.g. data.root=/data/nmnist)");
    return sub;
  }

  int run(const GlobalOptions&) override {
    LoadedExperiment le = load_experiment(target_, checkpoint_, overrides_);
    Experiment& exp = le.experiment;
    std::shared_ptr<const Dataset> data = split_ == "train" ? exp.data.train
                                          : split_ == "val" ? exp.data.val : exp.data.test;
    SOMA_CHECK_AS(UsageError, data && data->size() > 0, "the data has no '", split_, "' split");
    EvalOptions eo;
    eo.batch_size = exp.data.batch_size;
    eo.seed = exp.seed;
    eo.e_ac_pj = exp.eval.energy.e_ac_pj;
    eo.e_mac_pj = exp.eval.energy.e_mac_pj;
    const EvalResult r = evaluate(*exp.model, data, *exp.loss, eo);
    spdlog::info("{} on {}: accuracy {:.2f}% ({} samples), loss {:.4f}, {:.3f} uJ/sample estimated",
                 le.checkpoint_path, split_, 100.0 * r.accuracy, r.samples, r.loss,
                 r.energy_uj_per_sample);
    for (const auto& l : r.layers)
      if (l.spiking) spdlog::info("  {:<12} firing rate {:.4f}", l.name, l.firing_rate);
    if (!report_.empty()) {
      std::ofstream out(report_);
      SOMA_CHECK_AS(IoError, out.good(), report_, ": cannot write the report");
      out << report_json(r, split_, le.checkpoint_path).dump(2) << "\n";
      SOMA_CHECK_AS(IoError, out.good(), report_, ": write failed");
      spdlog::info("report: {}", report_);
    }
    return 0;
  }

 private:
  std::string target_, checkpoint_, report_, split_ = "test";
  std::vector<std::string> overrides_;
};

}  // namespace

std::unique_ptr<Command> make_eval_command() { return std::make_unique<EvalCommand>(); }

}  // namespace soma::cli
