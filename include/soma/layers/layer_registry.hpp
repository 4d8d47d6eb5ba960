// LayerRegistry: YAML type name -> factory. The one list of built-in types is
// register_builtin_layers() in src/layers/register_builtin.cpp (no static-initialiser macros:
// they vanish when the library is linked statically).
//
// A factory reads its keys from the layer's ConfigNode (validating each value where it is read,
// defaults live in the factory and only there) and gets the per-step input shape(s), so it can
// size its parameters. The builder calls ensure_all_used() afterwards: a misspelled key is an
// error. Every entry carries a minimal example config; tests build every type from it, and
// `soma layers TYPE` shows the keys the factory read with their defaults.
//
// Blocks (residual blocks, ConvLIAF, ...) are registered next to layers with add_block(): a
// BlockExpander turns one YAML entry into a list of layer entries (LayerEntry) with derived names
// `<block>.<part>`; the last entry takes the block's own name, so later layers can name the block
// in `inputs:`. The builder builds the entries like ordinary layers; errors in generated entries
// are reported at the block's config position.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/layers/layer.hpp"

namespace soma {

using LayerFactory =
    std::function<std::unique_ptr<Layer>(const ConfigNode& config, const std::vector<Shape>& in)>;

struct LayerInfo {
  std::string type;
  LayerFactory make;
  std::string summary;       // one line: the maths
  std::string example_yaml;  // a minimal layer entry, e.g. "{type: lif, tau: 2.0}"
  Shape example_input;       // per-step input shape for the example
  int example_inputs = 1;    // how many inputs of that shape (merge nodes: 2)
};

// One layer produced by a block expander.
struct LayerEntry {
  std::string name;                 // unique, `<block>.<part>`; the last entry: `<block>`
  std::string type;                 // a layer type of the registry
  std::vector<std::string> inputs;  // names of earlier nodes (or `input`); empty: previous entry
  ConfigNode config;                // the factory's keys (name/type/inputs are not in it)
  bool generated = true;            // config was written by the expander (no file position)
  std::vector<std::string> ignore;  // keys of `config` the builder marks used (e.g. `type`)
};

// A parameter value set after initialisation (zero-init of the last BN of a residual branch).
struct ParamOverride {
  std::string param;  // "<layer>/<param>"
  float value = 0.f;
};

struct BlockExpansion {
  std::vector<LayerEntry> layers;
  std::vector<ParamOverride> overrides;
};

// `block`: the YAML entry (the expander reads its keys; the builder has read name, type, inputs);
// `name`: the block's name; `input`: the name of its input node; `in`: its per-step shape.
using BlockExpander = std::function<BlockExpansion(
    const ConfigNode& block, const std::string& name, const std::string& input, const Shape& in)>;

struct BlockInfo {
  std::string type;
  BlockExpander expand;
  std::string summary;
  std::string example_yaml;
  Shape example_input;
};

class LayerRegistry {
 public:
  void add(LayerInfo info);
  void add_block(BlockInfo info);
  const LayerInfo* find(const std::string& type) const;
  const BlockInfo* find_block(const std::string& type) const;
  std::vector<const BlockInfo*> all_blocks() const;
  // Throws ConfigError at `config` (its `type` key) for an unknown type, listing known ones
  // (layers and blocks).
  std::unique_ptr<Layer> make(const std::string& type, const ConfigNode& config,
                              const std::vector<Shape>& in) const;
  std::vector<const LayerInfo*> all() const;

  // The registry with every built-in layer.
  static const LayerRegistry& builtin();

 private:
  std::map<std::string, LayerInfo> entries_;
  std::map<std::string, BlockInfo> blocks_;
};

// The single list of built-in layer types.
void register_builtin_layers(LayerRegistry& registry);

}  // namespace soma
