#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/core/threads.hpp"
#include "soma/model/param_store.hpp"
#include "soma/train/adam.hpp"
#include "soma/train/optimizer.hpp"
#include "soma/train/sgd.hpp"

using namespace soma;

namespace {

// Two segments: "fc/weight" (3 values, weight decay on) and "fc/bias" (2 values, off).
struct Fixture {
  ParamStore store;
  Fixture() {
    store.declare_param("fc", ParamSpec{"weight", Shape{3}, Init::constant(0.f), true});
    store.declare_param("fc", ParamSpec{"bias", Shape{2}, Init::constant(0.f), false});
    store.allocate();
    set_values({0.5, -1.0, 2.0}, {0.25, -0.75});
  }
  const ParamStore::Segment& w() const { return store.params()[0]; }
  const ParamStore::Segment& b() const { return store.params()[1]; }
  void set_values(std::vector<float> wv, std::vector<float> bv) {
    std::memcpy(store.values() + w().offset, wv.data(), 3 * sizeof(float));
    std::memcpy(store.values() + b().offset, bv.data(), 2 * sizeof(float));
  }
  void set_grads(std::vector<float> wg, std::vector<float> bg) {
    std::memcpy(store.grads() + w().offset, wg.data(), 3 * sizeof(float));
    std::memcpy(store.grads() + b().offset, bg.data(), 2 * sizeof(float));
  }
  // The 5 values in order (weights then bias), as double.
  std::vector<double> values() const {
    std::vector<double> v;
    for (int i = 0; i < 3; ++i) v.push_back(store.values()[w().offset + i]);
    for (int i = 0; i < 2; ++i) v.push_back(store.values()[b().offset + i]);
    return v;
  }
};

const std::vector<double> kW0 = {0.5, -1.0, 2.0, 0.25, -0.75};
const std::vector<double> kG1 = {0.1, -0.2, 0.3, -0.4, 0.5};
const std::vector<double> kG2 = {-0.3, 0.05, 0.2, 0.1, -0.6};
const bool kDecay[5] = {true, true, true, false, false};

void set_grads(Fixture& f, const std::vector<double>& g) {
  f.set_grads({float(g[0]), float(g[1]), float(g[2])}, {float(g[3]), float(g[4])});
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(2e-6).margin(1e-7));
  }
}

std::unique_ptr<Optimizer> opt_from(const std::string& yaml) {
  return make_optimizer(ConfigNode::parse(yaml, "opt.yaml"));
}

// The SGD reference: two steps of PyTorch's update, in double.
std::vector<std::vector<double>> sgd_ref(double lr, double mom, double damp, bool nesterov,
                                         double wd) {
  std::vector<double> w = kW0, buf(5, 0.0);
  std::vector<std::vector<double>> out;
  for (int k = 1; k <= 2; ++k) {
    const auto& g = k == 1 ? kG1 : kG2;
    for (int i = 0; i < 5; ++i) {
      double d = g[i] + (kDecay[i] ? wd : 0.0) * w[i];
      if (mom != 0.0) {
        buf[i] = k == 1 ? d : mom * buf[i] + (1 - damp) * d;
        d = nesterov ? d + mom * buf[i] : buf[i];
      }
      w[i] -= lr * d;
    }
    out.push_back(w);
  }
  return out;
}

void run_two_steps_and_check(Optimizer& opt, float lr,
                             const std::vector<std::vector<double>>& ref) {
  Fixture f;
  set_grads(f, kG1);
  opt.step(f.store, lr);
  check_close(f.values(), ref[0]);
  set_grads(f, kG2);
  opt.step(f.store, lr);
  check_close(f.values(), ref[1]);
  CHECK(opt.steps() == 2);
}

}  // namespace

