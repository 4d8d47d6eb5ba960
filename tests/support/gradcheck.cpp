#include "support/gradcheck.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace soma::testing {

BoundLayer bind_for_test(Layer& layer, uint64_t seed) {
  BoundLayer b;
  Rng rng(seed);
  for (const auto& spec : layer.param_specs()) {
    ParamView v{spec.name, Tensor(spec.shape), Tensor(spec.shape)};
    apply_init(spec.init, v.value, rng);
    b.params.push_back(v);
  }
  for (const auto& spec : layer.buffer_specs())
    b.buffers.push_back({spec.name, Tensor::full(spec.shape, spec.init)});
  layer.bind_params(b.params);
  layer.bind_buffers(b.buffers);
  return b;
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi) {
  Tensor t = Tensor::empty(shape);
  Rng rng(seed, 99);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = rng.uniform(lo, hi);
  return t;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.numel() == b.numel());
  float m = 0.f;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

namespace {

using ForwardFn = std::function<Tensor()>;

double weighted_sum(const Tensor& y, const Tensor& r) {
  double s = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) s += double(y[i]) * double(r[i]);
  return s;
}

std::vector<int64_t> pick_coords(int64_t n, int max_coords, Rng& rng) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  if (n <= max_coords) return idx;
  for (int64_t i = 0; i < max_coords; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(max_coords);
  return idx;
}

// Compares analytic `grad` of `target` with central differences of loss().
int compare(const char* what, Tensor target, const Tensor& grad, const std::function<double()>& loss,
            const GradCheckOptions& opt, Rng& rng) {
  int failures = 0;
  for (int64_t i : pick_coords(target.numel(), opt.max_coords, rng)) {
    const float saved = target[i];
    target[i] = static_cast<float>(saved + opt.eps);
    const double lp = loss();
    target[i] = static_cast<float>(saved - opt.eps);
    const double lm = loss();
    target[i] = saved;
    const double numeric = (lp - lm) / (2.0 * opt.eps);
    const double analytic = grad[i];
    const double tol = opt.atol + opt.rtol * std::max(std::fabs(numeric), std::fabs(analytic));
    if (std::fabs(numeric - analytic) > tol) {
      ++failures;
      INFO(what << "[" << i << "]: analytic " << analytic << " vs numeric " << numeric);
      CHECK(std::fabs(numeric - analytic) <= tol);
    }
  }
  return failures;
}

int run_check(Layer& layer, const BoundLayer& bound, std::vector<Tensor> xs,
              const std::function<Tensor(const std::vector<Tensor>&, RunContext&)>& fwd,
              const std::function<std::vector<Tensor>(const Tensor&, RunContext&)>& bwd,
              const GradCheckOptions& opt) {
  Rng rng(opt.seed);
  RunContext ctx;
  ctx.phase = Phase::kTrain;
  Rng layer_rng(opt.seed, 1);
  ctx.rng = &layer_rng;

  // Analytic pass. Layer randomness (dropout) restarts from the same state for every forward.
  const Rng::State rng0 = layer_rng.state();
  layer.reset_state();
  Tensor y = fwd(xs, ctx);
  Tensor r = random_tensor(y.shape(), opt.seed + 1);
  for (const auto& p : bound.params) Tensor(p.grad).zero();
  std::vector<Tensor> gx = bwd(r, ctx);
  REQUIRE(gx.size() == xs.size());
  std::vector<Tensor> gparams;
  for (auto& p : bound.params) gparams.push_back(p.grad.clone());

  auto loss = [&]() {
    layer_rng.set_state(rng0);
    layer.reset_state();
    RunContext c = ctx;
    Tensor out = fwd(xs, c);
    // Drop what forward cached so no state builds up between probes.
    return weighted_sum(out, r);
  };

  int failures = 0;
  if (opt.check_input)
    for (size_t k = 0; k < xs.size(); ++k) {
      REQUIRE(gx[k].shape() == xs[k].shape());
      failures += compare("grad_x", xs[k], gx[k], loss, opt, rng);
    }
  if (opt.check_params)
    for (size_t k = 0; k < bound.params.size(); ++k)
      failures += compare(bound.params[k].name.c_str(), bound.params[k].value, gparams[k], loss,
                          opt, rng);
  return failures;
}

}  // namespace

int check_gradients(Layer& layer, const BoundLayer& bound, const Tensor& x,
                    const GradCheckOptions& opt) {
  return run_check(
      layer, bound, {x.clone()},
      [&](const std::vector<Tensor>& xs, RunContext& ctx) { return layer.forward(xs[0], ctx); },
      [&](const Tensor& g, RunContext& ctx) { return std::vector<Tensor>{layer.backward(g, ctx)}; },
      opt);
}

int check_gradients_multi(MergeLayer& layer, const BoundLayer& bound,
                          const std::vector<Tensor>& xs, const GradCheckOptions& opt) {
  std::vector<Tensor> copies;
  for (const auto& x : xs) copies.push_back(x.clone());
  return run_check(
      layer, bound, copies,
      [&](const std::vector<Tensor>& in, RunContext& ctx) { return layer.forward_multi(in, ctx); },
      [&](const Tensor& g, RunContext& ctx) { return layer.backward_multi(g, ctx); }, opt);
}

}  // namespace soma::testing
