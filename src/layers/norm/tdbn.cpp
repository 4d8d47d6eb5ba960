#include "soma/layers/tdbn.hpp"

#include <cmath>

namespace soma {

std::unique_ptr<Layer> make_tdbn(const ConfigNode& config, const std::vector<Shape>& in) {
  SOMA_ASSERT(in.size() == 1);
  const float alpha = config.get_float("alpha", 1.f);
  config.require(std::isfinite(alpha) && alpha > 0.f, "alpha", "must be > 0, got ", alpha);
  const float vth = config.get_float("v_threshold", 1.f);
  config.require(std::isfinite(vth) && vth > 0.f, "v_threshold",
                 "must be > 0 (the neurons' threshold that scales the output), got ", vth);
  const float eps = config.get_float("eps", 1e-5f);
  config.require(eps > 0.f, "eps", "must be > 0, got ", eps);
  const float momentum = config.get_float("momentum", 0.1f);
  config.require(momentum >= 0.f && momentum <= 1.f, "momentum", "must be in [0, 1], got ",
                 momentum);
  const bool affine = config.get_bool("affine", true);
  return std::make_unique<TdBatchNormLayer>(in[0], alpha, vth, eps, momentum, affine);
}

}  // namespace soma