TEST_CASE("sgd: plain, momentum, dampening, nesterov, weight decay", "[train][optim]") {
  SECTION("plain, closed form by hand") {
    Fixture f;
    set_grads(f, kG1);
    auto opt = opt_from("{type: sgd, lr: 0.1}");
    opt->step(f.store, 0.1f);
    check_close(f.values(), {0.49, -0.98, 1.97, 0.29, -0.8});
  }
  SECTION("momentum") {
    Sgd opt({0.1f, 0.9f, 0.f, false, 0.f});
    run_two_steps_and_check(opt, 0.1f, sgd_ref(0.1, 0.9, 0.0, false, 0.0));
    // Step 2 by hand for w[0]: buf = 0.9*0.1 + (-0.3) = -0.21; w = 0.49 + 0.021 = 0.511.
    CHECK(sgd_ref(0.1, 0.9, 0.0, false, 0.0)[1][0] == Approx(0.511));
  }
  SECTION("momentum with dampening") {
    Sgd opt({0.1f, 0.9f, 0.5f, false, 0.f});
    run_two_steps_and_check(opt, 0.1f, sgd_ref(0.1, 0.9, 0.5, false, 0.0));
  }
  SECTION("nesterov") {
    auto opt = opt_from("{type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}");
    run_two_steps_and_check(*opt, 0.05f, sgd_ref(0.05, 0.9, 0.0, true, 0.0));
    // Step 1 by hand for w[0]: d = 0.1, buf = 0.1, w = 0.5 - 0.05 * (0.1 + 0.09) = 0.4905.
    CHECK(sgd_ref(0.05, 0.9, 0.0, true, 0.0)[0][0] == Approx(0.4905));
  }
  SECTION("weight decay only on flagged segments") {
    auto opt = opt_from("{type: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.01}");
    // w[0]: d = 0.1 + 0.01 * 0.5 = 0.105 -> 0.4895; bias[0] undecayed: 0.25 + 0.04 = 0.29.
    const auto ref = sgd_ref(0.1, 0.9, 0.0, false, 0.01);
    CHECK(ref[0][0] == Approx(0.4895));
    CHECK(ref[0][3] == Approx(0.29));
    run_two_steps_and_check(*opt, 0.1f, ref);
  }
}

namespace {

std::vector<std::vector<double>> adam_ref(double lr, double b1, double b2, double eps, double wd,
                                          bool decoupled) {
  std::vector<double> w = kW0, m(5, 0.0), v(5, 0.0);
  std::vector<std::vector<double>> out;
  for (int k = 1; k <= 2; ++k) {
    const auto& g = k == 1 ? kG1 : kG2;
    for (int i = 0; i < 5; ++i) {
      const double wdi = kDecay[i] ? wd : 0.0;
      double d = g[i];
      if (decoupled)
        w[i] *= 1 - lr * wdi;
      else
        d += wdi * w[i];
      m[i] = b1 * m[i] + (1 - b1) * d;
      v[i] = b2 * v[i] + (1 - b2) * d * d;
      const double mh = m[i] / (1 - std::pow(b1, k)), vh = v[i] / (1 - std::pow(b2, k));
      w[i] -= lr * mh / (std::sqrt(vh) + eps);
    }
    out.push_back(w);
  }
  return out;
}

}  // namespace

