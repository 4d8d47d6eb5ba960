// soma bench CONFIG [--threads N] [--json] [--warmup K] [--repeats R] [--mode train|infer|both]
//                   [--max-seconds S] [--calibrate K] [--set k=v]...
// Times training steps and inference steps of the configured model on one batch of its training
// data (train/benchmark.hpp: the Trainer's own step; median of R after K warm-up steps) and
// prints samples/s, GFLOP/s and the peak RSS; --json prints one JSON object on stdout instead.
// bench/*.yaml are the reference workloads (dataset: synthetic, timing only).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "soma/cli/command.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/core/threads.hpp"
#include "soma/core/version.hpp"
#include "soma/train/benchmark.hpp"

namespace soma::cli {
namespace {

class BenchCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("bench", "time training and inference steps of a config (samples/s)");
    sub->add_option("config", config_, "experiment config (YAML), e.g. bench/nmnist-mlp.yaml")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_option("--threads", threads_, "OpenMP threads (0: all cores; default: the global --threads)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", json_, "print one JSON object on stdout");
    sub->add_option("--warmup", opt_.warmup, "untimed steps per mode (default 2)")->check(CLI::NonNegativeNumber);
    sub->add_option("--repeats", opt_.repeats, "timed steps per mode (default 10)")->check(CLI::PositiveNumber);
    sub->add_option("--mode", mode_, "train, infer or both (default both)")
        ->check(CLI::IsMember({"train", "infer", "both"}));
    sub->add_option("--max-seconds", opt_.max_seconds,
                    "stop a mode's timed steps after this many seconds (at least 3 steps; 0: off)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--calibrate", opt_.calibrate,
                    "untimed training steps before timing, so that inference sees trained batch-norm "
                    "statistics and realistic spike activity (default 0)")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--set", overrides_, "override a config key: --set data.batch_size=8 (repeatable)");
    return sub;
  }

  int run(const GlobalOptions&) override {
    if (threads_ >= 0) set_num_threads(threads_);
    opt_.train = mode_ != "infer";
    opt_.infer = mode_ != "train";
    ConfigNode root = load_config(config_, overrides_);
    Experiment exp = make_experiment(root, std::filesystem::path(config_).stem().string());
    spdlog::info("soma bench {}: {} threads, {}", config_, num_threads(), exp.data.description);
    const BenchResult r = run_benchmark(exp, opt_);
    if (json_) {
      Json j = bench_result_json(r, opt_);
      j.set("config", config_);
      j.set("mode", mode_);
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("soma %s%s  bench %s  threads %d  batch %ld  T %ld  params %ld\n", version().c_str(),
                git_sha().empty() ? "" : (" (" + git_sha() + ")").c_str(), r.workload.c_str(),
                r.threads, long(r.batch), long(r.time_steps), long(r.num_params));
    std::printf("dense GFLOP/sample: forward %.4f, train %.4f (2*MACs over T; train 3x, first layer 2x)\n",
                r.flops.forward / 1e9, r.flops.train / 1e9);
    auto line = [&](const char* name, const TimingStats& s, double flop) {
      std::printf("%-6s %10.2f samples/s  median %9.2f ms  min %9.2f  max %9.2f  (%zu steps)  %7.2f GFLOP/s"
                  "  cpu/wall %.2f\n",
                  name, s.samples_per_s, 1e3 * s.median_s, 1e3 * s.min_s, 1e3 * s.max_s,
                  s.times_s.size(), flop / 1e9 * s.samples_per_s, s.cpu_per_wall);
    };
    if (r.calibrate_steps > 0) std::printf("calibrated: %d training steps before timing\n", r.calibrate_steps);
    if (!r.infer_density.empty()) {
      std::printf("inference input density:");
      for (const LayerDensity& d : r.infer_density) std::printf(" %s %.3f", d.name.c_str(), d.input_density);
      std::printf("\n");
    }
    if (r.infer) line("infer", *r.infer, r.flops.forward);
    if (r.train) line("train", *r.train, r.flops.train);
    std::printf("peak RSS %.1f MiB\n", r.peak_rss_mib);
    return 0;
  }

 private:
  std::string config_, mode_ = "both";
  int threads_ = -1;
  bool json_ = false;
  BenchOptions opt_;
  std::vector<std::string> overrides_;
};

}  // namespace

std::unique_ptr<Command> make_bench_command() { return std::make_unique<BenchCommand>(); }

}  // namespace soma::cli
