// Helpers shared by the stateless layers for whole-window tensors [T, N, ...per-step shape].
#pragma once

#include <cstdint>
#include <string_view>

#include "soma/tensor/tensor.hpp"

namespace soma {

// Checks that x is [T, N, per_step...] and returns the folded batch T*N; throws ShapeError
// naming the layer type, the expected and the actual shape otherwise.
int64_t check_window(const Tensor& x, const Shape& per_step, std::string_view layer_type);

// Throws an Error when backward() comes without a training-mode forward() before it.
void check_cached(const Tensor& cache, std::string_view layer_type);

}  // namespace soma
