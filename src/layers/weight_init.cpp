#include "soma/layers/weight_init.hpp"

#include <cmath>
#include <string>

namespace soma {

Init WeightInit::make(int64_t fan_in, int64_t fan_out) const {
  const double fi = static_cast<double>(fan_in);
  switch (kind) {
    case Kind::kTorch: {
      if (gain == 1.f) return Init::kaiming_uniform(fan_in);  // exactly the historical draws
      const float b = static_cast<float>(gain / std::sqrt(fi));
      return Init::uniform(-b, b);
    }
    case Kind::kKaimingNormal:
      return Init::normal(0.f, static_cast<float>(gain * std::sqrt(2.0 / fi)));
    case Kind::kKaimingUniform: {
      const float b = static_cast<float>(gain * std::sqrt(6.0 / fi));
      return Init::uniform(-b, b);
    }
    case Kind::kXavierUniform:
      return Init::xavier_uniform(fan_in, fan_out, gain);
  }
  return Init::uniform(0.f, 0.f);
}

WeightInit read_weight_init(const ConfigNode& config) {
  WeightInit w;
  const std::string kind = config.get_choice(
      "weight_init", {"torch", "kaiming_normal", "kaiming_uniform", "xavier_uniform"}, "torch");
  w.kind = kind == "kaiming_normal"    ? WeightInit::Kind::kKaimingNormal
           : kind == "kaiming_uniform" ? WeightInit::Kind::kKaimingUniform
           : kind == "xavier_uniform"  ? WeightInit::Kind::kXavierUniform
                                       : WeightInit::Kind::kTorch;
  w.gain = config.get_float("weight_gain", 1.f);
  config.require(w.gain > 0.f && std::isfinite(w.gain), "weight_gain", "must be > 0, got ",
                 w.gain);
  return w;
}

}  // namespace soma
