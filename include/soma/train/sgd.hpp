// SGD with momentum, dampening, Nesterov and L2 weight decay, with PyTorch's torch.optim.SGD
// semantics (per element, step k = 1, 2, ...; wd only on segments flagged weight_decay):
//   d   = g + wd * w
//   buf = d                                   (k = 1)
//   buf = momentum * buf + (1 - dampening) * d (k > 1)          [only when momentum != 0]
//   d   = nesterov ? d + momentum * buf : buf                    [only when momentum != 0]
//   w  -= lr * d
// YAML: {type: sgd, lr: (required), momentum: 0, dampening: 0, nesterov: false, weight_decay: 0};
// nesterov needs momentum > 0 and dampening = 0. State: "sgd/momentum_buffer" when momentum != 0.
#pragma once

#include "soma/train/optimizer.hpp"

namespace soma {

struct SgdOptions {
  float lr = 0.01f;
  float momentum = 0.f;
  float dampening = 0.f;
  bool nesterov = false;
  float weight_decay = 0.f;
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(const SgdOptions& o) : Optimizer(o.lr), o_(o) {}
  std::string_view type() const override { return "sgd"; }
  const SgdOptions& options() const { return o_; }

 protected:
  void update_segment(const ParamStore::Segment& s, float* w, const float* g, float lr) override;
  std::vector<std::string> state_names() const override {
    if (o_.momentum != 0.f) return {"sgd/momentum_buffer"};
    return {};
  }

 private:
  SgdOptions o_;
};

}  // namespace soma
