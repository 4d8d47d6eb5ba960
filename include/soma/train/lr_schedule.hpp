// LrSchedule: the learning rate of each optimizer step.
//
// lr(step, steps_per_epoch) takes the global 0-based index of the step about to be taken and
// the number of steps per epoch; epoch e = floor(step / steps_per_epoch). The main schedules
// advance per EPOCH (lr is constant within an epoch, as PyTorch's StepLR / MultiStepLR /
// CosineAnnealingLR stepped once per epoch in the SNN papers' recipes); the warm-up ramp
// advances per STEP. With base learning rate b (the optimizer's `lr`):
//   constant   lr = b
//   step       lr = b * gamma^floor(e / step_size)
//              keys: step_size (epochs, required), gamma (0.1)
//   multistep  lr = b * gamma^(number of milestones <= e)
//              keys: milestones (list of epochs, strictly increasing, required), gamma (0.1)
//   cosine     lr = eta_min + (b - eta_min) (1 + cos(pi min(e, T_max) / T_max)) / 2
//              keys: T_max (epochs, default train.epochs), eta_min (0)
//              (the closed form of CosineAnnealingLR, held at eta_min after T_max instead of
//              rising again)
// Optional linear warm-up, multiplied onto the main schedule (which keeps counting from epoch
// 0, so the warm-up ends exactly on the main curve without a jump):
//   factor(step) = s + (1 - s) * step / W   for step < W,   1 afterwards
//   keys: warmup_steps W, or warmup_epochs (W = warmup_epochs * steps_per_epoch), not both;
//         warmup_start_factor s (0.0, in [0, 1]). As in PyTorch's LinearLR, step 0 runs at s * lr.
// YAML (`train.schedule`): a name (`schedule: cosine`) or a map with `type:`; absent = constant.
//   schedule: {type: multistep, milestones: [10, 20], gamma: 0.1, warmup_epochs: 1}
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "soma/core/config_node.hpp"

namespace soma {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  // Learning rate for global step `step` (0-based); steps_per_epoch >= 1.
  virtual float lr(int64_t step, int64_t steps_per_epoch) const = 0;
  virtual std::string_view type() const = 0;
};

struct LrScheduleOptions {
  enum class Kind { kConstant, kStep, kMultiStep, kCosine };
  Kind kind = Kind::kConstant;
  float base_lr = 1e-3f;
  int64_t step_size = 1;            // step
  std::vector<int64_t> milestones;  // multistep, ascending
  double gamma = 0.1;               // step, multistep
  int64_t t_max = 1;                // cosine, epochs
  double eta_min = 0.0;             // cosine
  int64_t warmup_steps = 0;         // one of these two (0 = none)
  double warmup_epochs = 0.0;
  double warmup_start_factor = 0.0;
};

// The one implementation: a per-epoch main schedule times a per-step warm-up factor.
class EpochLrSchedule final : public LrSchedule {
 public:
  explicit EpochLrSchedule(LrScheduleOptions o);
  float lr(int64_t step, int64_t steps_per_epoch) const override;
  std::string_view type() const override;
  const LrScheduleOptions& options() const { return o_; }

 private:
  LrScheduleOptions o_;
};

// Builds the schedule from `train.schedule` (null: constant), the optimizer's base lr and the
// number of training epochs (the default T_max of cosine). Checks for unknown keys.
std::unique_ptr<LrSchedule> make_lr_schedule(const ConfigNode* schedule, float base_lr,
                                             int64_t epochs);

}  // namespace soma
