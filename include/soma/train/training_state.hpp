// What a checkpoint holds of a training run, and the strict mapping to and from HDF5 paths
// (ARCHITECTURE.md section 6):
//   /meta                          format_version, soma_version, git_sha, created, config_yaml,
//                                  config_sha256, kind
//   /model/params/<layer>/<param>  every learnable tensor
//   /model/buffers/<layer>/<name>  BN running statistics and other non-learned state
//   /optimizer/<name>              optimizer state (flat, e.g. adam/m, adam/v, step)
//   /trainer/cursor                [epoch, next_batch, global_step]: where the run resumes
//   /trainer/rng/model             the in-model Rng state (dropout masks)
//   /trainer/best_metric, /trainer/best_epoch, /trainer/elapsed_s
// Loading is strict: a missing, extra or mis-shaped tensor is an error naming it.
#pragma once

#include <cstdint>
#include <string>

#include "soma/core/rng.hpp"
#include "soma/io/checkpoint.hpp"
#include "soma/model/model.hpp"
#include "soma/train/optimizer.hpp"

namespace soma {

struct TrainerCursor {
  int64_t epoch = 0;       // the epoch in progress (or next to start)
  int64_t next_batch = 0;  // first batch of `epoch` not yet trained
  int64_t step = 0;        // optimizer steps done so far
  double best_metric = -1.0;
  int64_t best_epoch = -1;
  double elapsed_s = 0.0;
};

// Fills /meta from the resolved config text.
void write_meta(Checkpoint& ckpt, const std::string& config_yaml, const std::string& kind);

void save_model_state(const Model& model, Checkpoint& ckpt);
// Copies parameters and buffers into `model`; throws IoError naming `file` and the offending key
// for missing, extra or mis-shaped tensors.
void load_model_state(Model& model, const Checkpoint& ckpt, const std::string& file);

void save_training_state(const Optimizer& opt, const TrainerCursor& cursor, const Rng& model_rng,
                         Checkpoint& ckpt);
void load_training_state(Optimizer& opt, TrainerCursor& cursor, Rng& model_rng,
                         const Checkpoint& ckpt, const std::string& file);

}  // namespace soma
