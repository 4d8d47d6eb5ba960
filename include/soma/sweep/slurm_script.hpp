// Slurm batch scripts for soma runs: the job-array script of `soma sweep --slurm` (the same
// shape as tools/slurm/sweep_array.sbatch, with the sweep's values filled in).
//
// Task i of the array runs point i of the sweep:
//   soma train DIR/<point>/config.yaml --out DIR/<point> --resume auto
// in the background of the batch shell, which traps the signal Slurm sends `signal_lead_s`
// seconds before the time limit (#SBATCH --signal=B:TERM@<lead>), passes it on to soma (soma
// finishes its step, writes last.h5 and exits 0) and then requeues the task
// (scontrol requeue <array job>_<task>; #SBATCH --requeue allows it), whose next start resumes
// from the newest valid checkpoint. Output: DIR/slurm-<array job>_<task>.out (appended across
// requeues). The script changes to `workdir` first, so relative data roots in the configs
// resolve as they did when the sweep was made.
#pragma once

#include <string>
#include <vector>

namespace soma {

struct SlurmOptions {
  std::string job_name = "soma-sweep";
  std::string partition;         // --partition (empty: the cluster default)
  std::string time;              // --time, e.g. "02:00:00" (empty: partition default)
  int cpus_per_task = 0;         // --cpus-per-task (0: not set); also soma --threads
  std::string mem;               // --mem, e.g. "8G"
  std::string account;           // --account
  int max_parallel = 0;          // --array=...%K (0: no limit)
  int signal_lead_s = 120;       // --signal=B:TERM@<lead>
  std::vector<std::string> extra;  // further #SBATCH lines, given without the prefix
  std::string soma = "soma";     // the soma executable (absolute path recommended)
  std::string workdir;           // cd here first (empty: the submission directory)
};

// The job-array script for the points (run directories under `sweep_dir`), in task order.
std::string array_job_script(const SlurmOptions& opt, const std::string& sweep_dir,
                             const std::vector<std::string>& point_names);

// Shell-quotes one word ('...' with embedded quotes escaped).
std::string shell_quote(const std::string& word);

}  // namespace soma
