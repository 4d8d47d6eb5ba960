// SyntheticDataset: random inputs with random labels, FOR TIMING ONLY (soma bench, bench/*.yaml).
// Nothing can be learned from it; never quote an accuracy measured on it.
//
// Sample i is a pure function of (seed, i): it draws from its own Rng(seed, i) (the Loader's
// per-sample Rng is ignored), so the same seed gives the same samples in any order or thread.
//   pattern bernoulli       x[t, ...] ~ Bernoulli(density) independently for every step and
//                           element: binary event frames (torch_reference.py: rand(...) < 0.2)
//   pattern static_uniform  one image ~ U[0, 1) per sample, repeated over all T steps (the
//                           reference's mnist-liaf input: rand(B, 1, 28, 28) repeated T times);
//                           density is not used
//   label(i) = Rng(seed ^ kLabelSalt, i).below(classes)
// Shapes: sample [T, ...shape]. Two splits come from different seeds: train (seed) and test
// (seed + 1), each of `samples` samples.
//
// YAML (data:, with dataset: synthetic; root, encoding and frames do not apply):
//   shape: [2, 34, 34]   per-step shape (required; 1 to 4 positive dims)
//   classes: 10          number of labels (>= 1)
//   density: 0.2         Bernoulli probability of a 1, in [0, 1]
//   samples: 0           samples per split; 0 = one batch (batch_size)
//   seed: 0              data seed
//   pattern: bernoulli   bernoulli | static_uniform
// Source: the input generator (make_batch) of /work/shared/bench/torch_reference.py.
#pragma once

#include <cstdint>
#include <string>

#include "soma/data/dataset.hpp"

namespace soma {

class ConfigNode;

struct SyntheticOptions {
  enum class Pattern { kBernoulli, kStaticUniform };
  Shape step_shape;  // per-step shape
  int64_t time_steps = 1;
  int classes = 10;
  float density = 0.2f;
  int64_t samples = 1;
  uint64_t seed = 0;
  Pattern pattern = Pattern::kBernoulli;
};

class SyntheticDataset : public Dataset {
 public:
  static constexpr uint64_t kLabelSalt = 0x5A1EB0C4B1A5ull;

  explicit SyntheticDataset(const SyntheticOptions& o);
  int64_t size() const override { return o_.samples; }
  Shape sample_shape() const override;
  int num_classes() const override { return o_.classes; }
  int label(int64_t i) const override;
  // `rng` is ignored: the sample depends on (seed, i) only.
  void get(int64_t i, float* out, Rng& rng) const override;
  std::string describe() const override;
  const SyntheticOptions& options() const { return o_; }

 private:
  SyntheticOptions o_;
};

// Reads the synthetic keys above from the data map (shape, classes, density, samples, seed,
// pattern); ConfigErrors name the key. samples 0 becomes batch_size.
SyntheticOptions parse_synthetic_options(const ConfigNode& data, int64_t time_steps,
                                         int64_t batch_size);

}  // namespace soma
