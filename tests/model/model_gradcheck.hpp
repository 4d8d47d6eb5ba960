// Finite-difference gradient check of a whole Model (blocks expand into several layers, so they
// are checked as built graphs): L = sum r_i y_i in double, training phase, central differences
// on random coordinates of the input and of every parameter segment.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "soma/core/rng.hpp"
#include "soma/model/model.hpp"
#include "support/gradcheck.hpp"

namespace soma::testing {

struct ModelGradOptions {
  double eps = 3e-3;
  double rtol = 3e-2;
  double atol = 3e-3;
  int coords = 12;  // per tensor
  uint64_t seed = 99;
};

inline int check_model_gradients(Model& m, Tensor x, const ModelGradOptions& opt = {}) {
  RunContext ctx;  // training: batch statistics, caches
  m.reset_state();
  const Tensor y = m.forward(x, ctx);
  const Tensor r = random_tensor(y.shape(), opt.seed);
  m.params().zero_grads();
  const Tensor gx = m.backward(r, ctx);
  auto loss = [&]() {
    RunContext c;
    m.reset_state();
    const Tensor out = m.forward(x, c);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += double(out[i]) * r[i];
    return s;
  };
  Rng rng(opt.seed);
  int bad = 0;
  auto probe = [&](float* v, float analytic, const std::string& what) {
    const float saved = *v;
    *v = saved + float(opt.eps);
    const double lp = loss();
    *v = saved - float(opt.eps);
    const double lm = loss();
    *v = saved;
    const double num = (lp - lm) / (2 * opt.eps);
    if (std::fabs(num - analytic) > opt.atol + opt.rtol * std::max(std::fabs(num), std::fabs(double(analytic)))) {
      ++bad;
      INFO(what << ": analytic " << analytic << " vs numeric " << num);
      CHECK(analytic == Approx(num));
    }
  };
  for (int k = 0; k < opt.coords; ++k) {
    const int64_t i = int64_t(rng.below(uint64_t(x.numel())));
    probe(&x[i], gx[i], "input[" + std::to_string(i) + "]");
  }
  ParamStore& ps = m.params();
  for (const auto& seg : ps.params()) {
    Tensor v = ps.value(seg), g = ps.grad(seg);
    const Tensor g0 = g.clone();
    for (int k = 0; k < std::min<int64_t>(opt.coords, seg.size); ++k) {
      const int64_t i = int64_t(rng.below(uint64_t(seg.size)));
      probe(&v[i], g0[i], seg.name + "[" + std::to_string(i) + "]");
    }
  }
  return bad;
}

}  // namespace soma::testing
