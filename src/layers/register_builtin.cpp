// The only list of built-in layer types. A new layer = header + source + one line here + a test.
#include "soma/layers/activation.hpp"
#include "soma/layers/clamp.hpp"
#include "soma/layers/adaptive_avgpool2d.hpp"
#include "soma/layers/add.hpp"
#include "soma/layers/batchnorm.hpp"
#include "soma/layers/blocks/neuron_block.hpp"
#include "soma/layers/blocks/residual_block.hpp"
#include "soma/layers/bntt.hpp"
#include "soma/layers/concat.hpp"
#include "soma/layers/conv2d.hpp"
#include "soma/layers/dropout.hpp"
#include "soma/layers/flatten.hpp"
#include "soma/layers/layer_registry.hpp"
#include "soma/layers/linear.hpp"
#include "soma/layers/neunorm.hpp"
#include "soma/layers/pool2d.hpp"
#include "soma/layers/readout.hpp"
#include "soma/layers/sew_connect.hpp"
#include "soma/layers/tdbn.hpp"
#include "soma/layers/vote.hpp"
#include "soma/layers/neurons/if_layer.hpp"
#include "soma/layers/neurons/li_layer.hpp"
#include "soma/layers/neurons/liaf_layer.hpp"
#include "soma/layers/neurons/lif_layer.hpp"
#include "soma/layers/neurons/plif_layer.hpp"