TEST_CASE("adam and adamw: one and two steps in closed form", "[train][optim]") {
  SECTION("adam, first step moves each weight by lr * sign(g)") {
    auto opt = opt_from("{type: adam, lr: 0.01}");
    Fixture f;
    set_grads(f, kG1);
    opt->step(f.store, 0.01f);
    // m_hat = g, v_hat = g^2: w -= lr * g / (|g| + 1e-8).
    check_close(f.values(), {0.49, -0.99, 1.99, 0.26, -0.76});
  }
  SECTION("adam, two steps") {
    auto opt = opt_from("{type: adam, lr: 0.01, betas: [0.8, 0.99], eps: 1.0e-3}");
    run_two_steps_and_check(*opt, 0.01f, adam_ref(0.01, 0.8, 0.99, 1e-3, 0.0, false));
  }
  SECTION("adam with L2 weight decay, skipped for the bias") {
    auto opt = opt_from("{type: adam, lr: 0.01, weight_decay: 0.1}");
    const auto ref = adam_ref(0.01, 0.9, 0.999, 1e-8, 0.1, false);
    run_two_steps_and_check(*opt, 0.01f, ref);
    // Without decay on the weights the result would differ (step 2 changes with d).
    CHECK(ref[1][0] != Approx(adam_ref(0.01, 0.9, 0.999, 1e-8, 0.0, false)[1][0]).epsilon(1e-6));
  }
  SECTION("adamw, decoupled decay with the default 0.01") {
    auto opt = opt_from("{type: adamw, lr: 0.1}");
    CHECK(opt->type() == "adamw");
    const auto ref = adam_ref(0.1, 0.9, 0.999, 1e-8, 0.01, true);
    // w[0] step 1 by hand: 0.5 * (1 - 0.001) - 0.1 = 0.3995; bias[0]: 0.25 + 0.1 = 0.35.
    CHECK(ref[0][0] == Approx(0.3995));
    CHECK(ref[0][3] == Approx(0.35));
    run_two_steps_and_check(*opt, 0.1f, ref);
  }
}

namespace {

// A store large enough that the OpenMP path runs, with a deterministic gradient per step.
struct BigFixture {
  ParamStore store;
  BigFixture() {
    store.declare_param("conv", ParamSpec{"weight", Shape{50000}, Init::uniform(-1.f, 1.f), true});
    store.declare_param("conv", ParamSpec{"bias", Shape{37}, Init::uniform(-1.f, 1.f), false});
    store.allocate();
    store.initialize(3);
  }
  void fill_grads(int k) {
    for (const auto& s : store.params())
      for (int64_t i = 0; i < s.size; ++i)
        store.grads()[s.offset + i] = std::sin(0.37f * float(i) + 1.3f * float(k)) * 0.1f;
  }
  bool same_values(const BigFixture& o) const {
    return std::memcmp(store.values(), o.store.values(), sizeof(float) * store.num_params()) == 0;
  }
};

void check_round_trip(const std::string& yaml) {
  INFO(yaml);
  BigFixture a, b;
  auto oa = opt_from(yaml);
  for (int k = 0; k < 4; ++k) {
    a.fill_grads(k);
    oa->step(a.store, 0.01f * float(k + 1));
  }
  auto ob = opt_from(yaml);
  for (int k = 0; k < 2; ++k) {
    b.fill_grads(k);
    ob->step(b.store, 0.01f * float(k + 1));
  }
  const auto saved = ob->state();
  CHECK(saved.at("step")[0] == 2.f);
  // A fresh optimizer, strictly restored (sizes checked after prepare), continues identically.
  auto oc = opt_from(yaml);
  oc->prepare(b.store);
  std::map<std::string, Tensor> copy;
  for (const auto& kv : saved) copy[kv.first] = kv.second.clone();
  oc->load_state(copy);
  CHECK(oc->steps() == 2);
  for (int k = 2; k < 4; ++k) {
    b.fill_grads(k);
    oc->step(b.store, 0.01f * float(k + 1));
  }
  CHECK(a.same_values(b));
  // A state tensor of the final run equals the uninterrupted one, bit for bit.
  const auto sa = oa->state(), sc = oc->state();
  REQUIRE(sa.size() == sc.size());
  for (const auto& kv : sa) {
    REQUIRE(sc.count(kv.first));
    CHECK(std::memcmp(kv.second.data(), sc.at(kv.first).data(),
                      sizeof(float) * kv.second.numel()) == 0);
  }
}

}  // namespace

TEST_CASE("optimizer state round trip continues identically", "[train][optim][checkpoint]") {
  check_round_trip("{type: sgd, lr: 0.1, momentum: 0.9, weight_decay: 1.0e-4}");
  check_round_trip("{type: sgd, lr: 0.1}");
  check_round_trip("{type: adam, weight_decay: 1.0e-3}");
  check_round_trip("{type: adamw}");
}

