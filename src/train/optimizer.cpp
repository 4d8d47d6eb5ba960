#include "soma/train/optimizer.hpp"

#include <cmath>

#include "soma/core/error.hpp"
#include "soma/train/adam.hpp"
#include "soma/train/sgd.hpp"

namespace soma {

void Optimizer::prepare(const ParamStore& store) {
  const auto names = state_names();
  state_size_ = store.num_params();
  buffers_.clear();
  for (size_t i = 0; i < names.size(); ++i) buffers_.emplace_back(Shape{state_size_});
}

void Optimizer::step(ParamStore& store, float lr) {
  if (state_size_ < 0) prepare(store);
  SOMA_CHECK_AS(IoError, state_size_ == store.num_params(), "optimizer '", type(),
                "': its state holds ", state_size_, " values but the model has ",
                store.num_params(),
                " (flat, padded); the optimizer state does not match the model");
  ++step_;
  begin_step(lr);
  float* w = store.values();
  const float* g = store.grads();
  for (const auto& s : store.params()) update_segment(s, w + s.offset, g + s.offset, lr);
}

std::map<std::string, Tensor> Optimizer::state() const {
  std::map<std::string, Tensor> out;
  // Float holds every integer up to 2^24 exactly; beyond that the step count (and with it Adam's
  // bias correction) would be rounded in a checkpoint.
  SOMA_CHECK(step_ <= (int64_t{1} << 24), "optimizer '", type(), "': step count ", step_,
             " exceeds 2^24 and cannot be stored exactly");
  out["step"] = Tensor::full(Shape{1}, static_cast<float>(step_));
  const auto names = state_names();
  for (size_t i = 0; i < names.size(); ++i) {
    // Before the first step nothing is allocated: the state is all zeros of unknown size.
    out[names[i]] = i < buffers_.size() ? buffers_[i].clone() : Tensor(Shape{0});
  }
  return out;
}

void Optimizer::load_state(const std::map<std::string, Tensor>& state) {
  const auto names = state_names();
  std::vector<std::string> expected = names;
  expected.push_back("step");
  for (const auto& key : expected)
    SOMA_CHECK_AS(IoError, state.count(key), "optimizer '", type(), "': state tensor '", key,
                  "' is missing");
  for (const auto& kv : state) {
    bool known = false;
    for (const auto& key : expected) known = known || key == kv.first;
    SOMA_CHECK_AS(IoError, known, "optimizer '", type(), "': unexpected state tensor '", kv.first,
                  "'");
  }
  const Tensor& st = state.at("step");
  SOMA_CHECK_AS(IoError, st.numel() == 1, "optimizer '", type(),
                "': state tensor 'step' must hold 1 value, got shape ", st.shape().str());
  const float sv = st[0];
  SOMA_CHECK_AS(IoError, sv >= 0.f && std::floor(sv) == sv, "optimizer '", type(),
                "': state tensor 'step' must be a non-negative integer, got ", sv);
  int64_t size = state_size_;
  for (const auto& key : names) {
    const Tensor& t = state.at(key);
    if (size < 0) size = t.numel();
    SOMA_CHECK_AS(IoError, t.numel() == size && t.rank() == 1, "optimizer '", type(),
                  "': state tensor '", key, "' has shape ", t.shape().str(), ", expected [", size,
                  "]");
  }
  step_ = static_cast<int64_t>(sv);
  if (names.empty()) return;  // no buffers (plain SGD): nothing to size
  if (size == 0 && step_ == 0) {
    // The state of an optimizer that never stepped (state() before any step): start afresh.
    buffers_.clear();
    state_size_ = -1;
    return;
  }
  buffers_.clear();
  for (const auto& key : names) buffers_.push_back(state.at(key).clone().reshape(Shape{size}));
  state_size_ = size;
}

std::vector<std::string_view> optimizer_types() { return {"sgd", "adam", "adamw"}; }

std::unique_ptr<Optimizer> make_optimizer(const ConfigNode& opt) {
  opt.get_string("type");  // required
  const std::string type = opt.get_choice("type", {"sgd", "adam", "adamw"}, "adam");
  std::unique_ptr<Optimizer> out;
  if (type == "sgd") {
    SgdOptions o;
    o.lr = opt.get_float("lr");
    o.momentum = opt.get_float("momentum", 0.f);
    o.dampening = opt.get_float("dampening", 0.f);
    o.nesterov = opt.get_bool("nesterov", false);
    o.weight_decay = opt.get_float("weight_decay", 0.f);
    opt.require(o.lr >= 0.f, "lr", "must be >= 0, got ", o.lr);
    opt.require(o.momentum >= 0.f, "momentum", "must be >= 0, got ", o.momentum);
    opt.require(o.weight_decay >= 0.f, "weight_decay", "must be >= 0, got ", o.weight_decay);
    opt.require(!o.nesterov || (o.momentum > 0.f && o.dampening == 0.f), "nesterov",
                "needs momentum > 0 and dampening = 0 (got momentum ", o.momentum, ", dampening ",
                o.dampening, ")");
    out = std::make_unique<Sgd>(o);
  } else {
    AdamOptions o;
    o.decoupled_weight_decay = type == "adamw";
    o.lr = opt.get_float("lr", 1e-3f);
    if (opt.has("betas")) {
      const auto b = opt.get_float_list("betas");
      opt.require(b.size() == 2, "betas", "expected [beta1, beta2], got ", b.size(), " values");
      o.beta1 = b[0];
      o.beta2 = b[1];
    } else {
      opt.mark_used("betas");
    }
    o.eps = opt.get_float("eps", 1e-8f);
    o.weight_decay = opt.get_float("weight_decay", o.decoupled_weight_decay ? 0.01f : 0.f);
    opt.require(o.lr >= 0.f, "lr", "must be >= 0, got ", o.lr);
    opt.require(o.beta1 >= 0.f && o.beta1 < 1.f && o.beta2 >= 0.f && o.beta2 < 1.f, "betas",
                "must lie in [0, 1), got [", o.beta1, ", ", o.beta2, "]");
    opt.require(o.eps >= 0.f, "eps", "must be >= 0, got ", o.eps);
    opt.require(o.weight_decay >= 0.f, "weight_decay", "must be >= 0, got ", o.weight_decay);
    out = std::make_unique<Adam>(o);
  }
  opt.ensure_all_used();
  return out;
}

}  // namespace soma
