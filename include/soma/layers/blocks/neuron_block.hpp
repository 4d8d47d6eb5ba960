// ConvLIAF and dense LIAF as blocks (LIAF-Net, Wu Z. et al., TNNLS 2021, arXiv 2011.06176;
// METHODS.md 3.1): synaptic integration, optional per-step normalisation, then the neuron.
//   I[t] = conv(x[t]) | W x[t] + b;   I_bn[t] = norm(I[t]);   y = neuron(I_bn)
// The LIAF code normalises I[t] per time step (`norm: {type: bntt, time_steps: T}`); `batchnorm`
// pools the statistics over T. The neuron defaults to liaf but any neuron type works (a ConvLIF
// is `neuron: {type: lif}`).
//   conv_liaf:  .conv [.norm] <block>
//     keys: out_channels (required), kernel [3], stride [1], padding [kernel/2], bias [norm is
//           none], norm [none], neuron [{type: liaf}]
//   dense_liaf: .fc [.norm] <block>
//     keys: out_features (required), bias [norm is none], norm [none], neuron [{type: liaf}]
// Example: - {name: c1, type: conv_liaf, out_channels: 64, kernel: 5, stride: 2,
//             norm: {type: bntt, time_steps: 50}, neuron: {type: liaf, decay: 0.5,
//             learn_decay: true, activation: selu}}
#pragma once

#include "soma/layers/layer_registry.hpp"

namespace soma {

BlockExpansion expand_conv_liaf(const ConfigNode& block, const std::string& name,
                                const std::string& input, const Shape& in);
BlockExpansion expand_dense_liaf(const ConfigNode& block, const std::string& name,
                                 const std::string& input, const Shape& in);

}  // namespace soma
