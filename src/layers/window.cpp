#include "soma/layers/window.hpp"

#include "soma/core/error.hpp"

namespace soma {

int64_t check_window(const Tensor& x, const Shape& per_step, std::string_view layer_type) {
  SOMA_CHECK_AS(ShapeError, x.rank() == per_step.rank() + 2 && x.shape().drop_front(2) == per_step,
                layer_type, ": expected a window [T, N] + ", per_step.str(), ", got ",
                x.shape().str());
  return x.dim(0) * x.dim(1);
}

void check_cached(const Tensor& cache, std::string_view layer_type) {
  SOMA_CHECK(cache.defined(), layer_type,
             ": backward() called without a forward() in training mode before it");
}

}  // namespace soma
