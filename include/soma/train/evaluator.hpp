// Evaluation of a model on a dataset: loss, accuracy, confusion matrix, per-layer firing rates,
// synaptic operations and an energy estimate.
//
// Deterministic: the loader runs unshuffled with a fixed epoch index, so any random input
// encoding draws the same numbers every time; `soma eval` on a checkpoint reproduces exactly the
// accuracy measured during training. Energy = ACs * e_ac + MACs * e_mac, where a layer whose
// input is binary spikes performs one accumulate per active input synapse (ACs = density * MACs)
// and any other synaptic layer performs MACs (defaults 0.9 pJ / 4.6 pJ, 45 nm CMOS figures of
// Horowitz, ISSCC 2014, as used across the SNN literature).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "soma/data/dataset.hpp"
#include "soma/dist/communicator.hpp"
#include "soma/model/model.hpp"
#include "soma/train/loss.hpp"

namespace soma {

struct LayerSummary {
  std::string name;
  std::string type;
  bool spiking = false;
  double firing_rate = 0.0;          // mean spikes per neuron per step
  bool spike_input = false;
  double input_density = 0.0;
  double synaptic_ops_per_sample = 0.0;  // ACs if spike_input else MACs, whole window
};

struct EvalResult {
  int64_t samples = 0;
  double loss = 0.0;
  double accuracy = 0.0;
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
  std::vector<LayerSummary> layers;
  double acs_per_sample = 0.0;
  double macs_per_sample = 0.0;
  double energy_uj_per_sample = 0.0;
  double e_ac_pj = 0.9, e_mac_pj = 4.6;
  double seconds = 0.0;
};

struct EvalOptions {
  int64_t batch_size = 32;
  uint64_t seed = 0;
  double e_ac_pj = 0.9;
  double e_mac_pj = 4.6;
  int prefetch = 2;
  Communicator* comm = nullptr;  // shards the data and reduces the counts when size() > 1
};

EvalResult evaluate(Model& model, std::shared_ptr<const Dataset> data, Loss& loss,
                    const EvalOptions& opt);

}  // namespace soma
