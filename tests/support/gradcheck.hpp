// Finite-difference gradient checks for layers (the test habit of STYLE.md section 12).
//
// The scalar loss is L = sum_i r_i * y_i with fixed random weights r, accumulated in double, so
// dL/dy = r is what backward receives. Each checked coordinate (of the input and of every
// parameter) is perturbed by +-eps and (L+ - L-) / (2 eps) is compared with the analytic
// gradient: |a - n| <= atol + rtol * max(|a|, |n|). Neurons are checked with spike_fn: primitive
// so the whole BPTT path is smooth. Each forward starts from reset_state().
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "soma/layers/layer.hpp"

namespace soma::testing {

struct GradCheckOptions {
  double eps = 1e-2;
  double rtol = 2e-2;
  double atol = 2e-3;
  int max_coords = 48;       // random coordinates per tensor (all when smaller)
  uint64_t seed = 1701;
  bool check_input = true;
  bool check_params = true;
};

// Owns value/grad storage for a layer's params and buffers (what ParamStore does in a model).
struct BoundLayer {
  std::vector<ParamView> params;
  std::vector<BufferView> buffers;
};
// Allocates and initialises (by the specs' initialisers, seeded) and binds params and buffers.
BoundLayer bind_for_test(Layer& layer, uint64_t seed = 7);

// A random input tensor: uniform in [lo, hi).
Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f);

// Checks gradients of a single-input layer for input x ([T, N, ...]); params must be bound.
// Returns the number of coordinates that failed (also reported through Catch2 CHECKs).
int check_gradients(Layer& layer, const BoundLayer& bound, const Tensor& x,
                    const GradCheckOptions& opt = {});

// The same for a merge layer with several inputs.
int check_gradients_multi(MergeLayer& layer, const BoundLayer& bound,
                          const std::vector<Tensor>& xs, const GradCheckOptions& opt = {});

// Maximum absolute difference of two tensors of equal size.
float max_abs_diff(const Tensor& a, const Tensor& b);

}  // namespace soma::testing
