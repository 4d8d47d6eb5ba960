#include "soma/layers/blocks/residual_block.hpp"

#include <cmath>

#include "soma/layers/blocks/block_parts.hpp"
#include "soma/layers/sew_connect.hpp"

namespace soma {
namespace {

using namespace blocks;

enum class Style { kSpiking, kSew, kMs };

struct ResidualSpec {
  int64_t out = 0, mid = 0, stride = 1;
  bool bottleneck = false;
  bool project = false;
  NeuronSpec neuron;
  NormSpec norm;
  float alpha_r = 1.f;
  bool zero_init = false;
  float and_bias = 1.f;
  std::string connect = "add";
};

ResidualSpec parse_spec(const ConfigNode& b, Style style, const Shape& in) {
  SOMA_CHECK_AS(ShapeError, in.rank() == 3, "residual blocks take a per-step input [C, H, W], got ",
                in.str());
  ResidualSpec s;
  s.out = b.get_int("out_channels");
  b.require(s.out >= 1, "out_channels", "must be >= 1, got ", s.out);
  s.stride = b.get_int("stride", 1);
  b.require(s.stride >= 1, "stride", "must be >= 1, got ", s.stride);
  s.bottleneck = b.get_choice("variant", {"basic", "bottleneck"}, "basic") == "bottleneck";
  s.mid = b.get_int("mid_channels", s.bottleneck ? std::max<int64_t>(1, s.out / 4) : s.out);
  b.require(s.mid >= 1, "mid_channels", "must be >= 1, got ", s.mid);
  s.neuron = parse_neuron(b, "lif");
  s.norm = parse_norm(b, style == Style::kSpiking ? "tdbn" : "batchnorm", s.neuron);
  const std::string shortcut = b.get_choice("shortcut", {"auto", "projection", "identity"}, "auto");
  const bool changes = in[0] != s.out || s.stride != 1;
  if (shortcut == "identity" && changes)
    b.fail_at("shortcut", str_cat("identity shortcut needs the same shape in and out, but the "
                                  "block maps ", in[0], " to ", s.out, " channels with stride ",
                                  s.stride, " (use auto or projection)"));
  s.project = shortcut == "projection" || (shortcut == "auto" && changes);
  s.alpha_r = b.get_float("residual_alpha", style == Style::kSew ? 1.f : float(1.0 / std::sqrt(2.0)));
  b.require(s.alpha_r > 0.f, "residual_alpha", "must be > 0, got ", s.alpha_r);
  s.zero_init = b.get_bool("zero_init_residual", false);
  if (s.zero_init && s.norm.none())
    b.fail_at("zero_init_residual", "needs a norm layer (its weight is what starts at 0)");
  if (style == Style::kSew) {
    s.connect = b.get_choice("connect", {"add", "and", "iand"}, "add");
    s.and_bias = b.get_float("and_init_bias", 1.f);
  }
  return s;
}

// conv (+ norm) named `<name>.<part>conv<suffix>` / `...norm...`; returns the last layer's name.
std::string conv_norm(BlockExpansion& ex, const ResidualSpec& s, const std::string& name,
                      const std::string& conv, const std::string& norm, int64_t out,
                      int64_t kernel, int64_t stride, float alpha,
                      std::vector<std::string> inputs) {
  ex.layers.push_back(conv_entry(conv, out, kernel, stride, s.norm.none(), name, std::move(inputs)));
  if (s.norm.none()) return conv;
  ex.layers.push_back(norm_entry(s.norm, norm, alpha, name));
  return norm;
}

std::string projection(BlockExpansion& ex, const ResidualSpec& s, const std::string& name,
                       const std::string& input, float alpha) {
  return conv_norm(ex, s, name, name + ".down_conv", name + ".down_norm", s.out, 1, s.stride,
                   alpha, {input});
}

// The residual branch: convs with norms and neurons in between. `neuron_first` (MS): a neuron
// before every conv; otherwise neurons between the conv stages. Returns the last layer's name
// (a norm, or conv with norm none) and remembers the last norm for zero-init.
std::string branch(BlockExpansion& ex, const ResidualSpec& s, const std::string& name,
                   const std::string& input, bool neuron_first, std::string& last_norm) {
  struct Stage { int64_t out, kernel, stride; };
  std::vector<Stage> stages;
  if (s.bottleneck)
    stages = {{s.mid, 1, 1}, {s.mid, 3, s.stride}, {s.out, 1, 1}};
  else
    stages = {{s.mid, 3, s.stride}, {s.out, 3, 1}};
  std::string prev = input;
  for (size_t i = 0; i < stages.size(); ++i) {
    const int k = static_cast<int>(i) + 1;
    const bool last = i + 1 == stages.size();
    if (neuron_first || i > 0) {
      const std::string sn = str_cat(name, ".sn", neuron_first ? k : k - 1);
      ex.layers.push_back(neuron_entry(s.neuron, sn, {prev}));
      prev = sn;
    }
    prev = conv_norm(ex, s, name, str_cat(name, ".conv", k), str_cat(name, ".norm", k),
                     stages[i].out, stages[i].kernel, stages[i].stride,
                     last ? s.alpha_r : 1.f, {prev});
    if (last) last_norm = s.norm.none() ? "" : prev;
  }
  return prev;
}

void zero_init(BlockExpansion& ex, const ResidualSpec& s, const std::string& last_norm,
               bool and_connect) {
  if (!s.zero_init) return;
  ex.overrides.push_back({last_norm + "/weight", 0.f});
  if (and_connect) ex.overrides.push_back({last_norm + "/bias", s.and_bias});
}

}  // namespace

BlockExpansion expand_spiking_resnet_block(const ConfigNode& b, const std::string& name,
                                           const std::string& input, const Shape& in) {
  const ResidualSpec s = parse_spec(b, Style::kSpiking, in);
  BlockExpansion ex;
  std::string last_norm;
  const std::string a = branch(ex, s, name, input, false, last_norm);
  std::string sc = input;
  if (s.project) sc = projection(ex, s, name, input, s.alpha_r);
  zero_init(ex, s, last_norm, false);
  ex.layers.push_back(make_entry(name + ".add", "add", "{}", name, {a, sc}));
  ex.layers.push_back(neuron_entry(s.neuron, name));
  return ex;
}

BlockExpansion expand_sew_block(const ConfigNode& b, const std::string& name,
                                const std::string& input, const Shape& in) {
  const ResidualSpec s = parse_spec(b, Style::kSew, in);
  BlockExpansion ex;
  std::string last_norm;
  std::string a = branch(ex, s, name, input, false, last_norm);
  const std::string a_sn = str_cat(name, ".sn", s.bottleneck ? 3 : 2);
  ex.layers.push_back(neuron_entry(s.neuron, a_sn, {a}));
  std::string sc = input;
  if (s.project) {
    const std::string d = projection(ex, s, name, input, s.alpha_r);
    sc = name + ".down_sn";
    ex.layers.push_back(neuron_entry(s.neuron, sc, {d}));
  }
  zero_init(ex, s, last_norm, s.connect == "and");
  ex.layers.push_back(
      make_entry(name, "sew_connect", str_cat("{connect: ", s.connect, "}"), name, {a_sn, sc}));
  return ex;
}

BlockExpansion expand_ms_block(const ConfigNode& b, const std::string& name,
                               const std::string& input, const Shape& in) {
  const ResidualSpec s = parse_spec(b, Style::kMs, in);
  BlockExpansion ex;
  std::string last_norm;
  const std::string a = branch(ex, s, name, input, true, last_norm);
  std::string sc = input;
  if (s.project) sc = projection(ex, s, name, input, s.alpha_r);
  zero_init(ex, s, last_norm, false);
  ex.layers.push_back(make_entry(name, "add", "{}", name, {a, sc}));
  return ex;
}

}  // namespace soma
