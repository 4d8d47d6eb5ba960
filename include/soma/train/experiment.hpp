// Experiment: everything a resolved config describes, built and validated in one place.
//
// Top-level keys: version (1), seed (0), description (free text), data, model, train, eval,
// output. Each section is read strictly (unknown keys are errors with file:line).
//   train:  epochs (required), loss (cross_entropy), optimizer ({type: adam, lr: 1e-3}),
//           schedule ({type: constant}), grad_clip (0: off; global L2 norm), log_every (10 steps),
//           max_steps (-1: no limit; stops early, e.g. for smoke runs),
//           sync_bn (false: under data parallelism (mpirun) each rank normalises batchnorm with
//           its own shard's statistics; true: with the global batch's, as one process would)
//   eval:   split (test | val; default val when the data has a validation split, else test),
//           every (1 epoch), energy: {e_ac_pj: 0.9, e_mac_pj: 4.6}
//   output: dir (runs/<config name>), checkpoint_every (1 epoch; 0 = only last/best),
//           checkpoint_every_steps (0: off), keep (3 periodic epoch_NNN.h5 files kept)
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "soma/core/config_node.hpp"
#include "soma/data/data_bundle.hpp"
#include "soma/metrics/energy.hpp"
#include "soma/model/model.hpp"
#include "soma/train/loss.hpp"
#include "soma/train/lr_schedule.hpp"
#include "soma/train/optimizer.hpp"

namespace soma {

struct TrainSettings {
  int64_t epochs = 1;
  float grad_clip = 0.f;
  int64_t log_every = 10;
  int64_t max_steps = -1;
  bool sync_bn = false;
};

struct EvalSettings {
  std::string split = "test";
  int64_t every = 1;
  EnergyTable energy;  // pJ per accumulate / multiply-accumulate (metrics/energy.hpp)
};

struct OutputSettings {
  std::string dir;
  int64_t checkpoint_every = 1;
  int64_t checkpoint_every_steps = 0;
  int64_t keep = 3;
};

struct Experiment {
  ConfigNode config;          // the resolved root
  std::string config_yaml;    // its text, as stored in run dirs and checkpoints
  std::string config_name;    // file stem, for default output dirs
  uint64_t seed = 0;
  DataBundle data;
  std::unique_ptr<Model> model;
  std::unique_ptr<Loss> loss;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  float base_lr = 0.f;
  TrainSettings train;
  EvalSettings eval;
  OutputSettings output;
};

// Builds data, model, loss, optimizer and schedule from a loaded config.
// `config_name` names the run (default output dir runs/<config_name>).
Experiment make_experiment(const ConfigNode& root, const std::string& config_name);

}  // namespace soma
