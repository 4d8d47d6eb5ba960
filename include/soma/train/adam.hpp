// Adam (Kingma & Ba, ICLR 2015) and AdamW (Loshchilov & Hutter, ICLR 2019), with PyTorch's
// torch.optim.Adam / AdamW semantics (per element, step k = 1, 2, ...; wd only on segments
// flagged weight_decay):
//   adam:  d = g + wd * w                        (L2 folded into the gradient)
//   adamw: w = w * (1 - lr * wd),  d = g         (decoupled decay, before the update)
//   m = beta1 * m + (1 - beta1) * d
//   v = beta2 * v + (1 - beta2) * d^2
//   w -= (lr / (1 - beta1^k)) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
// The bias corrections are computed in double once per step, as PyTorch does (eps is added
// after dividing sqrt(v) by sqrt(1 - beta2^k), i.e. to the bias-corrected root).
// YAML: {type: adam,  lr: 1.0e-3, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0}
//       {type: adamw, lr: 1.0e-3, betas: [0.9, 0.999], eps: 1.0e-8, weight_decay: 0.01}
// State: "adam/m", "adam/v" (for both types) and "step".
#pragma once

#include "soma/train/optimizer.hpp"

namespace soma {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.f;
  bool decoupled_weight_decay = false;  // true: AdamW
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& o) : Optimizer(o.lr), o_(o) {}
  std::string_view type() const override { return o_.decoupled_weight_decay ? "adamw" : "adam"; }
  const AdamOptions& options() const { return o_; }

 protected:
  void begin_step(float lr) override;
  void update_segment(const ParamStore::Segment& s, float* w, const float* g, float lr) override;
  std::vector<std::string> state_names() const override { return {"adam/m", "adam/v"}; }

 private:
  AdamOptions o_;
  float step_size_ = 0.f;     // lr / (1 - beta1^k)
  float inv_bc2_sqrt_ = 1.f;  // 1 / sqrt(1 - beta2^k)
};

}  // namespace soma
