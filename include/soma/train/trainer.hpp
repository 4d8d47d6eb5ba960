// Trainer: the epoch loop of ARCHITECTURE.md section 1.
//
// Per step: reset neuron state, forward the whole window, loss on the time-averaged output,
// backward through time, (all-reduce of the flat gradient buffer), optional global-norm clipping,
// optimizer step with the scheduled learning rate. Per epoch: evaluation, metrics, checkpoints
// (last.h5 always, best.h5 on a new best accuracy, epoch_NNN.h5 every `checkpoint_every` epochs,
// keeping the newest `keep`). Everything that affects the numbers (weights, optimizer state,
// loader cursor, every Rng state) is checkpointed, so a resumed run ends bit-identical to an
// uninterrupted one. When `stop` becomes true (SIGINT/SIGTERM in the CLI), the current step
// finishes, last.h5 is written and run() returns with `interrupted` set.
// Data parallel (comm with size() > 1, e.g. under mpirun): rank 0 alone reads the checkpoint
// to resume from and broadcasts the whole starting state (weights, buffers, optimizer state,
// cursor, Rng), so the other ranks need no access to the output dir; each rank trains on its
// shard of every global batch (drop_last, so all shards are equal); the gradient all-reduce
// starts per bucket of finished layers during backward and completes before clipping and the
// optimizer step; the loss, accuracy and stop flag are summed across ranks each step, so all
// ranks stop at the same step; before evaluation rank 0's buffers (BN running statistics) are
// broadcast; rank 0 alone writes checkpoints, metrics and config.yaml. With train.sync_bn the
// BN layers get the communicator through RunContext::comm.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "soma/dist/communicator.hpp"
#include "soma/train/evaluator.hpp"
#include "soma/train/experiment.hpp"

namespace soma {

struct TrainerOptions {
  std::string resume;           // checkpoint to resume from, or "auto" (newest valid in out dir)
  std::string init;             // checkpoint whose weights start the run (optimizer fresh)
  bool interactive = false;     // progress bar on a terminal, else plain log lines
  const std::atomic<bool>* stop = nullptr;
  Communicator* comm = nullptr; // data-parallel group; null = single process
  // Gradient values per non-blocking all-reduce when comm->size() > 1 (dist/gradient_reducer.hpp):
  // 2^16 floats = 256 KB, large enough that a message costs mostly bandwidth, small enough that
  // the first buckets leave while most of the backward pass is still to run.
  int64_t allreduce_bucket = int64_t(1) << 16;
};

struct TrainResult {
  int64_t epochs_done = 0;
  int64_t steps = 0;
  bool interrupted = false;
  EvalResult last_eval;
  double best_metric = -1.0;
  std::string last_checkpoint;
  std::string best_checkpoint;
  double seconds = 0.0;
};

TrainResult train(Experiment& exp, const TrainerOptions& opt);

// The newest loadable checkpoint in `dir` (last.h5, else the highest epoch_NNN.h5), or "".
std::string find_resume_checkpoint(const std::string& dir);

}  // namespace soma
