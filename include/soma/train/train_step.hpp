// One training step and one inference step, shared by the Trainer (train/trainer.hpp) and
// `soma bench` (train/benchmark.hpp) so that the benchmark times exactly what training runs.
//
// A training step is
//   compute_gradients:  model.reset_state(); ps.zero_grads(); y = model.forward(x);
//                       L = loss(y, labels), dL/dy; model.backward(dL/dy) (parameter
//                       gradients only: no gradient for the data is computed)
//   (the Trainer all-reduces the gradients here when data-parallel)
//   apply_gradients:    optional global-norm clipping g <- g * min(1, c / ||g||_2), then
//                       optimizer.step(ps, lr)
// An inference step is infer_step: model.reset_state(); y = model.forward(x) in eval mode.
// x is the batch [T, N, ...]; y [T, N, C]. StepBuffers keeps dL/dy between steps so the
// steady state allocates nothing here.
#pragma once

#include <functional>
#include <vector>

#include "soma/model/model.hpp"
#include "soma/train/loss.hpp"
#include "soma/train/optimizer.hpp"

namespace soma {

struct StepBuffers {
  Tensor y;       // the last forward's output
  Tensor grad_y;  // dL/dy, reused while its shape stays the same
};

// Forward, loss and backward of one batch in ctx's phase (normally kTrain); returns the mean loss
// (not checked for finiteness: the caller reports where it happened). With `stats`, fills one
// LayerStats per node (Model::forward). `on_node_done` is Model::backward's hook (the data-parallel
// trainer starts all-reducing a layer's gradients as soon as its backward has run).
double compute_gradients(Model& model, Loss& loss, const Tensor& x, const std::vector<int>& labels,
                         RunContext& ctx, StepBuffers& buf,
                         std::vector<LayerStats>* stats = nullptr,
                         const std::function<void(size_t)>& on_node_done = nullptr);

// Rescales the whole gradient so that its global L2 norm (accumulated in double) is at most
// max_norm.
void clip_global_norm(ParamStore& ps, float max_norm);

// Clipping (when grad_clip > 0) then one optimizer step with learning rate lr.
void apply_gradients(ParamStore& ps, Optimizer& optimizer, float lr, float grad_clip);

// Eval-mode forward of one batch after a state reset (ctx.phase is set to kEval).
const Tensor& infer_step(Model& model, const Tensor& x, RunContext& ctx, StepBuffers& buf);

}  // namespace soma
