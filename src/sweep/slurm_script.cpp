#include "soma/sweep/slurm_script.hpp"

#include <sstream>

#include "soma/core/error.hpp"

namespace soma {

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string array_job_script(const SlurmOptions& opt, const std::string& sweep_dir,
                             const std::vector<std::string>& point_names) {
  SOMA_CHECK(!point_names.empty(), "a job array needs at least one point");
  SOMA_CHECK(opt.signal_lead_s >= 0, "signal lead time must be >= 0 s, got ", opt.signal_lead_s);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# soma sweep: one array task per point (written by `soma sweep --slurm`).\n"
    << "# Submit: sbatch " << shell_quote(sweep_dir + "/sweep.sbatch") << "\n"
    << "#SBATCH --job-name=" << opt.job_name << "\n"
    << "#SBATCH --array=0-" << point_names.size() - 1;
  if (opt.max_parallel > 0) s << "%" << opt.max_parallel;
  s << "\n"
    << "#SBATCH --output=" << sweep_dir << "/slurm-%A_%a.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --signal=B:TERM@" << opt.signal_lead_s << "\n"
    << "#SBATCH --requeue\n";
  if (!opt.partition.empty()) s << "#SBATCH --partition=" << opt.partition << "\n";
  if (!opt.time.empty()) s << "#SBATCH --time=" << opt.time << "\n";
  if (opt.cpus_per_task > 0) s << "#SBATCH --cpus-per-task=" << opt.cpus_per_task << "\n";
  if (!opt.mem.empty()) s << "#SBATCH --mem=" << opt.mem << "\n";
  if (!opt.account.empty()) s << "#SBATCH --account=" << opt.account << "\n";
  for (const auto& line : opt.extra) s << "#SBATCH " << line << "\n";
  s << "set -u\n";
  if (!opt.workdir.empty()) s << "cd " << shell_quote(opt.workdir) << " || exit 1\n";
  s << "SOMA=" << shell_quote(opt.soma) << "\n"
    << "SWEEP=" << shell_quote(sweep_dir) << "\n"
    << "POINTS=(\n";
  for (const auto& p : point_names) s << "  " << shell_quote(p) << "\n";
  s << ")\n"
    << "POINT=${POINTS[$SLURM_ARRAY_TASK_ID]}\n"
    << "RUN=\"$SWEEP/$POINT\"\n"
    << "THREADS=${SLURM_CPUS_PER_TASK:-0}\n"
    << "echo \"soma sweep task $SLURM_ARRAY_TASK_ID: $POINT on $(hostname) "
       "(restart ${SLURM_RESTART_COUNT:-0})\"\n"
    << "# soma runs in the background so that this shell can pass the time-limit signal on.\n"
    << "\"$SOMA\" --threads \"$THREADS\" train \"$RUN/config.yaml\" --out \"$RUN\" --resume auto &\n"
    << "pid=$!\n"
    << "stopped=0\n"
    << "trap 'stopped=1; kill -TERM \"$pid\" 2>/dev/null' TERM\n"
    << "wait \"$pid\"; status=$?\n"
    << "# The trap makes wait return early (status > 128): wait again for soma's checkpoint.\n"
    << "if [ \"$stopped\" = 1 ]; then wait \"$pid\"; status=$?; fi\n"
    << "if [ \"$stopped\" = 1 ]; then\n"
    << "  echo \"time limit near: $POINT checkpointed, requeueing\"\n"
    << "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
    << "fi\n"
    << "exit \"$status\"\n";
  return s.str();
}

}  // namespace soma
