// LayerRegistry: YAML type name -> factory. The one list of built-in types is
// register_builtin_layers() in src/layers/register_builtin.cpp (no static-initialiser macros:
// they vanish when the library is linked statically).
//
// A factory reads its keys from the layer's ConfigNode (validating each value where it is read,
// defaults live in the factory and only there) and gets the per-step input shape(s), so it can
// size its parameters. The builder calls ensure_all_used() afterwards: a misspelled key is an
// error. Every entry carries a minimal example config; tests build every type from it, and
// `soma layers TYPE` shows the keys the factory read with their defaults.
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

class LayerRegistry {
 public:
  void add(LayerInfo info);
  const LayerInfo* find(const std::string& type) const;
  // Throws ConfigError at `config` (its `type` key) for an unknown type, listing known ones.
  std::unique_ptr<Layer> make(const std::string& type, const ConfigNode& config,
                              const std::vector<Shape>& in) const;
  std::vector<const LayerInfo*> all() const;

  // The registry with every built-in layer.
  static const LayerRegistry& builtin();

 private:
  std::map<std::string, LayerInfo> entries_;
};

// The single list of built-in layer types.
void register_builtin_layers(LayerRegistry& registry);

}  // namespace soma
