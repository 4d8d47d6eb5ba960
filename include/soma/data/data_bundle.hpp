// make_data: the `data:` section of a config -> train / validation / test datasets.
//
// YAML (data:, every key validated; unknown keys are ConfigErrors with file:line):
//   dataset: nmnist            # required: mnist | fashion_mnist | digits | nmnist | synthetic
//                              #   (synthetic: random inputs for timing only, keys in
//                              #   datasets/synthetic_dataset.hpp; never for accuracy)
//   root: datasets/nmnist_small  # folder (relative to the current directory); defaults:
//                              #   mnist datasets/mnist, fashion_mnist /usr/share/datasets/fashion-mnist,
//                              #   digits datasets/sklearn_digits (folder or the .csv.gz), nmnist
//                              #   datasets/nmnist_small
//   time_steps: 16             # required: T, the length of every sample
//   batch_size: 32             # global batch size
//   validation_fraction: 0.0   # in [0, 1): held out of the training pool, class-stratified
//   split_seed: 0              # seed of the validation split and of the *_limit orders
//   train_limit: 0             # > 0: keep the first K of a seeded class-balanced order of the
//                              #   training pool (before the validation split); 0 = all
//   test_limit: 0              # the same for the test set
//   encoding: {type: rate, gain: 1.0}   # static images only (mnist, fashion_mnist, digits)
//   frames: {split_by: time, mode: count}  # event datasets only (nmnist)
//   prefetch: 2                # batches loaded ahead by the Loader
// Splits: mnist / fashion_mnist / nmnist use their official train/test files. digits has no
// official split: a class-stratified split with seed 0 holds out 397 of 1797 (22%) as test,
// leaving 1400 for training (the sanity-baseline split of datasets/README.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "soma/data/dataset.hpp"
#include "soma/tensor/shape.hpp"

namespace soma {

class ConfigNode;

struct DataBundle {
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> val;  // nullptr when validation_fraction is 0
  std::shared_ptr<const Dataset> test;
  int64_t batch_size = 32;
  int prefetch = 2;
  Shape sample_shape;  // [T, ...per-step]
  int num_classes = 0;
  std::string description;  // one line per split, for the log
};

// Reads and validates every key of `data` (calls ensure_all_used() on it and its sub-maps),
// then loads the files. Config mistakes -> ConfigError naming file:line and the key; missing or
// corrupt files -> IoError naming the resolved path.
DataBundle make_data(const ConfigNode& data);

constexpr int64_t kDigitsTestCount = 397;
constexpr uint64_t kDigitsSplitSeed = 0;

}  // namespace soma
