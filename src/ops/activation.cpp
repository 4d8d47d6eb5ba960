#include "soma/ops/activation.hpp"

namespace soma {

namespace {

// One loop per activation: the lambda is inlined, no per-element switch.
template <typename F>
void map1(const float* x, float* y, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <typename F>
void map2(const float* x, const float* g, float* gx, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) gx[i] = g[i] * f(x[i]);
}

}  // namespace

void activation_forward(Activation a, const float* x, float* y, int64_t n, float s) {
  switch (a) {
    case Activation::kIdentity:
      map1(x, y, n, [](float v) { return v; });
      return;
    case Activation::kRelu:
      map1(x, y, n, [](float v) { return activation_forward(Activation::kRelu, v); });
      return;
    case Activation::kLeakyRelu:
      map1(x, y, n, [s](float v) { return activation_forward(Activation::kLeakyRelu, v, s); });
      return;
    case Activation::kSelu:
      map1(x, y, n, [](float v) { return activation_forward(Activation::kSelu, v); });
      return;
    case Activation::kSigmoid:
      map1(x, y, n, [](float v) { return activation_forward(Activation::kSigmoid, v); });
      return;
    case Activation::kTanh:
      map1(x, y, n, [](float v) { return activation_forward(Activation::kTanh, v); });
      return;
  }
}

void activation_backward(Activation a, const float* x, const float* g, float* gx, int64_t n,
                         float s) {
  switch (a) {
    case Activation::kIdentity:
      map2(x, g, gx, n, [](float) { return 1.f; });
      return;
    case Activation::kRelu:
      map2(x, g, gx, n, [](float v) { return activation_grad(Activation::kRelu, v); });
      return;
    case Activation::kLeakyRelu:
      map2(x, g, gx, n, [s](float v) { return activation_grad(Activation::kLeakyRelu, v, s); });
      return;
    case Activation::kSelu:
      map2(x, g, gx, n, [](float v) { return activation_grad(Activation::kSelu, v); });
      return;
    case Activation::kSigmoid:
      map2(x, g, gx, n, [](float v) { return activation_grad(Activation::kSigmoid, v); });
      return;
    case Activation::kTanh:
      map2(x, g, gx, n, [](float v) { return activation_grad(Activation::kTanh, v); });
      return;
  }
}

}  // namespace soma
