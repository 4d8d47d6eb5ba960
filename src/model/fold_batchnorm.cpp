#include "soma/model/fold_batchnorm.hpp"

#include <cmath>

#include "soma/layers/tdbn.hpp"

namespace soma {
namespace {

// The norm's parameters and statistics, per channel, as doubles.
struct NormAffine {
  std::vector<double> gamma, beta, mean, var;
  double eps = 0.0;
  bool affine = false;
};

Tensor find_value(const ParamStore& store, const std::string& name) {
  const ParamStore::Segment* s = store.find_param(name);
  return s ? store.value(*s) : Tensor();
}

Tensor find_buffer(const ParamStore& store, const std::string& name) {
  const ParamStore::Segment* s = store.find_buffer(name);
  SOMA_ASSERT(s, "missing buffer ", name);
  return store.buffer(*s);
}

// y = 1/sqrt(1 + eps) for unit statistics: recovers a batchnorm layer's eps from its eval map.
double probe_batchnorm_eps(Layer& bn, Tensor& weight, Tensor& bias, Tensor& mean, Tensor& var,
                           const Shape& per_step) {
  const Tensor w0 = weight.defined() ? weight.clone() : Tensor();
  const Tensor b0 = bias.defined() ? bias.clone() : Tensor();
  const Tensor m0 = mean.clone(), v0 = var.clone();
  if (weight.defined()) weight.fill(1.f);
  if (bias.defined()) bias.fill(0.f);
  mean.fill(0.f);
  var.fill(1.f);
  std::vector<int64_t> dims{1, 1};
  for (int64_t d : per_step.to_vector()) dims.push_back(d);
  Tensor x = Tensor::empty(Shape(dims));
  x.fill(1.f);
  RunContext ctx;
  ctx.phase = Phase::kEval;
  const Tensor y = bn.forward(x, ctx);
  const double is = y[0];
  if (weight.defined()) weight.copy_from(w0);
  if (bias.defined()) bias.copy_from(b0);
  mean.copy_from(m0);
  var.copy_from(v0);
  return 1.0 / (is * is) - 1.0;
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
    auto* td = dynamic_cast<TdBatchNormLayer*>(nn.layer.get());
    if (td && td->folded()) continue;

    const int64_t C = nn.out_shape[0];
    Tensor weight = find_value(store, nn.name + "/weight");
    Tensor bias = find_value(store, nn.name + "/bias");
    Tensor mean = find_buffer(store, nn.name + "/running_mean");
    Tensor var = find_buffer(store, nn.name + "/running_var");
    Tensor cw = find_value(store, cn.name + "/weight");
    Tensor cb = find_value(store, cn.name + "/bias");
    SOMA_ASSERT(cw.defined() && cw.dim(0) == C, "fold: conv '", cn.name, "' weight shape");
    if (!cb.defined() && !bias.defined() && !td) {
      result.skipped.push_back(
          {cn.name, nn.name + ": neither the conv has a bias nor the batchnorm affine parameters"});
      continue;
    }
    const double k = td ? double(td->alpha()) * td->v_threshold() : 1.0;
    const double eps = td ? double(td->eps())
                          : probe_batchnorm_eps(*nn.layer, weight, bias, mean, var, nn.out_shape);

    std::vector<float> shift(C);
    const int64_t row = cw.numel() / C;
    float* pw = cw.data();
    for (int64_t c = 0; c < C; ++c) {
      const double g = (weight.defined() ? double(weight[c]) : 1.0) * k;
      const double s = g / std::sqrt(double(var[c]) + eps);
      const double b = (bias.defined() ? double(bias[c]) : 0.0) +
                       s * ((cb.defined() ? double(cb[c]) : 0.0) - double(mean[c]));
      for (int64_t i = 0; i < row; ++i) pw[c * row + i] = static_cast<float>(pw[c * row + i] * s);
      if (cb.defined()) {
        cb[c] = static_cast<float>(b);
        shift[c] = 0.f;
      } else {
        shift[c] = static_cast<float>(b);
      }
    }
    if (td) {
      td->fold(shift);
    } else {
      // batchnorm keeps running: make it y = x + shift.
      mean.fill(0.f);
      var.fill(static_cast<float>(1.0 - eps));
      if (weight.defined()) weight.fill(1.f);
      if (bias.defined())
        for (int64_t c = 0; c < C; ++c) bias[c] = shift[c];
    }
    result.folded.push_back({cn.name, nn.name});
  }
  return result;
}

}  // namespace soma
