#include "soma/model/fold_batchnorm.hpp"

#include <cmath>

#include "soma/layers/batchnorm.hpp"

namespace soma {
namespace {

Tensor find_value(const ParamStore& store, const std::string& name) {
  const ParamStore::Segment* s = store.find_param(name);
  return s ? store.value(*s) : Tensor();
}

}  // namespace

FoldResult fold_batchnorm_into_conv(Model& model) {
  FoldResult result;
  ParamStore& store = model.params();
  const auto& nodes = model.nodes();
  for (size_t j = 0; j < nodes.size(); ++j) {
    const Model::Node& nn = nodes[j];
    const std::string ntype(nn.layer->type());
    if ((ntype != "tdbn" && ntype != "batchnorm") || nn.inputs.size() != 1 || nn.inputs[0] < 0)
      continue;
    const Model::Node& cn = nodes[nn.inputs[0]];
    const std::string ctype(cn.layer->type());
    if (ctype != "conv2d" && ctype != "linear") continue;
    if (cn.consumers != 1) {
      result.skipped.push_back({cn.name, nn.name + ": the conv output also feeds other layers"});
      continue;
    }
    auto* bn = dynamic_cast<BatchNormLayer*>(nn.layer.get());
    SOMA_ASSERT(bn, "fold: '", nn.name, "' (", ntype, ") is not a BatchNormLayer");
    if (bn->folded()) continue;

    const int64_t C = nn.out_shape[0];
    Tensor cw = find_value(store, cn.name + "/weight");
    Tensor cb = find_value(store, cn.name + "/bias");
    SOMA_ASSERT(cw.defined() && cw.dim(0) == C, "fold: conv '", cn.name, "' weight shape");
    // The norm's eval map y = scale_c x + shift_c moves into the conv: W'_c = scale_c W_c,
    // b'_c = scale_c b_c + shift_c; without a conv bias the norm keeps the shift.
    std::vector<float> scale, shift;
    bn->eval_affine(scale, shift);
    const int64_t row = cw.numel() / C;
    float* pw = cw.data();
    for (int64_t c = 0; c < C; ++c) {
      const double b = double(shift[c]) + double(scale[c]) * (cb.defined() ? double(cb[c]) : 0.0);
      for (int64_t i = 0; i < row; ++i) pw[c * row + i] = static_cast<float>(pw[c * row + i] * scale[c]);
      if (cb.defined()) {
        cb[c] = static_cast<float>(b);
        shift[c] = 0.f;
      } else {
        shift[c] = static_cast<float>(b);
      }
    }
    bn->fold(shift);
    result.folded.push_back({cn.name, nn.name});
  }
  return result;
}

}  // namespace soma
