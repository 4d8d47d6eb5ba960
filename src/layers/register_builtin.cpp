// The only list of built-in layer types. A new layer = header + source + one line here + a test.
#include "soma/layers/layer_registry.hpp"

namespace soma {

void register_builtin_layers(LayerRegistry& r) {
  (void)r;
}

}  // namespace soma
