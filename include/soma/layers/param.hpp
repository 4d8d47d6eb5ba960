// Parameters and buffers that a layer declares; ParamStore (model/) owns their memory.
//
// A layer declares ParamSpecs (learnable, with gradient) and BufferSpecs (state that is saved
// in checkpoints but not learned, e.g. BN running statistics). The ParamStore lays all of them
// out in one flat value buffer, one flat gradient buffer and one flat buffer store, and hands
// each layer views in declaration order: optimizers loop one array, MPI reduces one array, and a
// checkpoint writes named views /model/params/<layer>/<param>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

// How a parameter is initialised. fan_in/fan_out are filled in by the layer.
struct Init {
  enum class Kind { kConstant, kUniform, kNormal, kKaimingUniform, kXavierUniform };
  Kind kind = Kind::kConstant;
  float a = 0.f;  // constant value | uniform low | normal mean | kaiming: negative slope
  float b = 0.f;  // uniform high | normal std | xavier: gain
  int64_t fan_in = 1;
  int64_t fan_out = 1;

  static Init constant(float v) { return {Kind::kConstant, v, 0.f}; }
  static Init uniform(float lo, float hi) { return {Kind::kUniform, lo, hi}; }
  static Init normal(float mean, float std) { return {Kind::kNormal, mean, std}; }
  // PyTorch's default for conv/linear weights: kaiming_uniform(a = sqrt(5)), i.e.
  // U(-bound, bound) with bound = sqrt(6 / ((1 + a^2) fan_in)) = 1 / sqrt(fan_in).
  static Init kaiming_uniform(int64_t fan_in, float a = 2.2360679775f) {
    return {Kind::kKaimingUniform, a, 0.f, fan_in, 1};
  }
  // U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).
  static Init xavier_uniform(int64_t fan_in, int64_t fan_out, float gain = 1.f) {
    return {Kind::kXavierUniform, 0.f, gain, fan_in, fan_out};
  }
};

// Fills `t` according to `init`, drawing from `rng`.
void apply_init(const Init& init, Tensor& t, Rng& rng);

struct ParamSpec {
  std::string name;  // "weight", "bias", "w" ...
  Shape shape;
  Init init;
  bool weight_decay = true;  // false for BN scales/shifts, thresholds, time constants
};

struct ParamView {
  std::string name;
  Tensor value;
  Tensor grad;  // layers ADD into it; the trainer zeroes it
};

struct BufferSpec {
  std::string name;  // "running_mean", "running_var"
  Shape shape;
  float init = 0.f;
};

struct BufferView {
  std::string name;
  Tensor value;
};

}  // namespace soma
