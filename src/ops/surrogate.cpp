#include "soma/ops/surrogate.hpp"

#include <string>

#include "soma/core/config_node.hpp"

namespace soma {

namespace {

struct KindInfo {
  SurrogateKind kind;
  const char* name;
  const char* param;
  float def;
};

constexpr KindInfo kKinds[] = {
    {SurrogateKind::kRectangular, "rectangular", "a", 1.f},
    {SurrogateKind::kTriangle, "triangle", "w", 1.f},
    {SurrogateKind::kSigmoid, "sigmoid", "alpha", 4.f},
    {SurrogateKind::kAtan, "atan", "alpha", 2.f},
    {SurrogateKind::kFastSigmoid, "fast_sigmoid", "alpha", 25.f},
    {SurrogateKind::kGaussian, "gaussian", "sigma", 0.5f},
};

const KindInfo& info(SurrogateKind k) {
  for (const auto& i : kKinds)
    if (i.kind == k) return i;
  return kKinds[3];
}

}  // namespace

void Surrogate::grad(const float* z, float* out, int64_t n) const {
  with_surrogate_kind(kind, [&](auto k) {
    const Surrogate s{k.value, param};
    for (int64_t i = 0; i < n; ++i) out[i] = s.grad(z[i]);
  });
}

void Surrogate::primitive(const float* z, float* out, int64_t n) const {
  with_surrogate_kind(kind, [&](auto k) {
    const Surrogate s{k.value, param};
    for (int64_t i = 0; i < n; ++i) out[i] = s.primitive(z[i]);
  });
}

std::string_view Surrogate::name() const { return info(kind).name; }
std::string_view Surrogate::param_name() const { return info(kind).param; }
float Surrogate::default_param(SurrogateKind kind) { return info(kind).def; }

Surrogate Surrogate::parse(const ConfigNode& layer_config, std::string_view key) {
  const auto node = layer_config.find(key);
  if (!node) return Surrogate{};
  if (!node->is_map())
    layer_config.fail_at(key, "expected a map such as {type: atan, alpha: 2.0}");
  const std::string type = node->get_choice(
      "type", {"rectangular", "triangle", "sigmoid", "atan", "fast_sigmoid", "gaussian"}, "atan");
  Surrogate sg;
  for (const auto& i : kKinds)
    if (type == i.name) sg.kind = i.kind;
  const std::string pname = std::string(sg.param_name());
  sg.param = node->get_float(pname, default_param(sg.kind));
  node->require(sg.param > 0.f && std::isfinite(sg.param), pname,
                "must be a finite number > 0 (width/sharpness of the surrogate), got ", sg.param);
  node->ensure_all_used();
  return sg;
}

}  // namespace soma
