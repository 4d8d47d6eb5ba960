// The `sparse:` key of the layers with spike-aware products (linear, conv2d).
//
//   auto    measure the input's density every forward and take the spike-aware path below the
//           layer's threshold (ops/sparse_linear.hpp, ops/sparse_conv2d.hpp)
//   always  spike-aware forward and weight gradient whatever the density
//   never   the dense GEMM path
#pragma once

#include "soma/core/config_node.hpp"

namespace soma {

enum class SparseMode { kAuto, kAlways, kNever };

// Reads `sparse` (default auto) of a layer's config.
inline SparseMode read_sparse_mode(const ConfigNode& config) {
  const std::string s = config.get_choice("sparse", {"auto", "always", "never"}, "auto");
  return s == "always" ? SparseMode::kAlways : s == "never" ? SparseMode::kNever : SparseMode::kAuto;
}

}  // namespace soma
