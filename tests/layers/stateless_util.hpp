// Helpers for the stateless-layer tests: build a layer from a YAML entry through the built-in
// registry (as the model builder does) and make inputs that keep away from kinks.
#pragma once

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/core/rng.hpp"
#include "soma/layers/layer_registry.hpp"

namespace soma::testing {

inline std::unique_ptr<Layer> build_layer(const std::string& yaml, std::vector<Shape> in) {
  ConfigNode c = ConfigNode::parse(yaml, "test");
  const std::string type = c.get_string("type");
  auto layer = LayerRegistry::builtin().make(type, c, in);
  c.ensure_all_used();
  return layer;
}

// Distinct values, at least `gap` apart and away from 0 by gap/2, in random order: max and relu
// kinks stay outside +-eps of every input when gap > 2 eps.
inline Tensor distinct_tensor(const Shape& shape, uint64_t seed, float gap = 0.05f) {
  Tensor t = Tensor::empty(shape);
  std::vector<int64_t> idx(t.numel());
  std::iota(idx.begin(), idx.end(), 0);
  Rng rng(seed);
  for (int64_t i = t.numel() - 1; i > 0; --i) std::swap(idx[i], idx[rng.below(i + 1)]);
  const float mid = static_cast<float>(t.numel()) / 2.f;
  for (int64_t i = 0; i < t.numel(); ++i) t[idx[i]] = (static_cast<float>(i) - mid + 0.5f) * gap;
  return t;
}

}  // namespace soma::testing
