// Inference-time folding of batch normalisation into the preceding conv2d / linear layer
// (tdBN paper, METHODS.md 2.2: "batchnorm-scale-fusion").
//
// For a pair conv -> norm, where the conv's output feeds only the norm and the norm is `tdbn` or
// `batchnorm`, with the norm's eval map y_c = s_c (x_c - mu_c) + beta_c,
//   s_c = lambda_c k / sqrt(running_var_c + eps),  k = alpha v_threshold (tdbn) or 1 (batchnorm):
//   W'_c = s_c W_c  (output channel / row c),   b'_c = s_c (b_c - mu_c) + beta_c
// computed as the norm's eval map y = scale_c x + shift_c (BatchNormLayer::eval_affine). When the
// conv has a bias, b' goes there and the norm becomes an identity; otherwise the norm becomes the
// per-channel shift y = x + b'_c (BatchNormLayer::fold()).
// The model is for inference afterwards: a folded norm refuses training, and every folded
// network gives the same eval outputs as before up to float rounding (tested).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "soma/model/model.hpp"

namespace soma {

struct FoldResult {
  std::vector<std::pair<std::string, std::string>> folded;   // (conv, norm) names
  std::vector<std::pair<std::string, std::string>> skipped;  // with the reason in .second
};

FoldResult fold_batchnorm_into_conv(Model& model);

}  // namespace soma