TEST_CASE("optimizer load_state is strict", "[train][optim][checkpoint]") {
  BigFixture f;
  auto opt = opt_from("{type: adam}");
  f.fill_grads(0);
  opt->step(f.store, 1e-3f);
  auto good = opt->state();
  CHECK(good.size() == 3);

  auto missing = good;
  missing.erase("adam/v");
  auto fresh = opt_from("{type: adam}");
  fresh->prepare(f.store);
  CHECK_THROWS_AS(fresh->load_state(missing), IoError);
  CHECK_THROWS_WITH(fresh->load_state(missing), Catch::Contains("'adam/v' is missing"));

  auto extra = good;
  extra["sgd/momentum_buffer"] = Tensor(Shape{4});
  CHECK_THROWS_WITH(fresh->load_state(extra),
                    Catch::Contains("unexpected state tensor 'sgd/momentum_buffer'"));

  auto small = good;
  small["adam/m"] = Tensor(Shape{10});
  CHECK_THROWS_AS(fresh->load_state(small), IoError);
  CHECK_THROWS_WITH(fresh->load_state(small), Catch::Contains("'adam/m' has shape [10]"));

  auto bad_step = good;
  bad_step["step"] = Tensor::full(Shape{1}, 1.5f);
  CHECK_THROWS_WITH(fresh->load_state(bad_step), Catch::Contains("'step'"));

  // Not prepared: sizes are adopted, then checked against the store at the next step.
  ParamStore other;
  other.declare_param("fc", ParamSpec{"weight", Shape{8}, Init::constant(0.f), true});
  other.allocate();
  auto late = opt_from("{type: adam}");
  late->load_state(good);
  CHECK_THROWS_AS(late->step(other, 1e-3f), IoError);
}

TEST_CASE("optimizer updates do not depend on the thread count", "[train][optim][threads]") {
  const int saved = num_threads();
  BigFixture a, b;
  auto oa = opt_from("{type: adam, weight_decay: 1.0e-2}");
  auto ob = opt_from("{type: adam, weight_decay: 1.0e-2}");
  set_num_threads(1);
  for (int k = 0; k < 3; ++k) {
    a.fill_grads(k);
    oa->step(a.store, 1e-2f);
  }
  set_num_threads(2);
  for (int k = 0; k < 3; ++k) {
    b.fill_grads(k);
    ob->step(b.store, 1e-2f);
  }
  set_num_threads(saved);
  CHECK(a.same_values(b));
}

TEST_CASE("make_optimizer validates its config", "[train][optim][config]") {
  auto sgd = opt_from("{type: sgd, lr: 0.1, momentum: 0.9}");
  CHECK(sgd->type() == "sgd");
  CHECK(sgd->base_lr() == 0.1f);
  CHECK(opt_from("{type: adam}")->base_lr() == 1e-3f);
  CHECK(opt_from("{type: adamw}")->type() == "adamw");
  CHECK(dynamic_cast<Adam&>(*opt_from("{type: adamw}")).options().weight_decay == 0.01f);
  CHECK_THROWS_WITH(opt_from("{type: sgd}"), Catch::Contains("missing required key 'lr'"));
  CHECK_THROWS_WITH(opt_from("{type: rmsprop, lr: 0.1}"),
                    Catch::Contains("choices: sgd, adam, adamw"));
  CHECK_THROWS_WITH(opt_from("{type: sgd, lr: 0.1, nesterov: true}"),
                    Catch::Contains("momentum > 0"));
  CHECK_THROWS_WITH(opt_from("{type: adam, beta1: 0.9}"), Catch::Contains("unknown key 'beta1'"));
  CHECK_THROWS_WITH(opt_from("{type: adam, betas: [0.9]}"), Catch::Contains("[beta1, beta2]"));
  CHECK_THROWS_AS(opt_from("{lr: 0.1}"), ConfigError);
}
