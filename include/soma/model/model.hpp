// Model: a DAG of named layers over one flat ParamStore, run forward in order and backward in
// reverse (ARCHITECTURE.md sections 1 and 4).
//
// Nodes are kept in config order, which is a topological order (a node may only name earlier
// nodes, or `input`, in `inputs:`). forward() returns the last node's output [T, N, ...].
// backward() takes dL/d(output), runs each layer's backward once, summing the gradients of
// outputs that fan out to several consumers (Caffe's split layers), and returns dL/d(input).
// Parameter gradients accumulate in the ParamStore; the trainer zeroes them per step.
//
// Activation checkpointing (model.recompute, docs/architecture.md "Memory"): nodes with
// `recompute` set form runs (maximal ranges of consecutive recomputed nodes). In a training
// forward a recomputed node runs with ctx.keep_for_backward = false (it keeps nothing for
// backward) and the model keeps only handles of each run's external inputs (outputs of nodes
// outside the run, or the model input). In backward, right before the run's last node, the run
// is re-run forward from those handles with ctx.recomputing = true (keeping, no side effects),
// then backward continues as usual. Only layers with recomputable() may be marked. Results are
// bit-identical with and without recompute.
//
// Inference fusion: an eval forward that keeps nothing for backward (infer_step, the evaluator),
// without stats or state recording, runs [batchnorm/tdbn ->] neuron [-> 2x2/2 max pool] chains
// as one pass (NeuronLayer::forward_eval_fused): the norm's eval map goes into the neuron's
// charge coefficients and the pool reads the spikes from L1, so neither the normalised tensor
// nor the full-resolution spikes are written. Outputs equal the layer-by-layer run up to float
// rounding of the folded affine map. A training forward (no recompute runs, stats or state
// recording) fuses neuron -> 2x2/2 max pool pairs the same way, keeping the window winners
// (1 byte each) and the neuron's input; their backward is one pass too. Training results are
// bit-identical to the layer-by-layer run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
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
    bool recompute = false;   // activation checkpointing: re-run forward in backward
  };

  Model(Shape input_shape, std::vector<Node> nodes, std::unique_ptr<ParamStore> params);

  // x: [T, N, ...input_shape]. With `stats`, fills one LayerStats per node.
  Tensor forward(const Tensor& x, RunContext& ctx, std::vector<LayerStats>* stats = nullptr);
  // grad_y: dL/d(output) [T, N, ...output_shape]; returns dL/dx (an empty tensor unless
  // ctx.model_input_grad: then only gradients that reach a parameter are computed). `on_node_done(i)`, when set,
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

  // Marks the nodes to recompute (one flag per node; all false: none). Throws Error naming the
  // node when one is not recomputable().
  void set_recompute(const std::vector<bool>& flags);
  // The `model.recompute: stateless` choice: every recomputable node, except those that would
  // make the model keep an input nobody else keeps (a node that does not keep its own input,
  // such as a pool or batchnorm, reading a node that is not recomputed) and except runs that
  // would save nothing (a single node that keeps its input anyway, as a conv after a neuron).
  std::vector<bool> stateless_recompute_set() const;
  // The recompute runs as [first, last] node indices (for tests and `soma` reports).
  std::vector<std::pair<int, int>> recompute_runs() const;

 private:
  struct RecomputeRun {
    int first = 0, last = 0;
    std::vector<int> external;  // slots (node index, or input_slot() for x) read from outside
  };
  int input_slot() const { return static_cast<int>(nodes_.size()); }
  // Re-runs run r forward from the kept handles, with ctx.recomputing set.
  void recompute_run(const RecomputeRun& r, RunContext& ctx);
  // Whether a gradient must flow into node's inputs: dL/dx was asked for, or an input depends
  // on a parameter.
  bool inputs_need_grad(const Node& node, const RunContext& ctx) const;

  Shape input_shape_;
  std::vector<Node> nodes_;
  std::unique_ptr<ParamStore> params_;
  std::vector<Tensor> recorded_;
  std::vector<RecomputeRun> runs_;
  std::vector<int> run_of_;      // per node: index into runs_, or -1
  std::vector<Tensor> kept_;     // per slot: input handles kept for the recompute of runs
  std::vector<int> kept_uses_;   // per slot: how many runs read it (constant)
  std::vector<int> kept_left_;   // per slot: runs still to recompute in this backward
  bool checkpointed_ = false;    // the last forward was a training forward with runs
  // Per node: its output depends on a parameter (its own or one upstream). Without
  // ctx.model_input_grad, backward skips the nodes where this is false and tells a node with
  // parameters whose inputs are all such nodes (or the model input) not to compute dL/dinput.
  std::vector<bool> depends_on_params_;
  // Per node: a batchnorm (or tdbn) whose only consumer is the next node, a neuron layer. In an
  // eval forward that keeps nothing for backward (infer_step, the evaluator), without stats or
  // state recording, the pair runs as one pass unless the norm has been folded
  // (NeuronLayer::forward_eval_affine): the normalised tensor is never written.
  std::vector<bool> norm_into_neuron_;
  // Per node: a neuron layer whose only consumer is the next node, a 2x2/2 max pool it can
  // pool on the fly (NeuronLayer::can_fuse_maxpool2x2); fused under the same conditions.
  std::vector<bool> neuron_into_maxpool_;
  // Per node: the last training forward ran this neuron and the next node's max pool as one
  // step (NeuronLayer::forward_train_pooled); backward runs backward_pooled for the pair.
  std::vector<bool> pooled_in_training_;
};

}  // namespace soma
