// Surrogate gradients for the spike function s = H(z), z = h - v_threshold.
//
// Forward a neuron fires s = H(z) with H(0) = 1 (s = 1 when h >= v_threshold), matching
// SpikingJelly's heaviside (x >= 0) and SpikeATan in /work/shared/bench/torch_reference.py.
// Backward replaces dH/dz (a Dirac delta) by a bump grad(z). Each surrogate also has a smooth
// primitive(z) = integral_{-inf}^{z} grad(u) du, so d primitive / dz == grad exactly: a layer with
// `spike_fn: primitive` emits primitive(z) instead of H(z) and its whole BPTT path can be checked
// by finite differences (SpikingJelly surrogate.py `spiking=False`).
//
//   type          param [def]    grad(z)                                primitive(z)
//   rectangular   a     [1]      1[|z| < a/2] / a                       clamp(z/a + 1/2, 0, 1)
//   triangle      w     [1]      max(0, w - |z|) / w^2                  piecewise quadratic
//   sigmoid       alpha [4]      alpha sig(alpha z) (1 - sig(alpha z))  sig(alpha z)
//   atan          alpha [2]      (alpha/2) / (1 + (pi/2 alpha z)^2)     atan(pi/2 alpha z)/pi + 1/2
//   fast_sigmoid  alpha [25]     1 / (1 + alpha |z|)^2                  1/alpha + z/(1 + alpha|z|)
//   gaussian      sigma [0.5]    exp(-z^2 / (2 sigma^2))                (1+erf(z/(sigma sqrt2)))/2
//                                  / (sqrt(2 pi) sigma)
//
// Every grad integrates to 1 over the real line except fast_sigmoid (integral 2/alpha; it is
// snnTorch's "fast sigmoid" slope-k form, Zenke & Ganguli 2018 SuperSpike, kept as is).
// Sources: STBP (Wu et al. 2018) h1 rectangular, h2 triangle, h3 sigmoid, h4 gaussian;
// atan from Fang et al. 2021 (PLIF paper / SpikingJelly); fast sigmoid from SuperSpike.
//
// YAML (a neuron layer's key): surrogate: {type: atan, alpha: 2.0}   (default atan, alpha 2)
// The parameter key is the one named in the table (a, w, alpha, sigma) and must be > 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace soma {

class ConfigNode;

enum class SurrogateKind { kRectangular, kTriangle, kSigmoid, kAtan, kFastSigmoid, kGaussian };

struct Surrogate {
  SurrogateKind kind = SurrogateKind::kAtan;
  float param = 2.f;  // a | w | alpha | sigma, by kind

  static constexpr float kPi = 3.14159265358979323846f;

  // d(spike)/dz used by backward.
  float grad(float z) const {
    const float p = param;
    switch (kind) {
      case SurrogateKind::kRectangular: return std::fabs(z) < 0.5f * p ? 1.f / p : 0.f;
      case SurrogateKind::kTriangle: {
        const float d = p - std::fabs(z);
        return d > 0.f ? d / (p * p) : 0.f;
      }
      case SurrogateKind::kSigmoid: {
        const float s = 1.f / (1.f + std::exp(-p * z));
        return p * s * (1.f - s);
      }
      case SurrogateKind::kAtan: {
        const float u = 0.5f * kPi * p * z;
        return 0.5f * p / (1.f + u * u);
      }
      case SurrogateKind::kFastSigmoid: {
        const float d = 1.f + p * std::fabs(z);
        return 1.f / (d * d);
      }
      case SurrogateKind::kGaussian:
        return std::exp(-z * z / (2.f * p * p)) / (2.50662827463100050f * p);  // sqrt(2 pi)
    }
    return 0.f;
  }

  // The smooth stand-in for H(z): integral of grad from -inf to z.
  float primitive(float z) const {
    const float p = param;
    switch (kind) {
      case SurrogateKind::kRectangular: return std::fmin(1.f, std::fmax(0.f, z / p + 0.5f));
      case SurrogateKind::kTriangle: {
        if (z <= -p) return 0.f;
        if (z >= p) return 1.f;
        const float inv = 1.f / (2.f * p * p);
        return z < 0.f ? (p + z) * (p + z) * inv : 1.f - (p - z) * (p - z) * inv;
      }
      case SurrogateKind::kSigmoid: return 1.f / (1.f + std::exp(-p * z));
      case SurrogateKind::kAtan: return std::atan(0.5f * kPi * p * z) / kPi + 0.5f;
      case SurrogateKind::kFastSigmoid: return 1.f / p + z / (1.f + p * std::fabs(z));
      case SurrogateKind::kGaussian:
        return 0.5f * (1.f + std::erf(z / (p * 1.41421356237309505f)));
    }
    return 0.f;
  }

  // Array forms (the switch on kind sits outside the loop): out[i] = grad(z[i]) / primitive(z[i]).
  void grad(const float* z, float* out, int64_t n) const;
  void primitive(const float* z, float* out, int64_t n) const;

  // YAML spelling of the kind ("fast_sigmoid") and of its parameter ("alpha").
  std::string_view name() const;
  std::string_view param_name() const;
  // The default parameter of a kind (table above).
  static float default_param(SurrogateKind kind);

  // Reads `key` of a layer's config map: absent -> atan(2); a map {type, <param>} otherwise.
  // An unknown type is a ConfigError listing the choices; a non-positive param is rejected.
  static Surrogate parse(const ConfigNode& layer_config, std::string_view key = "surrogate");
};

// Calls f(std::integral_constant<SurrogateKind, K>{}) for the runtime kind: inside f the kind is a
// compile-time constant, so grad()/primitive() of `Surrogate{k.value, param}` fold their switch
// and loops over arrays vectorise.
template <typename F>
void with_surrogate_kind(SurrogateKind kind, F&& f) {
  using K = SurrogateKind;
  switch (kind) {
    case K::kRectangular: f(std::integral_constant<K, K::kRectangular>{}); return;
    case K::kTriangle: f(std::integral_constant<K, K::kTriangle>{}); return;
    case K::kSigmoid: f(std::integral_constant<K, K::kSigmoid>{}); return;
    case K::kAtan: f(std::integral_constant<K, K::kAtan>{}); return;
    case K::kFastSigmoid: f(std::integral_constant<K, K::kFastSigmoid>{}); return;
    case K::kGaussian: f(std::integral_constant<K, K::kGaussian>{}); return;
  }
}

}  // namespace soma
