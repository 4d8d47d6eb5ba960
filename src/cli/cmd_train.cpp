// soma train CONFIG [--set k=v]... [--resume CKPT|auto | --init CKPT] [--out DIR]
//
// Data parallel: `mpirun -np N soma train CONFIG` (or srun with PMI/PMIx) runs N ranks. The CLI
// notices the launcher by its environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK; the
// library itself reads no environment), initialises MPI, hands the communicator to the Trainer
// and finalises MPI on return. With --threads 0 (the default) each rank takes its share of the
// cores (cores / ranks on this node). Rank 0 logs at the chosen level and writes train.log,
// checkpoints and metrics; the other ranks log warnings and errors only, every line tagged
// "[rank r/N]". An exception on one rank aborts the whole job (MPI_Abort), since the others
// would wait forever in their next collective.
// Signals: SIGINT, SIGTERM and SIGUSR1 mean "finish this step, write last.h5, exit 0". Under
// mpirun send SIGUSR1 to mpirun: OpenMPI forwards SIGUSR1/SIGUSR2 to every rank, while its
// SIGTERM kills the ranks after a short grace period.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "soma/cli/command.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/core/threads.hpp"
#include "soma/train/trainer.hpp"
#ifdef SOMA_HAVE_MPI
#include "soma/dist/mpi_communicator.hpp"
#endif

namespace soma::cli {
namespace {

// Set by SIGINT/SIGTERM/SIGUSR1: the trainer finishes its step, writes last.h5 and returns.
std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int sig) {
  g_stop_requested.store(true);
  // A second signal ends the process the default way.
  std::signal(sig, SIG_DFL);
}

// An integer from the environment, or -1 when unset or not a number.
int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  return *end == '\0' && x >= 0 && x < (1L << 30) ? static_cast<int>(x) : -1;
}

// Processes the MPI launcher started (-1: not started by one).
int launcher_world_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    const int n = env_int(var);
    if (n >= 1) return n;
  }
  return std::getenv("PMIX_RANK") ? 0 : -1;  // PMIx without a size variable: unknown (0)
}

// Ranks sharing this node (for the default thread count), 1 when unknown.
int launcher_local_size() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"}) {
    const int n = env_int(var);
    if (n >= 1) return n;
  }
  return 1;
}

class TrainCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("train", "train a model described by a YAML config (under mpirun: data parallel)");
    sub->add_option("config", config_, "experiment config (YAML)")->required()->check(CLI::ExistingFile);
    sub->add_option("--set", overrides_, "override a config key: --set train.optimizer.lr=3e-4 (repeatable)");
    auto* resume = sub->add_option("--resume", resume_, "resume from a checkpoint, or `auto` (newest valid one in the output dir)");
    auto* init = sub->add_option("--init", init_, "start from a checkpoint's weights (fresh optimizer)")->check(CLI::ExistingFile);
    resume->excludes(init);
    sub->add_option("--out", out_, "output directory (overrides output.dir)");
    return sub;
  }

  int run(const GlobalOptions& global) override {
    std::unique_ptr<Communicator> comm;
    const int launched = launcher_world_size();
#ifdef SOMA_HAVE_MPI
    MpiCommunicator* mpi = nullptr;
    if (launched >= 0) {
      auto m = std::make_unique<MpiCommunicator>();
      mpi = m.get();
      comm = std::move(m);
    }
#else
    SOMA_CHECK_AS(UsageError, launched <= 1, "started by an MPI launcher with ", launched,
                  " processes, but this soma was built without MPI: reconfigure with "
                  "-DSOMA_WITH_MPI=ON (needs libopenmpi-dev) and rebuild");
#endif
    const int rank = comm ? comm->rank() : 0, world = comm ? comm->size() : 1;
    if (world > 1) {
      spdlog::set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [rank {}/{}] [%^%l%$] %v", rank, world));
      if (rank != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
      if (global.threads == 0) {
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        set_num_threads(std::max(1, cores / launcher_local_size()));
      }
    }
    try {
      return train_here(comm.get());
    } catch (const std::exception& e) {
#ifdef SOMA_HAVE_MPI
      if (mpi && world > 1) {
        spdlog::error("{}", e.what());
        spdlog::error("rank {} failed: aborting all {} ranks", rank, world);
        const bool usage = dynamic_cast<const ConfigError*>(&e) || dynamic_cast<const UsageError*>(&e);
        mpi->abort_job(usage ? 2 : 1);
      }
#endif
      throw;
    }
  }

 private:
  int train_here(Communicator* comm) {
    const bool root = !comm || comm->is_root();
    std::vector<std::string> overrides = overrides_;
    if (!out_.empty()) overrides.push_back("output.dir=" + out_);
    ConfigNode root_cfg = load_config(config_, overrides);
    Experiment exp = make_experiment(root_cfg, std::filesystem::path(config_).stem().string());
    if (root) {
      std::filesystem::create_directories(exp.output.dir);
      log_to_file((std::filesystem::path(exp.output.dir) / "train.log").string());
    }
    spdlog::info("soma train {} -> {}", config_, exp.output.dir);
    spdlog::info("{}", exp.data.description);

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGUSR1, on_stop_signal);
    TrainerOptions opt;
    opt.resume = resume_;
    opt.init = init_;
    opt.interactive = stderr_is_terminal();
    opt.stop = &g_stop_requested;
    opt.comm = comm;
    const TrainResult r = train(exp, opt);

    if (r.interrupted) {
      if (root)
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
      eo.comm = comm;
      const EvalResult t = evaluate(*exp.model, exp.data.test, *exp.loss, eo);
      spdlog::info("test accuracy {:.2f}% on {} samples", 100.0 * t.accuracy, t.samples);
    }
    spdlog::info("checkpoint: {}{}", r.last_checkpoint,
                 r.best_checkpoint.empty() ? "" : " (best: " + r.best_checkpoint + ")");
    return 0;
  }

  std::string config_, resume_, init_, out_;
  std::vector<std::string> overrides_;
};

}  // namespace

std::unique_ptr<Command> make_train_command() { return std::make_unique<TrainCommand>(); }

}  // namespace soma::cli
