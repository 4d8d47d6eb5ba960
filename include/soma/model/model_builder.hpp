// ModelBuilder: the `model:` section of a config -> a Model with initialised parameters.
//
//   model:
//     input: {shape: [2, 34, 34]}       # per-step input shape; optional when the data defines it
//     layers:
//       - {name: conv1, type: conv2d, out_channels: 32, kernel: 3, padding: 1}
//       - {name: lif1, type: lif, tau: 2.0}
//       - {name: skip, type: add, inputs: [lif1, conv1]}   # DAG: name earlier nodes or `input`
//     head:                             # optional: appended after `layers:` (the classifier; a
//       - {name: fc, type: linear, out_features: 10}   #  variant config can replace it alone)
//     recompute: none                   # activation checkpointing (Model): none (default),
//                                       #  stateless, or a list of layer names [bn1, conv2]
// An entry whose type is a block (registry.find_block) expands into several layers named
// `<block>.<part>`, the last one named `<block>` (docs/layers.md lists the blocks and parts).
// Layers are sequential unless they name `inputs:`. Names are unique (default: <type><index>).
// Shapes are inferred layer by layer at build time, so a shape error names the layer's config
// position before any data is read. Every layer's keys are checked (unknown key -> ConfigError).
// Parameters are initialised from `seed` (one stream, declaration order), so the same config and
// seed give the same weights on every machine and rank.
// `recompute`: `stateless` marks what Model::stateless_recompute_set() picks (the layers whose
// recomputation saves memory); a list marks exactly the named layers, each of which must be
// recomputable (neurons and dropout are not); unknown or repeated names are ConfigErrors at the
// name's line. The choice changes memory and time only: results are bit-identical.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer_registry.hpp"
#include "soma/model/model.hpp"

namespace soma {

// `data_shape` is the per-step shape the data delivers (checked against model.input.shape).
std::unique_ptr<Model> build_model(const ConfigNode& model_config, uint64_t seed,
                                   std::optional<Shape> data_shape = std::nullopt,
                                   const LayerRegistry& registry = LayerRegistry::builtin());

}  // namespace soma
