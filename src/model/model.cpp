#include "soma/model/model.hpp"

#include <algorithm>

#include "soma/core/error.hpp"
#include "soma/layers/batchnorm.hpp"
#include "soma/layers/neurons/neuron_layer.hpp"
#include "soma/layers/pool2d.hpp"
#include "soma/metrics/energy.hpp"
#include "soma/metrics/firing_rate.hpp"

namespace soma {
namespace {

// dst += src, elementwise (gradient fan-in).
void add_into(Tensor& dst, const Tensor& src) {
  SOMA_ASSERT(dst.numel() == src.numel(), "gradient shapes ", dst.shape().str(), " vs ",
              src.shape().str());
  float* d = dst.data();
  const float* s = src.data();
  const int64_t n = dst.numel();
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) d[i] += s[i];
}

// Sets the checkpointing flags of a RunContext for a scope and restores them after (also when
// a layer throws).
class CheckpointFlags {
 public:
  CheckpointFlags(RunContext& ctx, bool keep, bool recomputing, bool discard = false)
      : ctx_(ctx), keep_(ctx.keep_for_backward), recomputing_(ctx.recomputing),
        discard_(ctx.discard_output) {
    ctx.keep_for_backward = keep;
    ctx.recomputing = recomputing;
    ctx.discard_output = discard;
  }
  ~CheckpointFlags() {
    ctx_.keep_for_backward = keep_;
    ctx_.recomputing = recomputing_;
    ctx_.discard_output = discard_;
  }
  CheckpointFlags(const CheckpointFlags&) = delete;
  CheckpointFlags& operator=(const CheckpointFlags&) = delete;

 private:
  RunContext& ctx_;
  bool keep_, recomputing_, discard_;
};

Tensor run_node(Layer& layer, const std::vector<Tensor>& in, RunContext& ctx) {
  if (auto* merge = dynamic_cast<MergeLayer*>(&layer)) return merge->forward_multi(in, ctx);
  return layer.forward(in[0], ctx);
}

}  // namespace

Model::Model(Shape input_shape, std::vector<Node> nodes, std::unique_ptr<ParamStore> params)
    : input_shape_(std::move(input_shape)), nodes_(std::move(nodes)), params_(std::move(params)) {
  SOMA_ASSERT(!nodes_.empty(), "a model needs at least one layer");
  std::vector<bool> flags;
  for (const auto& node : nodes_) flags.push_back(node.recompute);
  set_recompute(flags);
  depends_on_params_.assign(nodes_.size(), false);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    bool d = !nodes_[i].layer->param_specs().empty();
    for (int j : nodes_[i].inputs) d = d || (j >= 0 && depends_on_params_[j]);
    depends_on_params_[i] = d;
  }
  // Fusion (forward): node i feeds only node i + 1.
  auto feeds_only_next = [&](size_t i) {
    return i + 1 < nodes_.size() && nodes_[i].consumers == 1 &&
           nodes_[i + 1].inputs == std::vector<int>{static_cast<int>(i)};
  };
  norm_into_neuron_.assign(nodes_.size(), false);
  neuron_into_maxpool_.assign(nodes_.size(), false);
  pooled_in_training_.assign(nodes_.size(), false);
  for (size_t i = 0; i + 1 < nodes_.size(); ++i) {
    if (!feeds_only_next(i)) continue;
    const Layer* next = nodes_[i + 1].layer.get();
    norm_into_neuron_[i] = dynamic_cast<const BatchNormLayer*>(nodes_[i].layer.get()) &&
                           dynamic_cast<const NeuronLayer*>(next);
    const auto* neuron = dynamic_cast<const NeuronLayer*>(nodes_[i].layer.get());
    const auto* pool = dynamic_cast<const Pool2dLayer*>(next);
    neuron_into_maxpool_[i] = neuron && pool && pool->is_max_2x2() && neuron->can_fuse_maxpool2x2();
  }
}

bool Model::inputs_need_grad(const Node& node, const RunContext& ctx) const {
  bool need = ctx.model_input_grad;
  for (int j : node.inputs) need = need || (j >= 0 && depends_on_params_[j]);
  return need;
}

