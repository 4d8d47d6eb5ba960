// The only list of built-in layer types. A new layer = header + source + one line here + a test.
#include "soma/layers/layer_registry.hpp"
#include "soma/layers/neurons/if_layer.hpp"
#include "soma/layers/neurons/li_layer.hpp"
#include "soma/layers/neurons/liaf_layer.hpp"
#include "soma/layers/neurons/lif_layer.hpp"
#include "soma/layers/neurons/plif_layer.hpp"

namespace soma {

void register_builtin_layers(LayerRegistry& r) {
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
}

}  // namespace soma
