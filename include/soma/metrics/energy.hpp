// Synaptic-operation counts and energy estimates, per layer.
//
// A synaptic layer (linear, conv) with input x [T, N, ...] costs, over the whole window:
//   binary spike input (every element 0 or 1):  accumulates  AC  = nnz(x) * fan_out
//   analog input (anything else, e.g. the first layer under direct encoding, or LIAF outputs):
//                                                multiply-accumulates MAC = macs_per_step * N * T
// where fan_out is the number of synapses one input element drives and macs_per_step the
// layer's dense synaptic operations for one sample and one time step:
//   linear  fan_out = out_features
//           macs_per_step = in_features * out_features
//   conv2d  fan_out = (out_channels / groups) * kH * kW / (sH * sW)
//           macs_per_step = out_channels * (in_channels / groups) * kH * kW * H_out * W_out
// The conv fan-out is an approximation: each input pixel feeds (out_channels / groups) output
// channels at about kH*kW / (sH*sW) output positions. It is exact for interior pixels at stride 1;
// pixels near the border (zero padding) feed fewer positions, so AC is slightly over-counted.
//   energy [pJ] = AC * e_ac_pj + MAC * e_mac_pj
// with e_ac_pj = 0.9 and e_mac_pj = 4.6 by default: 32-bit float add and multiply-add energies
// at 45 nm from Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
// the table most SNN papers use for their energy comparisons. Configurable
// (a YAML map such as `energy: {e_ac_pj: 0.9, e_mac_pj: 4.6}`, read by make_energy_table).
// These are plain functions on tensors and counts, independent of the layer classes: the
// trainer asks each synaptic layer for its fan-out and macs_per_step and passes its input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soma/core/config_node.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

struct EnergyTable {
  double e_ac_pj = 0.9;   // one accumulate (32-bit float add, 45 nm)
  double e_mac_pj = 4.6;  // one multiply-accumulate (32-bit float mult + add, 45 nm)
};
// Reads {e_ac_pj, e_mac_pj} (both optional, > 0); null -> defaults. Checks for unknown keys.
EnergyTable make_energy_table(const ConfigNode* node);

// Nonzero count and whether every element is 0 or 1, in one pass (exact for any thread count).
struct SpikeCount {
  int64_t nonzero = 0;
  bool binary = true;
};
SpikeCount count_spikes(const Tensor& x);

enum class InputKind { kAuto, kSpikes, kAnalog };  // kAuto: spikes iff every element is 0 or 1

struct SynapticOps {
  double ac = 0.0;
  double mac = 0.0;
  int64_t samples = 0;  // N of the batch(es) counted
};

// Ops of one synaptic layer for one window; x is its input [T, N, ...].
SynapticOps synaptic_ops(const Tensor& x, double fan_out, int64_t macs_per_step,
                         InputKind kind = InputKind::kAuto);

double linear_fan_out(int64_t out_features);
int64_t linear_macs_per_step(int64_t in_features, int64_t out_features);
double conv2d_fan_out(int64_t out_channels, int64_t groups, int64_t kernel_h, int64_t kernel_w,
                      int64_t stride_h = 1, int64_t stride_w = 1);
int64_t conv2d_macs_per_step(int64_t in_channels, int64_t out_channels, int64_t groups,
                             int64_t kernel_h, int64_t kernel_w, int64_t out_h, int64_t out_w);

double energy_pj(const SynapticOps& ops, const EnergyTable& table);

// Accumulates ops per layer over batches; reports totals and per-sample values.
class EnergyMeter {
 public:
  struct Entry {
    std::string layer;
    SynapticOps ops;
  };
  explicit EnergyMeter(EnergyTable table = {}) : table_(table) {}

  void add(std::string_view layer, const SynapticOps& ops);
  const std::vector<Entry>& entries() const { return entries_; }  // in first-added order
  SynapticOps total() const;  // summed over layers (samples: the largest count)
  double energy_pj() const;   // everything added
  // Mean energy of one sample: per layer, energy / samples seen by that layer, summed.
  double energy_per_sample_pj() const;
  const EnergyTable& table() const { return table_; }
  void reset() { entries_.clear(); }

 private:
  EnergyTable table_;
  std::vector<Entry> entries_;
};

}  // namespace soma
