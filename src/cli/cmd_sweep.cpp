// soma sweep CONFIG --grid GRID.yaml [--set k=v]... [--out DIR] [--dry-run] [--no-check]
//            [--slurm [--partition P] [--time T] [--cpus N] [--mem M] [--account A]
//                     [--max-parallel K] [--signal-lead S] [--sbatch LINE]... [--no-submit]]
//
// Expands the grid (sweep/sweep_plan.hpp) into DIR/<point>/ run directories, each with its
// resolved config.yaml. Every point's config is first built (data, model, optimizer) unless
// --no-check, so a misspelt key path fails before anything runs. Then
//   local (default): runs the points one after another, each as a normal training run in its
//     own process (`soma train DIR/<point>/config.yaml --out DIR/<point> --resume auto`), so a
//     failing point does not stop the others and a re-run of the sweep continues where it
//     stopped; SIGINT/SIGTERM are passed to the running point (it checkpoints) and end the
//     sweep. Prints the report table at the end; exit 1 if any point failed.
//   --slurm: writes DIR/sweep.sbatch (a job array, task i = point i; sweep/slurm_script.hpp)
//     and submits it with sbatch (--no-submit: only writes it).
//   --dry-run: prints the points and their overrides (and the sbatch script with --slurm);
//     writes nothing.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "soma/cli/command.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/core/error.hpp"
#include "soma/sweep/run_report.hpp"
#include "soma/sweep/slurm_script.hpp"
#include "soma/sweep/sweep_plan.hpp"
#include "soma/train/experiment.hpp"

namespace soma::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<pid_t> g_child{0};
std::atomic<bool> g_sweep_stop{false};

extern "C" void on_sweep_signal(int sig) {
  g_sweep_stop.store(true);
  const pid_t c = g_child.load();
  if (c > 0) kill(c, SIGTERM);
  std::signal(sig, SIG_DFL);
}

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("soma") : p.string();
}

