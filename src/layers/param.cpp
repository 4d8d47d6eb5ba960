#include "soma/layers/param.hpp"

#include <cmath>

#include "soma/core/error.hpp"

namespace soma {

void apply_init(const Init& init, Tensor& t, Rng& rng) {
  const int64_t n = t.numel();
  float* p = t.data();
  switch (init.kind) {
    case Init::Kind::kConstant:
      t.fill(init.a);
      return;
    case Init::Kind::kUniform:
      for (int64_t i = 0; i < n; ++i) p[i] = rng.uniform(init.a, init.b);
      return;
    case Init::Kind::kNormal:
      for (int64_t i = 0; i < n; ++i) p[i] = init.a + init.b * rng.normal();
      return;
    case Init::Kind::kKaimingUniform: {
      SOMA_ASSERT(init.fan_in > 0);
      const double gain = std::sqrt(2.0 / (1.0 + double(init.a) * init.a));
      const float bound = static_cast<float>(gain * std::sqrt(3.0 / double(init.fan_in)));
      for (int64_t i = 0; i < n; ++i) p[i] = rng.uniform(-bound, bound);
      return;
    }
    case Init::Kind::kXavierUniform: {
      SOMA_ASSERT(init.fan_in + init.fan_out > 0);
      const float bound =
          static_cast<float>(init.b * std::sqrt(6.0 / double(init.fan_in + init.fan_out)));
      for (int64_t i = 0; i < n; ++i) p[i] = rng.uniform(-bound, bound);
      return;
    }
  }
  SOMA_ASSERT(false, "unknown init kind");
}

}  // namespace soma
