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
