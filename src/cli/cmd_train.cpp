// soma train CONFIG [--set k=v]... [--resume CKPT|auto | --init CKPT] [--out DIR]
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <filesystem>

#include "soma/cli/command.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/train/trainer.hpp"

namespace soma::cli {
namespace {

// Set by SIGINT/SIGTERM: the trainer finishes its step, writes last.h5 and returns.
std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int sig) {
  g_stop_requested.store(true);
  // A second signal ends the process the default way.
  std::signal(sig, SIG_DFL);
}

class TrainCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("train", "train a model described by a YAML config");
    sub->add_option("config", config_, "experiment config (YAML)")->required()->check(CLI::ExistingFile);
    sub->add_option("--set", overrides_, "override a config key: --set train.optimizer.lr=3e-4 (repeatable)");
    auto* resume = sub->add_option("--resume", resume_, "resume from a checkpoint, or `auto` (newest valid one in the output dir)");
    auto* init = sub->add_option("--init", init_, "start from a checkpoint's weights (fresh optimizer)")->check(CLI::ExistingFile);
    resume->excludes(init);
    sub->add_option("--out", out_, "output directory (overrides output.dir)");
    return sub;
  }

  int run(const GlobalOptions&) override {
    std::vector<std::string> overrides = overrides_;
    if (!out_.empty()) overrides.push_back("output.dir=" + out_);
    ConfigNode root = load_config(config_, overrides);
    Experiment exp = make_experiment(root, std::filesystem::path(config_).stem().string());
    std::filesystem::create_directories(exp.output.dir);
    log_to_file((std::filesystem::path(exp.output.dir) / "train.log").string());
    spdlog::info("soma train {} -> {}", config_, exp.output.dir);
    spdlog::info("{}", exp.data.description);

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    TrainerOptions opt;
    opt.resume = resume_;
    opt.init = init_;
    opt.interactive = stderr_is_terminal();
    opt.stop = &g_stop_requested;
    const TrainResult r = train(exp, opt);

    if (r.interrupted) {
      spdlog::warn("stopped after step {}; resume with: soma train {} --resume {}", r.steps,
                   config_, r.last_checkpoint);
      return 0;
    }
    if (r.last_eval.samples > 0)
      spdlog::info("done in {:.1f} s: {} accuracy {:.2f}% on {} samples (best {:.2f}%)", r.seconds,
                   exp.eval.split, 100.0 * r.last_eval.accuracy, r.last_eval.samples,
                   100.0 * r.best_metric);
    if (exp.eval.split != "test" && exp.data.test && exp.data.test->size() > 0) {
      EvalOptions eo;
      eo.batch_size = exp.data.batch_size;
      eo.seed = exp.seed;
      const EvalResult t = evaluate(*exp.model, exp.data.test, *exp.loss, eo);
      spdlog::info("test accuracy {:.2f}% on {} samples", 100.0 * t.accuracy, t.samples);
    }
    spdlog::info("checkpoint: {}{}", r.last_checkpoint,
                 r.best_checkpoint.empty() ? "" : " (best: " + r.best_checkpoint + ")");
    return 0;
  }

 private:
  std::string config_, resume_, init_, out_;
  std::vector<std::string> overrides_;
};

}  // namespace

std::unique_ptr<Command> make_train_command() { return std::make_unique<TrainCommand>(); }

}  // namespace soma::cli
