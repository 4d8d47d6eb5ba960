// Residual blocks as YAML block types; each expands into layers named `<block>.<part>`, the
// last one named `<block>` (see layer_registry.hpp for the expansion contract).
//
// Common keys (defaults in brackets):
//   out_channels (required)   block output channels
//   stride [1]                stride of the first 3x3 conv (basic) / the 3x3 conv (bottleneck)
//   variant [basic]           basic: two 3x3 convs; bottleneck: 1x1 (mid) - 3x3 (mid) - 1x1 (out)
//   mid_channels              bottleneck width [out_channels / 4]; basic: the first conv's width
//                             [out_channels]
//   norm [tdbn for spiking_resnet_block, batchnorm otherwise]   tdbn | batchnorm | bntt | none,
//                             or a map (block_parts.hpp)
//   neuron [{type: lif}]      the neuron of every spiking stage (any neuron type: lif, plif, if,
//                             liaf, ...)
//   shortcut [auto]           auto: projection when channels or stride change, else identity;
//                             projection: always conv1x1(stride) + norm (SEW: + neuron)
//   residual_alpha            tdbn alpha of the branch's last norm and of the projection norm:
//                             [1/sqrt(2)] spiking_resnet_block and ms_block (tdBN paper), [1] sew
//   zero_init_residual [false]  last norm of the branch starts with weight 0 (SEW's option;
//                             with connect: and its bias starts at and_init_bias [1.0] so the
//                             branch fires and the block starts as identity)
//
// spiking_resnet_block (tdBN, Zheng et al. AAAI 2021; "Spiking ResNet"): neuron after the add
//   .conv1 .norm1 .sn1 .conv2 .norm2(alpha_r)  [+ bottleneck: .sn2 .conv3 .norm3(alpha_r)]
//   shortcut: input | .down_conv .down_norm(alpha_r);   .add = branch + shortcut;   <block> = SN
// sew_block (SEW ResNet, Fang et al. NeurIPS 2021, METHODS.md 14.1): connect spikes, key
//   connect [add] (add | and | iand): O = g(A, S'), A = SN(norm(conv(...))) ending in a neuron
//   .conv1 .norm1 .sn1 .conv2 .norm2 .sn2 [bottleneck ... .sn3]
//   shortcut: input | .down_conv .down_norm .down_sn;  <block> = sew_connect(A, S')
// ms_block (MS-ResNet, Hu et al., "Advancing Spiking Neural Networks towards Deep Residual
//   Learning", membrane shortcut): neurons first, the shortcut adds to the pre-neuron input
//   (the next block's first neuron spikes the sum); the block's input is a membrane-like value
//   .sn1 .conv1 .norm1 .sn2 .conv2 .norm2(alpha_r)  [bottleneck: ... .sn3 .conv3 .norm3]
//   shortcut: input | .down_conv .down_norm(alpha_r) (on the membrane input); <block> = add
// Example:
//   - {name: res1, type: sew_block, out_channels: 32, connect: iand,
//      neuron: {type: plif, init_tau: 2.0, detach_reset: true}}
#pragma once

#include "soma/layers/layer_registry.hpp"

namespace soma {

BlockExpansion expand_spiking_resnet_block(const ConfigNode& block, const std::string& name,
                                           const std::string& input, const Shape& in);
BlockExpansion expand_sew_block(const ConfigNode& block, const std::string& name,
                                const std::string& input, const Shape& in);
BlockExpansion expand_ms_block(const ConfigNode& block, const std::string& name,
                               const std::string& input, const Shape& in);

}  // namespace soma
