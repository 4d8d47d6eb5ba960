#include "soma/train/train_step.hpp"

#include <cmath>

namespace soma {

double compute_gradients(Model& model, Loss& loss, const Tensor& x, const std::vector<int>& labels,
                         RunContext& ctx, StepBuffers& buf, std::vector<LayerStats>* stats,
                         const std::function<void(size_t)>& on_node_done) {
  model.reset_state();
  model.params().zero_grads();
  buf.y = model.forward(x, ctx, stats);
  if (!buf.grad_y.defined() || buf.grad_y.shape() != buf.y.shape())
    buf.grad_y = Tensor::empty(buf.y.shape());
  const double l = loss.forward_backward(buf.y, labels, &buf.grad_y);
  // Training needs parameter gradients only: no layer computes a gradient for the data.
  const bool input_grad = ctx.model_input_grad;
  ctx.model_input_grad = false;
  model.backward(buf.grad_y, ctx, on_node_done);
  ctx.model_input_grad = input_grad;
  return l;
}

void clip_global_norm(ParamStore& ps, float max_norm) {
  const float* g = ps.grads();
  double sq = 0.0;
  for (int64_t i = 0; i < ps.num_params(); ++i) sq += double(g[i]) * g[i];
  const double norm = std::sqrt(sq);
  if (norm <= max_norm) return;
  const float scale = static_cast<float>(max_norm / (norm + 1e-12));
  float* gw = ps.grads();
  for (int64_t i = 0; i < ps.num_params(); ++i) gw[i] *= scale;
}

void apply_gradients(ParamStore& ps, Optimizer& optimizer, float lr, float grad_clip) {
  if (grad_clip > 0.f) clip_global_norm(ps, grad_clip);
  optimizer.step(ps, lr);
}

const Tensor& infer_step(Model& model, const Tensor& x, RunContext& ctx, StepBuffers& buf) {
  ctx.phase = Phase::kEval;
  const bool keep = ctx.keep_for_backward;
  ctx.keep_for_backward = false;  // inference: no layer keeps anything for a backward
  model.reset_state();
  buf.y = model.forward(x, ctx);
  ctx.keep_for_backward = keep;
  return buf.y;
}

}  // namespace soma