namespace soma {

void register_builtin_layers(LayerRegistry& r) {
  // --- dense kernels and stateless layers (issue 2)
  r.add({"linear", &make_linear, "y = x W^T + b on [T*N, F]", "{type: linear, out_features: 4}",
         Shape{8}, 1});
  r.add({"conv2d", &make_conv2d, "2-D convolution (im2col + GEMM) on [T*N, C, H, W]",
         "{type: conv2d, out_channels: 4, kernel: 3, padding: 1}", Shape{2, 8, 8}, 1});
  r.add({"maxpool2d", &make_maxpool2d, "max over kh x kw windows per channel",
         "{type: maxpool2d, kernel: 2}", Shape{2, 8, 8}, 1});
  r.add({"avgpool2d", &make_avgpool2d, "mean over kh x kw windows per channel",
         "{type: avgpool2d, kernel: 2}", Shape{2, 8, 8}, 1});
  r.add({"adaptive_avgpool2d", &make_adaptive_avgpool2d,
         "mean over PyTorch's adaptive bins to [C, oh, ow]",
         "{type: adaptive_avgpool2d, output_size: [2, 2]}", Shape{2, 8, 8}, 1});
  r.add({"global_avgpool2d", &make_global_avgpool2d, "mean over H, W: [C, H, W] -> [C]",
         "{type: global_avgpool2d}", Shape{2, 8, 8}, 1});
  r.add({"flatten", &make_flatten, "[C, H, W] -> [C*H*W] (a reshape)", "{type: flatten}",
         Shape{2, 4, 4}, 1});
  r.add({"dropout", &make_dropout, "inverted dropout y = x * mask / (1 - p); identity in eval",
         "{type: dropout, p: 0.5}", Shape{16}, 1});
  r.add({"batchnorm", &make_batchnorm, "batch norm per channel over T*N(*H*W)",
         "{type: batchnorm}", Shape{2, 4, 4}, 1});
  r.add({"relu", &make_relu, "y = max(x, 0)", "{type: relu}", Shape{16}, 1});
  r.add({"leaky_relu", &make_leaky_relu, "y = x if x > 0 else negative_slope * x",
         "{type: leaky_relu, negative_slope: 0.01}", Shape{16}, 1});
  r.add({"selu", &make_selu, "y = scale * (x if x > 0 else alpha (e^x - 1))", "{type: selu}",
         Shape{16}, 1});
  r.add({"sigmoid", &make_sigmoid, "y = 1 / (1 + e^-x)", "{type: sigmoid}", Shape{16}, 1});
  r.add({"tanh", &make_tanh, "y = tanh(x)", "{type: tanh}", Shape{16}, 1});
  r.add({"identity", &make_identity, "y = x", "{type: identity}", Shape{16}, 1});
  r.add({"clamp", &make_clamp, "y = min(max(x, min), max) (LIAF-Net's output clamp)",
         "{type: clamp, min: 0.0, max: 1.0}", Shape{16}, 1});
  r.add({"add", &make_add, "y = x_1 + ... + x_k (same shapes)", "{type: add}", Shape{4, 4, 4},
         2});
  r.add({"concat", &make_concat, "concatenate along channels (per-step axis 0)",
         "{type: concat}", Shape{4, 4, 4}, 2});
  r.add({"readout", &make_readout, "reduce over time: [T, N, ...] -> [1, N, ...]",
         "{type: readout, mode: mean_over_time}", Shape{10}, 1});
  r.add({"vote", &make_vote, "mean of consecutive groups of k neurons: [F] -> [F/k]",
         "{type: vote, groups: 10}", Shape{100}, 1});

  // --- spiking and analog-fire neurons (issue 2)
  r.add({"if", &make_if, "integrate-and-fire: h = v + x, s = H(h - v_th), reset; surrogate BPTT",
         "{type: if, v_threshold: 1.0}", Shape{8}});
  r.add({"lif", &make_lif,
         "leaky integrate-and-fire: h = v + (x - (v - v_reset))/tau (or decay*v + x), spike, reset",
         "{type: lif, tau: 2.0, reset: hard, surrogate: {type: atan, alpha: 2.0}}", Shape{8}});
  r.add({"plif", &make_plif, "parametric LIF: learnable tau = 1/sigmoid(w) (scalar or per channel)",
         "{type: plif, init_tau: 2.0, per_channel: true}", Shape{4, 3, 3}});
  r.add({"liaf", &make_liaf,
         "leaky integrate and analog fire: LIF dynamics, output act(h); spike only resets",
         "{type: liaf, tau: 2.0, activation: relu}", Shape{8}});
  r.add({"li", &make_li, "leaky integrator readout: v = v + (x - (v - v_reset))/tau, y = v",
         "{type: li, tau: 2.0}", Shape{8}});

  // --- deep directly-trained SNNs (issue 6): norms, NeuNorm, SEW connect, blocks
  r.add({"tdbn", &make_tdbn,
         "threshold-dependent BN: y = lambda alpha v_th (x - mu)/sigma + beta over (T, N, H, W)",
         "{type: tdbn, alpha: 0.7071, v_threshold: 1.0}", Shape{2, 4, 4}, 1});
  r.add({"bntt", &make_bntt, "batch norm through time: own statistics and affine per step",
         "{type: bntt, time_steps: 6}", Shape{2, 4, 4}, 1});
  r.add({"neunorm", &make_neunorm,
         "NeuNorm: y = o - alpha v, v[t] = k v[t-1] + coef sum_c o[t, c] (auxiliary neuron)",
         "{type: neunorm, decay: 0.9}", Shape{3, 4, 4}, 1});
  r.add({"sew_connect", &make_sew_connect, "SEW connect g(A, S): add A+S | and A*S | iand (1-A)*S",
         "{type: sew_connect, connect: iand}", Shape{4, 4, 4}, 2});
  r.add_block({"spiking_resnet_block", &expand_spiking_resnet_block,
               "Spiking ResNet block (tdBN): SN(norm(conv(SN(norm(conv x)))) + shortcut)",
               "{type: spiking_resnet_block, out_channels: 4, stride: 2}", Shape{2, 8, 8}});
  r.add_block({"sew_block", &expand_sew_block,
               "SEW ResNet block: g(SN(norm(conv(SN(norm(conv x))))), shortcut), g = add|and|iand",
               "{type: sew_block, out_channels: 4, connect: add}", Shape{4, 8, 8}});
  r.add_block({"ms_block", &expand_ms_block,
               "MS-ResNet block: x + norm(conv(SN(norm(conv(SN x))))) (membrane shortcut)",
               "{type: ms_block, out_channels: 4}", Shape{4, 8, 8}});
  r.add_block({"conv_liaf", &expand_conv_liaf, "ConvLIAF: conv2d [-> norm] -> liaf (or any neuron)",
               "{type: conv_liaf, out_channels: 4, kernel: 3}", Shape{2, 8, 8}});
  r.add_block({"dense_liaf", &expand_dense_liaf, "dense LIAF: linear [-> norm] -> liaf (or any neuron)",
               "{type: dense_liaf, out_features: 4}", Shape{8}});
}

}  // namespace soma