// Runs argv[0] with argv; returns its exit code (128 + signal when killed).
int run_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  SOMA_CHECK(pid >= 0, "fork failed while starting ", args[0]);
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  g_child.store(pid);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  g_child.store(0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class SweepCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app, GlobalOptions&) override {
    auto* sub = app.add_subcommand("sweep", "run a config over a grid of overrides (locally or as a Slurm job array)");
    sub->add_option("config", config_, "base experiment config (YAML)")->required()->check(CLI::ExistingFile);
    sub->add_option("--grid", grid_, "grid file: key paths -> lists of values, and/or explicit override sets")
        ->required()->check(CLI::ExistingFile);
    sub->add_option("--set", overrides_, "override a key for every point (repeatable)");
    sub->add_option("--out", out_, "sweep directory (default runs/<config name>_sweep)");
    sub->add_flag("--dry-run", dry_run_, "print the points (and the sbatch script); write nothing");
    sub->add_flag("--no-check", no_check_, "skip building each point's experiment before starting");
    sub->add_flag("--slurm", slurm_, "write DIR/sweep.sbatch (a job array) and submit it with sbatch");
    sub->add_flag("--no-submit", no_submit_, "with --slurm: write the script, do not submit it");
    sub->add_option("--partition", so_.partition, "Slurm partition");
    sub->add_option("--time", so_.time, "Slurm time limit per point, e.g. 02:00:00");
    sub->add_option("--cpus", so_.cpus_per_task, "CPUs per point (--cpus-per-task; soma --threads)")->check(CLI::NonNegativeNumber);
    sub->add_option("--mem", so_.mem, "memory per point, e.g. 8G");
    sub->add_option("--account", so_.account, "Slurm account");
    sub->add_option("--max-parallel", so_.max_parallel, "at most this many points at once (--array=...%K)")->check(CLI::NonNegativeNumber);
    sub->add_option("--signal-lead", so_.signal_lead_s, "seconds before the time limit at which points checkpoint (default 120)")->check(CLI::NonNegativeNumber);
    sub->add_option("--sbatch", so_.extra, "an extra #SBATCH line, e.g. --sbatch=--qos=long (repeatable)");
    sub->add_option("--soma", soma_, "soma executable the jobs run (default: this one)");
    return sub;
  }

  int run(const GlobalOptions& global) override {
    SOMA_CHECK_AS(UsageError, slurm_ || !no_submit_, "--no-submit only makes sense with --slurm");
    SweepSpec spec;
    spec.config = config_;
    spec.grid = grid_;
    spec.base_overrides = overrides_;
    spec.out_dir = out_.empty() ? "runs/" + fs::path(config_).stem().string() + "_sweep" : out_;
    const std::vector<SweepPoint> points = load_grid(grid_);
    const std::vector<PreparedPoint> prepared = resolve_sweep(spec, points);
    const std::string dir = fs::absolute(spec.out_dir).lexically_normal().string();
    spdlog::info("sweep of {}: {} points in {}", config_, prepared.size(), dir);
    for (const auto& p : prepared) {
      std::string ov;
      for (const auto& a : p.point.override_args()) ov += " --set " + a;
      spdlog::info("  {}:{}", p.point.name, ov);
    }
    if (!no_check_) {
      for (const auto& p : prepared) {
        try {
          make_experiment(ConfigNode::parse(p.config_yaml, p.config_path), p.point.name);
        } catch (Error& e) {
          e.add_context("sweep point " + p.point.name);
          throw;
        }
      }
      spdlog::info("every point's config builds");
    }
    SlurmOptions so = so_;
    so.soma = soma_.empty() ? self_exe() : soma_;
    so.workdir = fs::current_path().string();
    so.job_name = "soma-" + fs::path(config_).stem().string();
    std::vector<std::string> names;
    for (const auto& p : prepared) names.push_back(p.point.name);
    const std::string script = slurm_ ? array_job_script(so, dir, names) : std::string();
    if (dry_run_) {
      if (slurm_) std::cout << script;
      return 0;
    }
    write_sweep(spec, prepared);
    if (slurm_) return submit(dir, script);
    return run_locally(global, dir, prepared);
  }

 private:
  int submit(const std::string& dir, const std::string& script) {
    const std::string path = dir + "/sweep.sbatch";
    {
      std::ofstream f(path);
      f << script;
      SOMA_CHECK_AS(IoError, f.good(), path, ": write failed");
    }
    fs::permissions(path, fs::perms::owner_exec, fs::perm_options::add);
    if (no_submit_) {
      spdlog::info("wrote {}; submit it with: sbatch {}", path, path);
      return 0;
    }
    const std::string cmd = "sbatch --parsable " + shell_quote(path) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    SOMA_CHECK(p, "cannot run sbatch");
    std::string out;
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    const int status = pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    SOMA_CHECK(status == 0, "sbatch failed (", out, "); the script is at ", path,
               ": submit it where Slurm runs with `sbatch ", path, "`");
    std::cout << out << std::endl;  // the job id, for scripts
    spdlog::info("submitted job array {} ({}); results: soma report {}", out, path, dir);
    return 0;
  }

  int run_locally(const GlobalOptions& global, const std::string& dir,
                  const std::vector<PreparedPoint>& prepared) {
    std::signal(SIGINT, on_sweep_signal);
    std::signal(SIGTERM, on_sweep_signal);
    const std::string exe = soma_.empty() ? self_exe() : soma_;
    int failed = 0;
    for (size_t i = 0; i < prepared.size() && !g_sweep_stop.load(); ++i) {
      const auto& p = prepared[i];
      spdlog::info("sweep point {}/{}: {}", i + 1, prepared.size(), p.point.name);
      const int rc = run_child({exe, "--threads", std::to_string(global.threads), "--log-level",
                                global.log_level, "train", p.config_path, "--out", p.dir,
                                "--resume", "auto"});
      if (rc != 0) {
        ++failed;
        spdlog::error("sweep point {} failed (exit code {}); see {}/train.log", p.point.name, rc, p.dir);
      }
    }
    if (g_sweep_stop.load()) {
      spdlog::warn("sweep stopped; run the same command again to continue");
      return 0;
    }
    std::cout << format_table(make_report(summarize_runs(dir)));
    if (failed) spdlog::error("{} of {} points failed", failed, prepared.size());
    return failed ? 1 : 0;
  }

  std::string config_, grid_, out_, soma_;
  std::vector<std::string> overrides_;
  bool dry_run_ = false, no_check_ = false, slurm_ = false, no_submit_ = false;
  SlurmOptions so_;
};

}  // namespace

std::unique_ptr<Command> make_sweep_command() { return std::make_unique<SweepCommand>(); }

}  // namespace soma::cli
