// Benchmark: throughput of one training step and one inference step of an Experiment, measured
// the way /work/shared/bench/torch_reference.py measures its PyTorch networks, so the two can be
// compared as a ratio (BENCHMARKS.md, bench/run_bench.py).
//
// One batch is taken from the training data (unshuffled, the first batch_size samples; for
// timing use `dataset: synthetic`). Then, for each mode:
//   infer  infer_step (train/train_step.hpp): state reset + eval-mode forward over T
//   train  compute_gradients + apply_gradients: state reset, zero grads, forward over T, loss,
//          backward through time, (clipping), optimizer step: the Trainer's own code path
// With calibrate = K > 0, K untimed training steps run first (before both modes), so that the
// batch-norm running statistics and the weights have left their initial values: an untrained
// network in eval mode is nearly silent after its first layer (BN at mean 0 / var 1), which
// flatters every activity-dependent path (spike-aware products) in the inference timing.
// One untimed eval forward then records each synaptic layer's input density (what the
// spike-aware paths see in inference).
// `warmup` untimed steps, then `repeats` timed steps (steady clock around each step); the
// figures are the median (mean of the two middle values for an even count), min and max,
// samples/s = batch / median. With max_seconds > 0 the timed loop stops early once at least
// min(3, repeats) steps ran and max_seconds passed (slow workloads). Infer runs before train,
// as in the reference.
//
// Dense FLOPs, counted as the reference's flops_per_sample: per synaptic layer (conv, linear;
// Layer::synaptic_ops_per_step MACs on its input shape) 2*MACs per step, times T;
//   forward = sum_l 2 MAC_l T
//   train   = sum_l 2 MAC_l T * (2 for the first synaptic layer, 3 for the others)
//             (forward + dW + dX; the first layer needs no dX)
// GFLOP/s = GFLOP per sample * samples/s.
// cpu_per_wall (getrusage user + system over the timed steps / wall time) shows whether the
// threads really ran: on a shared machine it drops below the thread count.
// Peak RSS: getrusage(RUSAGE_SELF).ru_maxrss in MiB (the whole process so far, as the
// reference's peak_rss_mib_so_far).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "soma/io/json.hpp"
#include "soma/train/experiment.hpp"

namespace soma {

struct BenchOptions {
  int warmup = 2;
  int repeats = 10;
  bool train = true;
  bool infer = true;
  double max_seconds = 0.0;  // > 0: stop a mode's timed loop early (see above)
  int calibrate = 0;         // untimed training steps before timing (see above)
};

// A synaptic layer's input density in the eval forward after calibration.
struct LayerDensity {
  std::string name;
  double input_density = 0.0;  // fraction of nonzero inputs
};

struct TimingStats {
  std::vector<double> times_s;  // every timed step, in order
  double median_s = 0.0, min_s = 0.0, max_s = 0.0;
  double warmup_s = 0.0;        // total of the untimed warm-up steps
  double samples_per_s = 0.0;   // batch / median_s
  double peak_rss_mib = 0.0;    // process peak after this mode
  double last_loss = 0.0;       // train only: the loss of the last step (sanity: finite)
  double cpu_per_wall = 0.0;    // process CPU seconds / wall seconds over the timed steps
                                // (about the number of busy cores; low = contended machine)
};

struct FlopCount {
  double forward = 0.0;  // FLOP per sample over T
  double train = 0.0;
};

struct BenchResult {
  std::string workload;  // config name
  int64_t batch = 0;
  int64_t time_steps = 0;
  int threads = 1;
  int64_t num_params = 0;
  FlopCount flops;
  std::optional<TimingStats> train, infer;
  double peak_rss_mib = 0.0;
  int calibrate_steps = 0;
  std::vector<LayerDensity> infer_density;  // synaptic layers, in model order
};

// Median of a non-empty list (mean of the two middle values for an even count).
double median_of(std::vector<double> v);
// The reference's dense FLOP count for `model` at T time steps (see the header comment).
FlopCount count_flops(const Model& model, int64_t time_steps);
// Peak resident set size of this process so far, MiB.
double peak_rss_mib();
// Runs the benchmark on `exp` (its model and optimizer state change: training steps update the
// weights).
BenchResult run_benchmark(Experiment& exp, const BenchOptions& opt);
// The result as one JSON object: train_samples_per_s, infer_samples_per_s (null for a mode not
// run), peak_rss_mb, threads, batch, T, workload, soma_version, git_sha, gflop figures, times.
Json bench_result_json(const BenchResult& r, const BenchOptions& opt);

}  // namespace soma
