// The one interface every layer implements (ARCHITECTURE.md section 4).
//
// A layer processes a whole time window at once: x is time-major [T, N, ...]. Stateless layers
// (linear, conv, pool, BN) fold [T*N, ...] and run one big kernel; neuron layers scan over T
// inside one call. Shapes in the interface are per-step shapes (without T and N): [C, H, W] or
// [F]; output_shape() is called at build time so shape errors point at the config.
//
// forward() keeps exactly what backward() needs, in training mode only; backward() consumes it,
// returns grad_x and ADDS parameter gradients into the bound gradient views (the trainer zeroes
// them before each step).
//
// Activation checkpointing (model.recompute, docs/architecture.md "Memory"): a layer whose
// recomputable() is true honours two RunContext flags in training. keep_for_backward == false:
// forward() computes its output and its side effects (batch norm's running statistics) but
// keeps nothing for backward. recomputing == true: the model re-runs forward() on the same input
// right before backward(); the layer keeps what backward needs and repeats no side effect
// (running statistics are not updated twice, collectives are not repeated), and the output and
// everything kept are bit-identical to those of a normal training forward.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/layers/param.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

class Communicator;

enum class Phase { kTrain, kEval };

// Everything a forward/backward pass may depend on besides its input; passed explicitly.
struct RunContext {
  Phase phase = Phase::kTrain;
  Rng* rng = nullptr;            // dropout masks and other in-model randomness
  bool record_state = false;     // neurons keep their membrane trace for `soma trace`
  // Data-parallel group for layers whose training statistics span all ranks (batchnorm with
  // train.sync_bn); null: each process normalises with the statistics of its own shard.
  Communicator* comm = nullptr;
  // Activation checkpointing (set by the model for nodes marked for recompute; see above).
  // false: a training forward that keeps nothing for backward; in eval mode, pure inference
  // (no backward through the eval map follows: batch norm drops its input at once).
  bool keep_for_backward = true;
  bool recomputing = false;       // the second forward of a recomputed node: no side effects
  // With recomputing: nobody reads the output (the last node of a recomputed run); a layer may
  // skip it and return an empty tensor (batch norm does: one activation-sized buffer less).
  bool discard_output = false;
  // Input gradients. model_input_grad: Model::backward must return dL/dx of the model input
  // (gradient checks, input attributions); the trainer clears it, and then no layer computes a
  // gradient that only flows back to the data. need_input_grad: set by the model for each
  // layer's backward(); false when nothing upstream of the layer's input has parameters, so a
  // layer may skip its input gradient and return an empty tensor (conv2d and linear do: for a
  // first layer that is a whole transposed product, and col2im, saved).
  bool model_input_grad = true;
  bool need_input_grad = true;
  bool training() const { return phase == Phase::kTrain; }
  // True when forward() must keep what backward() needs.
  bool keep() const { return training() && keep_for_backward; }
};

class Layer {
 public:
  virtual ~Layer() = default;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  virtual std::string_view type() const = 0;             // == its registry / YAML type name
  virtual Shape output_shape(const Shape& in) const = 0;  // per-step; throws ShapeError

  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  virtual void bind_params(const std::vector<ParamView>& /*views*/) {}
  virtual std::vector<BufferSpec> buffer_specs() const { return {}; }
  virtual void bind_buffers(const std::vector<BufferView>& /*views*/) {}

  virtual Tensor forward(const Tensor& x, RunContext& ctx) = 0;
  virtual Tensor backward(const Tensor& grad_y, RunContext& ctx) = 0;
  virtual void reset_state() {}

  // --- activation checkpointing (model.recompute)
  // True when the layer honours ctx.keep_for_backward / ctx.recomputing (stateless and
  // deterministic: no state carried over T, no randomness).
  virtual bool recomputable() const { return false; }
  // True when what forward() keeps for backward includes its input itself (a handle): then
  // recomputing it costs no memory when the model keeps that input instead (conv2d, linear,
  // activations); false for layers that keep derived tensors or nothing (batchnorm, pools).
  virtual bool keeps_input() const { return false; }

  // --- introspection, for metrics and `soma trace`
  // True when the output is binary spikes (firing-rate metrics, spike-aware products downstream).
  virtual bool emits_spikes() const { return false; }
  // The membrane trace [T, N, ...] of the last forward when ctx.record_state was set; else empty.
  virtual Tensor membrane() const { return {}; }
  // Multiply-accumulates per sample and time step for a per-step input shape (0: no synapses).
  virtual int64_t synaptic_ops_per_step(const Shape& /*in*/) const { return 0; }

 private:
  std::string name_;
};

// A node with several inputs (residual add, concat, SEW connect functions). The builder checks
// the arity and the input shapes once; the single-input entry points are not used.
class MergeLayer : public Layer {
 public:
  // Number of inputs, or -1 for "two or more".
  virtual int arity() const = 0;
  virtual Shape output_shape_multi(const std::vector<Shape>& in) const = 0;
  virtual Tensor forward_multi(const std::vector<Tensor>& xs, RunContext& ctx) = 0;
  virtual std::vector<Tensor> backward_multi(const Tensor& grad_y, RunContext& ctx) = 0;

  Shape output_shape(const Shape& in) const final { return output_shape_multi({in}); }
  Tensor forward(const Tensor& x, RunContext& ctx) final { return forward_multi({x}, ctx); }
  Tensor backward(const Tensor& grad_y, RunContext& ctx) final {
    return backward_multi(grad_y, ctx).at(0);
  }
};

}  // namespace soma
