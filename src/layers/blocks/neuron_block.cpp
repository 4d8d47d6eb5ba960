#include "soma/layers/blocks/neuron_block.hpp"

#include "soma/layers/blocks/block_parts.hpp"

namespace soma {

using namespace blocks;

namespace {

void finish(BlockExpansion& ex, const NormSpec& norm, const NeuronSpec& neuron,
            const std::string& name) {
  if (!norm.none()) ex.layers.push_back(norm_entry(norm, name + ".norm", 1.f, name));
  ex.layers.push_back(neuron_entry(neuron, name));
}

}  // namespace

BlockExpansion expand_conv_liaf(const ConfigNode& b, const std::string& name,
                                const std::string& input, const Shape& in) {
  SOMA_CHECK_AS(ShapeError, in.rank() == 3, "conv_liaf takes a per-step input [C, H, W], got ",
                in.str());
  const int64_t out = b.get_int("out_channels");
  b.require(out >= 1, "out_channels", "must be >= 1, got ", out);
  const int64_t kernel = b.get_int("kernel", 3);
  b.require(kernel >= 1, "kernel", "must be >= 1, got ", kernel);
  const int64_t stride = b.get_int("stride", 1);
  b.require(stride >= 1, "stride", "must be >= 1, got ", stride);
  const int64_t padding = b.get_int("padding", kernel / 2);
  b.require(padding >= 0, "padding", "must be >= 0, got ", padding);
  const NeuronSpec neuron = parse_neuron(b, "liaf");
  const NormSpec norm = parse_norm(b, "none", neuron);
  const bool bias = b.get_bool("bias", norm.none());
  BlockExpansion ex;
  ex.layers.push_back(make_entry(name + ".conv", "conv2d",
                                 str_cat("{out_channels: ", out, ", kernel: ", kernel,
                                         ", stride: ", stride, ", padding: ", padding,
                                         ", bias: ", bias ? "true" : "false", "}"),
                                 name, {input}));
  finish(ex, norm, neuron, name);
  return ex;
}

BlockExpansion expand_dense_liaf(const ConfigNode& b, const std::string& name,
                                 const std::string& input, const Shape& in) {
  SOMA_CHECK_AS(ShapeError, in.rank() == 1,
                "dense_liaf takes a per-step input [F] (flatten first), got ", in.str());
  const int64_t out = b.get_int("out_features");
  b.require(out >= 1, "out_features", "must be >= 1, got ", out);
  const NeuronSpec neuron = parse_neuron(b, "liaf");
  const NormSpec norm = parse_norm(b, "none", neuron);
  const bool bias = b.get_bool("bias", norm.none());
  BlockExpansion ex;
  ex.layers.push_back(make_entry(name + ".fc", "linear",
                                 str_cat("{out_features: ", out, ", bias: ",
                                         bias ? "true" : "false", "}"),
                                 name, {input}));
  finish(ex, norm, neuron, name);
  return ex;
}

}  // namespace soma
