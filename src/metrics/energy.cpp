#include "soma/metrics/energy.hpp"

#include <algorithm>

#include "soma/core/error.hpp"

namespace soma {

EnergyTable make_energy_table(const ConfigNode* node) {
  EnergyTable t;
  if (!node) return t;
  t.e_ac_pj = node->get_double("e_ac_pj", t.e_ac_pj);
  t.e_mac_pj = node->get_double("e_mac_pj", t.e_mac_pj);
  node->require(t.e_ac_pj > 0.0, "e_ac_pj", "must be > 0 pJ, got ", t.e_ac_pj);
  node->require(t.e_mac_pj > 0.0, "e_mac_pj", "must be > 0 pJ, got ", t.e_mac_pj);
  node->ensure_all_used();
  return t;
}

SpikeCount count_spikes(const Tensor& x) {
  const int64_t n = x.numel();
  const float* p = x.data();
  int64_t nnz = 0;
  int binary = 1;
  // Integer reductions are exact, so the OpenMP split cannot change the result.
#pragma omp parallel for simd schedule(static) reduction(+ : nnz) reduction(min : binary) \
    if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i];
    nnz += v != 0.f ? 1 : 0;
    binary = std::min(binary, (v == 0.f || v == 1.f) ? 1 : 0);
  }
  return {nnz, binary != 0};
}

SynapticOps synaptic_ops(const Tensor& x, double fan_out, int64_t macs_per_step, InputKind kind) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 3,
                "synaptic ops: expected the layer input as [T, N, ...], got ", x.shape().str());
  SynapticOps ops;
  ops.samples = x.dim(1);
  bool spikes = kind == InputKind::kSpikes;
  int64_t nnz = 0;
  if (kind != InputKind::kAnalog) {
    const SpikeCount sc = count_spikes(x);
    nnz = sc.nonzero;
    if (kind == InputKind::kAuto) spikes = sc.binary;
  }
  if (spikes) {
    ops.ac = static_cast<double>(nnz) * fan_out;
  } else {
    ops.mac = static_cast<double>(macs_per_step) * static_cast<double>(x.dim(0)) *
              static_cast<double>(x.dim(1));
  }
  return ops;
}

double linear_fan_out(int64_t out_features) { return static_cast<double>(out_features); }

int64_t linear_macs_per_step(int64_t in_features, int64_t out_features) {
  return in_features * out_features;
}

double conv2d_fan_out(int64_t out_channels, int64_t groups, int64_t kernel_h, int64_t kernel_w,
                      int64_t stride_h, int64_t stride_w) {
  SOMA_CHECK(groups >= 1 && out_channels % groups == 0 && stride_h >= 1 && stride_w >= 1,
             "conv2d fan-out: need out_channels divisible by groups >= 1 and strides >= 1, got "
             "out_channels ",
             out_channels, ", groups ", groups, ", stride ", stride_h, "x", stride_w);
  return static_cast<double>(out_channels / groups) * static_cast<double>(kernel_h * kernel_w) /
         static_cast<double>(stride_h * stride_w);
}

int64_t conv2d_macs_per_step(int64_t in_channels, int64_t out_channels, int64_t groups,
                             int64_t kernel_h, int64_t kernel_w, int64_t out_h, int64_t out_w) {
  SOMA_CHECK(groups >= 1 && in_channels % groups == 0, "conv2d MACs: in_channels ", in_channels,
             " not divisible by groups ", groups);
  return out_channels * (in_channels / groups) * kernel_h * kernel_w * out_h * out_w;
}

double energy_pj(const SynapticOps& ops, const EnergyTable& table) {
  return ops.ac * table.e_ac_pj + ops.mac * table.e_mac_pj;
}

void EnergyMeter::add(std::string_view layer, const SynapticOps& ops) {
  for (auto& e : entries_) {
    if (e.layer == layer) {
      e.ops.ac += ops.ac;
      e.ops.mac += ops.mac;
      e.ops.samples += ops.samples;
      return;
    }
  }
  entries_.push_back(Entry{std::string(layer), ops});
}

SynapticOps EnergyMeter::total() const {
  SynapticOps t;
  for (const auto& e : entries_) {
    t.ac += e.ops.ac;
    t.mac += e.ops.mac;
    t.samples = std::max(t.samples, e.ops.samples);
  }
  return t;
}

double EnergyMeter::energy_pj() const { return soma::energy_pj(total(), table_); }

double EnergyMeter::energy_per_sample_pj() const {
  double s = 0.0;
  for (const auto& e : entries_)
    if (e.ops.samples > 0) s += soma::energy_pj(e.ops, table_) / static_cast<double>(e.ops.samples);
  return s;
}

}  // namespace soma