void Model::set_recompute(const std::vector<bool>& flags) {
  const size_t n = nodes_.size();
  SOMA_CHECK(flags.size() == n, "recompute: ", flags.size(), " flags for ", n, " layers");
  for (size_t i = 0; i < n; ++i) {
    SOMA_CHECK(!flags[i] || nodes_[i].layer->recomputable(), "layer '", nodes_[i].name, "' (",
               nodes_[i].layer->type(),
               ") cannot be recomputed in backward: only stateless, deterministic layers can "
               "(conv2d, linear, batchnorm, tdbn, bntt, pools, flatten, activations, add, "
               "concat)");
    nodes_[i].recompute = flags[i];
  }
  runs_.clear();
  run_of_.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (!flags[i]) continue;
    if (i == 0 || !flags[i - 1]) runs_.push_back({static_cast<int>(i), static_cast<int>(i), {}});
    runs_.back().last = static_cast<int>(i);
    run_of_[i] = static_cast<int>(runs_.size()) - 1;
  }
  kept_uses_.assign(n + 1, 0);
  for (auto& r : runs_) {
    for (int k = r.first; k <= r.last; ++k)
      for (int j : nodes_[k].inputs) {
        if (j >= r.first) continue;  // produced inside the run
        const int slot = j < 0 ? input_slot() : j;
        if (std::find(r.external.begin(), r.external.end(), slot) == r.external.end())
          r.external.push_back(slot);
      }
    for (int slot : r.external) ++kept_uses_[slot];
  }
  kept_.assign(n + 1, Tensor());
  checkpointed_ = false;
}

std::vector<bool> Model::stateless_recompute_set() const {
  const size_t n = nodes_.size();
  std::vector<bool> on(n);
  for (size_t i = 0; i < n; ++i) on[i] = nodes_[i].layer->recomputable();
  for (bool changed = true; changed;) {
    changed = false;
    // A node that does not keep its input would make the model keep an input that only it
    // needs when that input comes from a node that is not recomputed (the model input is kept
    // by the caller anyway). Inputs are earlier nodes, so one pass in order settles this.
    for (size_t i = 0; i < n; ++i) {
      if (!on[i] || nodes_[i].layer->keeps_input()) continue;
      for (int j : nodes_[i].inputs)
        if (j >= 0 && !on[j]) on[i] = false;
    }
    // A run saves memory when one of its nodes keeps something else than its input, or when
    // one of its outputs feeds a node of the same run (then nobody keeps it). Else drop it.
    for (size_t first = 0; first < n;) {
      if (!on[first]) {
        ++first;
        continue;
      }
      size_t last = first;
      while (last + 1 < n && on[last + 1]) ++last;
      bool saves = false;
      for (size_t k = first; k <= last && !saves; ++k) {
        saves = !nodes_[k].layer->keeps_input();
        for (int j : nodes_[k].inputs) saves = saves || (j >= static_cast<int>(first));
      }
      if (!saves) {
        for (size_t k = first; k <= last; ++k) on[k] = false;
        changed = true;
      }
      first = last + 1;
    }
  }
  return on;
}

std::vector<std::pair<int, int>> Model::recompute_runs() const {
  std::vector<std::pair<int, int>> out;
  for (const auto& r : runs_) out.emplace_back(r.first, r.last);
  return out;
}

void Model::recompute_run(const RecomputeRun& r, RunContext& ctx) {
  const int len = r.last - r.first + 1;
  std::vector<Tensor> local(len);
  std::vector<int> pending(len, 0);  // consumers inside the run
  for (int k = r.first; k <= r.last; ++k)
    for (int j : nodes_[k].inputs)
      if (j >= r.first) ++pending[j - r.first];
  for (int k = r.first; k <= r.last; ++k) {
    std::vector<Tensor> in;
    for (int j : nodes_[k].inputs) {
      const Tensor& t = j >= r.first ? local[j - r.first] : kept_[j < 0 ? input_slot() : j];
      SOMA_ASSERT(t.defined(), "recompute of '", nodes_[k].name, "': input not kept");
      in.push_back(t);
    }
    Tensor y;
    {
      // The last node's output was consumed in the forward already; nothing reads it now.
      const CheckpointFlags flags(ctx, /*keep=*/true, /*recomputing=*/true,
                                  /*discard=*/k == r.last);
      y = run_node(*nodes_[k].layer, in, ctx);
    }
    for (int j : nodes_[k].inputs)
      if (j >= r.first && --pending[j - r.first] == 0) local[j - r.first] = Tensor();
    if (pending[k - r.first] > 0) local[k - r.first] = std::move(y);
  }
  for (int slot : r.external)
    if (--kept_left_[slot] == 0) kept_[slot] = Tensor();
}

