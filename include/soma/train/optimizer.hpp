// Optimizer: updates the flat parameter buffer of a ParamStore from its flat gradient buffer.
//
// step(store, lr) runs one update with the learning rate of this step (the LrSchedule gives it;
// the optimizer's own `lr` key is only the base value, see base_lr()). The loop is per segment
// (ParamStore::params(): name, offset, size, weight_decay flag): Optimizer::step calls
// update_segment() for each parameter, and state buffers (momentum, Adam moments) mirror the
// flat layout, so a segment's state lives at the same offset. A later per-parameter update rule
// (low-bit WAGE / GXNOR discrete updates) overrides update_segment and dispatches on the
// segment, keeping the default rule for the rest. Weight decay applies only to segments whose
// weight_decay flag is true. Inside a segment the update is elementwise and OpenMP-parallel, so
// the result does not depend on the thread count. The gradient buffer is never modified.
//
// State (for checkpoints): state() returns named flat tensors of size num_params (padding
// included) plus "step", a [1] tensor holding the number of steps taken (exact as float up to
// 2^24 = 16.7M steps). load_state() is strict: a missing, extra or mis-sized tensor throws
// IoError naming the key. Keys per type: sgd {"step"} + {"sgd/momentum_buffer"} when
// momentum != 0; adam / adamw {"step", "adam/m", "adam/v"}.
//
// YAML (`train.optimizer`), defaults as in PyTorch:
//   {type: sgd,   lr: (required), momentum: 0, dampening: 0, nesterov: false, weight_decay: 0}
//   {type: adam,  lr: 1.0e-3, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0}   (L2 on g)
//   {type: adamw, lr: 1.0e-3, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0.01} (decoupled)
// Maths in sgd.hpp and adam.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/model/param_store.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

class Optimizer {
 public:
  explicit Optimizer(float base_lr) : base_lr_(base_lr) {}
  virtual ~Optimizer() = default;

  // One update of every parameter segment with learning rate `lr`.
  virtual void step(ParamStore& store, float lr);

  // Named state tensors (copies), see the header comment.
  virtual std::map<std::string, Tensor> state() const;
  // Strict restore; sizes are checked against prepare()d buffers, or adopted and then checked
  // against the store at the next step().
  virtual void load_state(const std::map<std::string, Tensor>& state);

  virtual std::string_view type() const = 0;

  // The `lr` of the config: the base learning rate for the LrSchedule.
  float base_lr() const { return base_lr_; }
  // Steps taken so far.
  int64_t steps() const { return step_; }
  // Sizes (zeroed) state buffers for `store`. step() calls it on first use; call it before
  // load_state() to have sizes checked at load time.
  void prepare(const ParamStore& store);

 protected:
  // Updates one segment: w, g (and the state at s.offset) hold s.size values. `step_` has already
  // been incremented (it is 1 on the first step). lr is this step's learning rate.
  virtual void update_segment(const ParamStore::Segment& s, float* w, const float* g, float lr) = 0;
  // Called once per step before the segments (after step_ is incremented): per-step constants.
  virtual void begin_step(float /*lr*/) {}
  // Names of the flat state buffers this optimizer keeps; their storage is state_data(i).
  virtual std::vector<std::string> state_names() const { return {}; }
  float* state_data(size_t i) { return buffers_.at(i).data(); }

  int64_t step_ = 0;

 private:
  float base_lr_;
  int64_t state_size_ = -1;      // -1 = not prepared
  std::vector<Tensor> buffers_;  // one per state_names() entry, each [state_size_], aligned
};

// Builds an optimizer from the `train.optimizer` map (checks for unknown keys). The unknown-type
// error lists optimizer_types().
std::unique_ptr<Optimizer> make_optimizer(const ConfigNode& opt);
std::vector<std::string_view> optimizer_types();

// Segments at least this large are updated by an OpenMP parallel loop.
inline constexpr int64_t kOptimizerParallelMin = 1 << 14;

}  // namespace soma
