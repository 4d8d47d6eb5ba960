// Model: a DAG of named layers over one flat ParamStore, run forward in order and backward in
// reverse (ARCHITECTURE.md sections 1 and 4).
//
// Nodes are kept in config order, which is a topological order (a node may only name earlier
// nodes, or `input`, in `inputs:`). forward() returns the last node's output [T, N, ...].
// backward() takes dL/d(output), runs each layer's backward once, summing the gradients of
// outputs that fan out to several consumers (Caffe's split layers), and returns dL/d(input).
// Parameter gradients accumulate in the ParamStore; the trainer zeroes them per step.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "soma/layers/layer.hpp"
#include "soma/model/param_store.hpp"

namespace soma {

// What one forward pass measured per layer (for metrics and energy estimates).
struct LayerStats {
  std::string name;
  std::string type;
  bool spiking = false;         // output is binary spikes
  double firing_rate = 0.0;     // mean of the output when spiking
  bool spike_input = false;     // input is binary (so synapses accumulate instead of MAC)
  double input_density = 0.0;   // fraction of nonzero inputs
  double synaptic_ops = 0.0;    // MACs (analog input) or ACs (spike input), whole batch
};

class Model {
 public:
  struct Node {
    std::string name;
    std::unique_ptr<Layer> layer;
    std::vector<int> inputs;  // node indices; -1 is the model input
    Shape out_shape;          // per-step
    int consumers = 0;        // how many later nodes read this output (+1 for the last node)
  };

  Model(Shape input_shape, std::vector<Node> nodes, std::unique_ptr<ParamStore> params);

  // x: [T, N, ...input_shape]. With `stats`, fills one LayerStats per node.
  Tensor forward(const Tensor& x, RunContext& ctx, std::vector<LayerStats>* stats = nullptr);
  // grad_y: dL/d(output) [T, N, ...output_shape]; returns dL/dx. `on_node_done(i)`, when set,
  // runs right after node i's backward (nodes visited last to first, each once, including
  // nodes no gradient reaches): node i's parameter gradients are final from then on, which lets
  // the trainer start their all-reduce while the earlier layers still run.
  Tensor backward(const Tensor& grad_y, RunContext& ctx,
                  const std::function<void(size_t)>& on_node_done = nullptr);
  void reset_state();

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return nodes_.back().out_shape; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node* find(const std::string& name) const;
  ParamStore& params() { return *params_; }
  const ParamStore& params() const { return *params_; }
  // The last forward's output of every node (kept only when ctx.record_state was set).
  const std::vector<Tensor>& recorded_outputs() const { return recorded_; }

 private:
  Shape input_shape_;
  std::vector<Node> nodes_;
  std::unique_ptr<ParamStore> params_;
  std::vector<Tensor> recorded_;
};

}  // namespace soma
