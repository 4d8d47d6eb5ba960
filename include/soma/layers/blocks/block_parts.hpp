// Helpers shared by the block expanders (residual blocks, conv/dense neuron blocks): reading the
// `norm:` and `neuron:` keys of a block and writing the generated layer entries.
//
//   norm: tdbn | batchnorm | bntt | none     or a map {type: ..., eps, momentum, time_steps (bntt),
//                                             v_threshold (tdbn; default: the neuron's)}
//   neuron: {type: lif, ...}                 any neuron layer's keys (default {type: lif}); the map
//                                             is used as the config of every neuron of the block,
//                                             so its key errors point at the file
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer_registry.hpp"

namespace soma::blocks {

struct NormSpec {
  std::string type = "none";  // tdbn | batchnorm | bntt | none
  float eps = 1e-5f;
  float momentum = 0.1f;
  int64_t time_steps = 0;   // bntt
  float v_threshold = 1.f;  // tdbn
  bool none() const { return type == "none"; }
};

struct NeuronSpec {
  std::string type = "lif";
  ConfigNode config;       // the block's `neuron:` map, or a generated empty map
  bool generated = true;
};

// Reads `neuron` (default type `default_type`).
NeuronSpec parse_neuron(const ConfigNode& block, const std::string& default_type);
// Reads `norm` (default `default_type`); tdbn's v_threshold defaults to the neuron's threshold.
NormSpec parse_norm(const ConfigNode& block, const std::string& default_type,
                    const NeuronSpec& neuron);

// A float written so that it reads back exactly.
std::string yaml_float(float v);
// A generated config from flow-map text such as "{out_channels: 8, kernel: 3}".
ConfigNode generated_config(const std::string& flow_map, const std::string& block_name);

// Entry builders; `inputs` empty = the previous entry.
LayerEntry make_entry(const std::string& name, const std::string& type, const std::string& yaml,
                      const std::string& block_name, std::vector<std::string> inputs = {});
LayerEntry norm_entry(const NormSpec& n, const std::string& name, float alpha,
                      const std::string& block_name, std::vector<std::string> inputs = {});
LayerEntry neuron_entry(const NeuronSpec& n, const std::string& name,
                        std::vector<std::string> inputs = {});
// conv2d with kernel k, stride, padding k/2 and a bias only when there is no norm after it.
LayerEntry conv_entry(const std::string& name, int64_t out_channels, int64_t kernel,
                      int64_t stride, bool bias, const std::string& block_name,
                      std::vector<std::string> inputs = {});

}  // namespace soma::blocks
