#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "soma/core/config_node.hpp"
#include "soma/train/lr_schedule.hpp"

using namespace soma;

namespace {

std::unique_ptr<LrSchedule> sched(const std::string& yaml, float base, int64_t epochs) {
  const ConfigNode root = ConfigNode::parse(yaml, "train.yaml");
  const ConfigNode s = root.child("schedule");
  return make_lr_schedule(&s, base, epochs);
}

}  // namespace

TEST_CASE("constant schedule (absent or named)", "[train][schedule]") {
  auto a = make_lr_schedule(nullptr, 0.5f, 10);
  CHECK(a->type() == "constant");
  CHECK(a->lr(0, 7) == 0.5f);
  CHECK(a->lr(1000, 7) == 0.5f);
  CHECK(sched("schedule: constant\n", 0.25f, 3)->lr(99, 10) == 0.25f);
}

TEST_CASE("step schedule decays by gamma every step_size epochs", "[train][schedule]") {
  auto s = sched("schedule: {type: step, step_size: 3, gamma: 0.5}\n", 0.1f, 10);
  const int64_t spe = 4;  // steps per epoch
  CHECK(s->lr(0, spe) == Approx(0.1));
  CHECK(s->lr(3 * spe - 1, spe) == Approx(0.1));  // last step of epoch 2
  CHECK(s->lr(3 * spe, spe) == Approx(0.05));     // first step of epoch 3
  CHECK(s->lr(6 * spe - 1, spe) == Approx(0.05));
  CHECK(s->lr(6 * spe, spe) == Approx(0.025));
  CHECK(sched("schedule: {type: step, step_size: 40}\n", 0.1f, 100)->lr(40, 1) == Approx(0.01));
}

TEST_CASE("multistep schedule decays at each milestone", "[train][schedule]") {
  auto s = sched("schedule: {type: multistep, milestones: [10, 20], gamma: 0.1}\n", 1e-2f, 30);
  CHECK(s->lr(9, 1) == Approx(1e-2));
  CHECK(s->lr(10, 1) == Approx(1e-3));
  CHECK(s->lr(19, 1) == Approx(1e-3));
  CHECK(s->lr(20, 1) == Approx(1e-4));
  CHECK(s->lr(29 * 5 + 4, 5) == Approx(1e-4));
  CHECK_THROWS_WITH(sched("schedule: {type: multistep, milestones: [20, 10]}\n", 1.f, 30),
                    Catch::Contains("strictly increasing"));
}

TEST_CASE("cosine schedule follows the closed form per epoch", "[train][schedule]") {
  auto s = sched("schedule: {type: cosine, eta_min: 0.001}\n", 0.1f, 8);  // T_max = epochs = 8
  const int64_t spe = 3;
  CHECK(s->lr(0, spe) == Approx(0.1));
  CHECK(s->lr(spe - 1, spe) == Approx(0.1));                  // constant within epoch 0
  CHECK(s->lr(4 * spe, spe) == Approx(0.001 + 0.099 * 0.5));  // T/2
  CHECK(s->lr(2 * spe, spe) == Approx(0.001 + 0.099 * 0.5 * (1 + std::cos(std::numbers::pi / 4))));
  CHECK(s->lr(8 * spe, spe) == Approx(0.001));   // T
  CHECK(s->lr(12 * spe, spe) == Approx(0.001));  // held after T_max
  auto t = sched("schedule: {type: cosine, T_max: 4}\n", 1.f, 100);
  CHECK(t->lr(2, 1) == Approx(0.5));
  CHECK(t->lr(4, 1) == Approx(0.0).margin(1e-7));
  CHECK(sched("schedule: cosine\n", 1.f, 10)->lr(5, 1) == Approx(0.5));
}

TEST_CASE("linear warm-up ramps per step and multiplies the schedule", "[train][schedule]") {
  auto s = sched("schedule: {type: constant, warmup_steps: 4, warmup_start_factor: 0.2}\n", 1.f, 5);
  CHECK(s->lr(0, 10) == Approx(0.2));
  CHECK(s->lr(1, 10) == Approx(0.4));
  CHECK(s->lr(3, 10) == Approx(0.8));
  CHECK(s->lr(4, 10) == Approx(1.0));
  CHECK(s->lr(50, 10) == Approx(1.0));
  // warmup_epochs: W = 2 epochs * 5 steps = 10 steps; start factor 0 by default; on top of cosine.
  auto c = sched("schedule: {type: cosine, T_max: 10, warmup_epochs: 2}\n", 1.f, 10);
  const double cos1 = 0.5 * (1 + std::cos(std::numbers::pi / 10));
  CHECK(c->lr(0, 5) == 0.f);
  CHECK(c->lr(3, 5) == Approx(0.3));
  CHECK(c->lr(7, 5) == Approx(0.7 * cos1));  // epoch 1, still warming up
  CHECK(c->lr(10, 5) == Approx(0.5 * (1 + std::cos(2 * std::numbers::pi / 10))));
  CHECK_THROWS_WITH(
      sched("schedule: {type: constant, warmup_steps: 4, warmup_epochs: 1}\n", 1.f, 5),
      Catch::Contains("not both"));
}

TEST_CASE("schedule configs are validated", "[train][schedule][config]") {
  CHECK_THROWS_WITH(sched("schedule: {type: step}\n", 1.f, 5), Catch::Contains("step_size"));
  CHECK_THROWS_WITH(sched("schedule: {type: step, step_size: 2, gama: 0.5}\n", 1.f, 5),
                    Catch::Contains("unknown key 'gama'"));
  CHECK_THROWS_WITH(sched("schedule: linear\n", 1.f, 5), Catch::Contains("unknown schedule"));
  CHECK_THROWS_WITH(sched("schedule: {type: exp}\n", 1.f, 5), Catch::Contains("choices"));
  CHECK_THROWS_AS(make_lr_schedule(nullptr, 1.f, 5)->lr(0, 0), Error);
}
