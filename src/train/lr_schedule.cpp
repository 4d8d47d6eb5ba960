#include "soma/train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "soma/core/error.hpp"

namespace soma {

EpochLrSchedule::EpochLrSchedule(LrScheduleOptions o) : o_(std::move(o)) {
  SOMA_ASSERT(std::is_sorted(o_.milestones.begin(), o_.milestones.end()));
  SOMA_ASSERT(o_.step_size >= 1 && o_.t_max >= 1);
}

std::string_view EpochLrSchedule::type() const {
  switch (o_.kind) {
    case LrScheduleOptions::Kind::kStep:
      return "step";
    case LrScheduleOptions::Kind::kMultiStep:
      return "multistep";
    case LrScheduleOptions::Kind::kCosine:
      return "cosine";
    default:
      return "constant";
  }
}

float EpochLrSchedule::lr(int64_t step, int64_t steps_per_epoch) const {
  SOMA_CHECK(steps_per_epoch >= 1, "lr schedule: steps_per_epoch must be >= 1, got ",
             steps_per_epoch);
  SOMA_CHECK(step >= 0, "lr schedule: step must be >= 0, got ", step);
  const int64_t epoch = step / steps_per_epoch;
  const double b = o_.base_lr;
  double lr = b;
  switch (o_.kind) {
    case LrScheduleOptions::Kind::kConstant:
      break;
    case LrScheduleOptions::Kind::kStep:
      lr = b * std::pow(o_.gamma, static_cast<double>(epoch / o_.step_size));
      break;
    case LrScheduleOptions::Kind::kMultiStep: {
      const auto passed = std::upper_bound(o_.milestones.begin(), o_.milestones.end(), epoch) -
                          o_.milestones.begin();
      lr = b * std::pow(o_.gamma, static_cast<double>(passed));
      break;
    }
    case LrScheduleOptions::Kind::kCosine: {
      const double e = static_cast<double>(std::min(epoch, o_.t_max));
      lr = o_.eta_min + (b - o_.eta_min) * 0.5 *
                            (1.0 + std::cos(std::numbers::pi * e / static_cast<double>(o_.t_max)));
      break;
    }
  }
  const double w = o_.warmup_steps > 0 ? static_cast<double>(o_.warmup_steps)
                                       : o_.warmup_epochs * static_cast<double>(steps_per_epoch);
  if (static_cast<double>(step) < w) {
    const double s = o_.warmup_start_factor;
    lr *= s + (1.0 - s) * static_cast<double>(step) / w;
  }
  return static_cast<float>(lr);
}

std::unique_ptr<LrSchedule> make_lr_schedule(const ConfigNode* schedule, float base_lr,
                                             int64_t epochs) {
  LrScheduleOptions o;
  o.base_lr = base_lr;
  if (!schedule) return std::make_unique<EpochLrSchedule>(o);
  const std::initializer_list<std::string_view> kinds = {"constant", "step", "multistep", "cosine"};
  std::string type;
  const bool is_map = schedule->is_map();
  if (is_map) {
    schedule->get_string("type");  // required in the map form
    type = schedule->get_choice("type", kinds, "constant");
  } else {
    type = schedule->as_string();
    bool ok = false;
    for (auto k : kinds) ok = ok || k == type;
    if (!ok)
      schedule->fail(
          str_cat("unknown schedule '", type, "' (choices: constant, step, multistep, cosine)"));
  }
  const ConfigNode& c = *schedule;
  using Kind = LrScheduleOptions::Kind;
  if (type == "step") {
    o.kind = Kind::kStep;
    if (!is_map) c.fail("schedule 'step' needs a map with step_size");
    o.step_size = c.get_int("step_size");
    c.require(o.step_size >= 1, "step_size", "must be >= 1 epoch, got ", o.step_size);
    o.gamma = c.get_double("gamma", 0.1);
  } else if (type == "multistep") {
    o.kind = Kind::kMultiStep;
    if (!is_map) c.fail("schedule 'multistep' needs a map with milestones");
    o.milestones = c.get_int_list("milestones");
    for (size_t i = 0; i < o.milestones.size(); ++i) {
      c.require(o.milestones[i] >= 0, "milestones", "must be >= 0, got ", o.milestones[i]);
      c.require(i == 0 || o.milestones[i] > o.milestones[i - 1], "milestones",
                "must be strictly increasing, got ", o.milestones[i - 1], " then ",
                o.milestones[i]);
    }
    o.gamma = c.get_double("gamma", 0.1);
  } else if (type == "cosine") {
    o.kind = Kind::kCosine;
    o.t_max = is_map ? c.get_int("T_max", epochs) : epochs;
    if (is_map) c.require(o.t_max >= 1, "T_max", "must be >= 1 epoch, got ", o.t_max);
    SOMA_CHECK_AS(ConfigError, o.t_max >= 1, c.where(),
                  ": cosine schedule needs T_max >= 1 epoch (train.epochs is ", epochs, ")");
    o.eta_min = is_map ? c.get_double("eta_min", 0.0) : 0.0;
  }
  if (is_map) {
    c.require(o.gamma > 0.0, "gamma", "must be > 0, got ", o.gamma);
    const bool has_ws = c.has("warmup_steps"), has_we = c.has("warmup_epochs");
    c.require(!(has_ws && has_we), "warmup_steps", "give warmup_steps or warmup_epochs, not both");
    o.warmup_steps = c.get_int("warmup_steps", 0);
    o.warmup_epochs = c.get_double("warmup_epochs", 0.0);
    c.require(o.warmup_steps >= 0, "warmup_steps", "must be >= 0, got ", o.warmup_steps);
    c.require(o.warmup_epochs >= 0.0, "warmup_epochs", "must be >= 0, got ", o.warmup_epochs);
    o.warmup_start_factor = c.get_double("warmup_start_factor", 0.0);
    c.require(o.warmup_start_factor >= 0.0 && o.warmup_start_factor <= 1.0, "warmup_start_factor",
              "must be in [0, 1], got ", o.warmup_start_factor);
    c.ensure_all_used();
  }
  return std::make_unique<EpochLrSchedule>(o);
}

}  // namespace soma