const Model::Node* Model::find(const std::string& name) const {
  for (const auto& n : nodes_)
    if (n.name == name) return &n;
  return nullptr;
}

void Model::reset_state() {
  for (auto& n : nodes_) n.layer->reset_state();
}

Tensor Model::forward(const Tensor& x, RunContext& ctx, std::vector<LayerStats>* stats) {
  SOMA_CHECK_AS(ShapeError, x.rank() >= 2 && x.shape().drop_front(2) == input_shape_,
                "model input must be [T, N, ", input_shape_.str().substr(1), ", got ",
                x.shape().str());
  const int64_t steps_times_batch = x.dim(0) * x.dim(1);
  // outputs[i] lives until its last consumer has run; the final output is returned.
  std::vector<Tensor> outputs(nodes_.size());
  std::vector<int> pending(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) pending[i] = nodes_[i].consumers;
  if (stats) stats->assign(nodes_.size(), {});
  recorded_.clear();
  if (ctx.record_state) recorded_.resize(nodes_.size());
  checkpointed_ = ctx.training() && !runs_.empty();
  for (auto& t : kept_) t = Tensor();
  if (checkpointed_) {
    kept_left_ = kept_uses_;
    if (kept_uses_[input_slot()] > 0) kept_[input_slot()] = x;
  }

  // Training: neuron -> 2x2 max pool pairs run as one step (not with recompute runs, stats or
  // state recording); backward() then runs the pair's backward as one step too.
  const bool fuse_pools = ctx.training() && ctx.keep_for_backward && !ctx.recomputing &&
                          !checkpointed_ && !ctx.record_state && stats == nullptr;
  std::fill(pooled_in_training_.begin(), pooled_in_training_.end(), false);
  // Norm -> neuron pairs run as one pass in plain inference (nothing kept for a backward, no
  // stats, no recorded states).
  const bool fuse_norms =
      !ctx.training() && !ctx.keep_for_backward && !ctx.record_state && stats == nullptr;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    std::vector<Tensor> in;
    for (int j : node.inputs) in.push_back(j < 0 ? x : outputs[j]);
    if (fuse_pools && neuron_into_maxpool_[i] &&
        static_cast<NeuronLayer&>(*node.layer).can_fuse_maxpool2x2_training()) {
      Tensor y = static_cast<NeuronLayer&>(*node.layer).forward_train_pooled(in[0]);
      for (int j : node.inputs)
        if (j >= 0 && --pending[j] == 0) outputs[j] = Tensor();
      pooled_in_training_[i] = true;
      outputs[++i] = std::move(y);
      continue;
    }
    // [norm ->] neuron [-> 2x2 max pool] as one pass; the intermediate outputs are never
    // materialised (each was read by the next node only).
    const bool norm = fuse_norms && norm_into_neuron_[i] &&
                      !static_cast<const BatchNormLayer&>(*node.layer).folded();
    const size_t ni = norm ? i + 1 : i;  // the neuron node
    const bool pool = fuse_norms && neuron_into_maxpool_[ni];
    if (norm || pool) {
      std::vector<float> scale, shift;
      if (norm) static_cast<const BatchNormLayer&>(*node.layer).eval_affine(scale, shift);
      auto& neuron = static_cast<NeuronLayer&>(*nodes_[ni].layer);
      Tensor y = neuron.forward_eval_fused(in[0], norm ? &scale : nullptr,
                                           norm ? &shift : nullptr, pool);
      for (int j : node.inputs)
        if (j >= 0 && --pending[j] == 0) outputs[j] = Tensor();
      i = pool ? ni + 1 : ni;
      outputs[i] = std::move(y);
      continue;
    }
    Tensor y;
    {
      // A recomputed node keeps nothing now; the model keeps its run's inputs instead.
      const bool keep = ctx.keep_for_backward && !(checkpointed_ && node.recompute);
      const CheckpointFlags flags(ctx, keep, ctx.recomputing);
      y = run_node(*node.layer, in, ctx);
    }
    if (checkpointed_ && kept_uses_[i] > 0) kept_[i] = y;
    if (stats) {
      LayerStats& s = (*stats)[i];
      s.name = node.name;
      s.type = std::string(node.layer->type());
      s.spiking = node.layer->emits_spikes();
      if (s.spiking) s.firing_rate = firing_rate(y);
      const Shape in_step = in[0].shape().drop_front(2);
      const int64_t macs = node.layer->synaptic_ops_per_step(in_step);
      if (macs > 0) {
        const SpikeCount c = count_spikes(in[0]);
        const bool binary = c.binary;
        const double density = in[0].numel() ? double(c.nonzero) / double(in[0].numel()) : 0.0;
        s.spike_input = binary;
        s.input_density = density;
        // With binary inputs only the active synapses accumulate: ACs = density * MACs.
        s.synaptic_ops = double(macs) * double(steps_times_batch) * (binary ? density : 1.0);
      }
    }
    if (ctx.record_state) recorded_[i] = y;
    for (int j : node.inputs)
      if (j >= 0 && --pending[j] == 0) outputs[j] = Tensor();
    outputs[i] = std::move(y);
  }
  return outputs.back();
}

