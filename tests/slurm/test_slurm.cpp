// The Slurm path on a real (one-machine) Slurm cluster: tests/slurm/run_slurm_sweep.sh starts
// munged + slurmctld + slurmd, submits `soma sweep --slurm` job arrays, exercises the
// time-limit signal -> checkpoint -> requeue -> resume cycle, and stops the daemons by their
// pid files. Needs root (skipped with a message otherwise); installs slurm-wlm and munge with
// apt-get when they are missing. About 20 s.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "soma/io/checkpoint.hpp"
#include "support/run_soma.hpp"

using namespace soma;
using namespace soma::testing;
namespace fs = std::filesystem;

TEST_CASE("a two-task array sweep runs on a local Slurm cluster, and a time-limited task requeues and resumes", "[slurm]") {
  const std::string work = std::string(SOMA_BINARY_DIR) + "/test_scratch/slurm_sweep";
  const CommandResult r = run_shell("bash tests/slurm/run_slurm_sweep.sh '" +
                                    std::string(SOMA_BINARY_DIR) + "/bin/soma' '" +
                                    std::string(SOMA_SOURCE_DIR) + "' '" + work + "' " +
#ifdef SOMA_HAVE_MPI
                                    "1"
#else
                                    "0"
#endif
  );
  if (r.exit_code == 77) {
    WARN(r.output);
    return;
  }
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("[slurm-test] PASS") != std::string::npos);
  // Both array tasks trained their point for one epoch.
  for (const char* p : {"/sw/000_lr=0.003/last.h5", "/sw/001_lr=0.01/last.h5"}) {
    const Checkpoint c = load_checkpoint(work + p);
    CHECK(c.ints.at("trainer/cursor")[0] == 1);
  }
  std::ifstream csv(work + "/report.csv");
  std::stringstream ss;
  ss << csv.rdbuf();
  CHECK(ss.str().find("\n000_lr=0.003,0.003,done,1,") != std::string::npos);
  CHECK(ss.str().find("\n001_lr=0.01,0.01,done,1,") != std::string::npos);
  // The interrupted task finished all 60 epochs after its requeue.
  const Checkpoint c = load_checkpoint(work + "/long/000_seed=3/last.h5");
  CHECK(c.ints.at("trainer/cursor")[0] == 60);
  // The templates ran too (tools/slurm/train.sbatch, and train_mpi.sbatch with MPI).
  CHECK(load_checkpoint(work + "/single/last.h5").ints.at("trainer/cursor")[0] == 1);
#ifdef SOMA_HAVE_MPI
  CHECK(load_checkpoint(work + "/mpi/last.h5").ints.at("trainer/cursor")[0] == 1);
#endif
  // Nothing left running: the pid files are gone and their processes too.
  for (const char* d : {"munged", "slurmctld", "slurmd"})
    CHECK_FALSE(fs::exists(work + "/cluster/" + d + ".pid"));
  // (Anchored, so the pattern does not match the shell running pgrep.)
  CHECK(run_shell("pgrep -f '^/usr/sbin/(munged|slurmctld|slurmd) .*" + work + "/cluster/'").exit_code == 1);
}