Tensor Model::backward(const Tensor& grad_y, RunContext& ctx,
                       const std::function<void(size_t)>& on_node_done) {
  std::vector<Tensor> grads(nodes_.size() + 1);  // the extra last slot is dL/dx
  std::vector<bool> owned(nodes_.size() + 1, false);
  grads[nodes_.size() - 1] = grad_y;
  const size_t x_slot = nodes_.size();
  auto accumulate = [&](int j, Tensor g) {
    const size_t k = j < 0 ? x_slot : static_cast<size_t>(j);
    if (!grads[k].defined()) {
      grads[k] = std::move(g);
      return;
    }
    // Fan-in: sum into a copy we own, so no layer's returned buffer is modified in place.
    if (!owned[k]) {
      grads[k] = grads[k].clone();
      owned[k] = true;
    }
    add_into(grads[k], g);
  };
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    Node& node = nodes_[i];
    Tensor g = std::move(grads[i]);
    if (checkpointed_ && run_of_[i] >= 0 && runs_[run_of_[i]].last == i)
      recompute_run(runs_[run_of_[i]], ctx);
    // A node whose output reaches no loss (dead branch) gets a zero gradient; a node with no
    // parameter at or before it has nothing to compute (unless dL/dx was asked for).
    const bool run = g.defined() && (ctx.model_input_grad || depends_on_params_[i]);
    if (i > 0 && pooled_in_training_[i - 1]) {
      // The pool of a fused neuron -> pool pair: both backwards as one step.
      Node& neuron = nodes_[i - 1];
      if (run) {
        Tensor gx = static_cast<NeuronLayer&>(*neuron.layer).backward_pooled(g);
        if (inputs_need_grad(neuron, ctx)) accumulate(neuron.inputs[0], std::move(gx));
      }
      pooled_in_training_[i - 1] = false;
      if (on_node_done) on_node_done(static_cast<size_t>(i));
      --i;
      if (on_node_done) on_node_done(static_cast<size_t>(i));
      continue;
    }
    if (run) {
      ctx.need_input_grad = inputs_need_grad(node, ctx);
      if (auto* merge = dynamic_cast<MergeLayer*>(node.layer.get())) {
        std::vector<Tensor> gs = merge->backward_multi(g, ctx);
        SOMA_ASSERT(gs.size() == node.inputs.size(), "merge layer '", node.name, "' returned ",
                    gs.size(), " gradients for ", node.inputs.size(), " inputs");
        for (size_t k = 0; k < gs.size(); ++k)
          if (gs[k].defined()) accumulate(node.inputs[k], std::move(gs[k]));
      } else {
        Tensor gx = node.layer->backward(g, ctx);
        if (gx.defined()) accumulate(node.inputs[0], std::move(gx));
      }
      ctx.need_input_grad = true;
    }
    if (on_node_done) on_node_done(static_cast<size_t>(i));
  }
  checkpointed_ = false;
  return grads[x_slot];
}

}  // namespace soma
