#include "soma/model/model.hpp"

#include "soma/core/error.hpp"
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


}  // namespace

Model::Model(Shape input_shape, std::vector<Node> nodes, std::unique_ptr<ParamStore> params)
    : input_shape_(std::move(input_shape)), nodes_(std::move(nodes)), params_(std::move(params)) {
  SOMA_ASSERT(!nodes_.empty(), "a model needs at least one layer");
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

  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    std::vector<Tensor> in;
    for (int j : node.inputs) in.push_back(j < 0 ? x : outputs[j]);
    Tensor y;
    if (auto* merge = dynamic_cast<MergeLayer*>(node.layer.get())) {
      y = merge->forward_multi(in, ctx);
    } else {
      y = node.layer->forward(in[0], ctx);
    }
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
  const size_t input_slot = nodes_.size();
  auto accumulate = [&](int j, Tensor g) {
    const size_t k = j < 0 ? input_slot : static_cast<size_t>(j);
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
    // A node whose output reaches no loss (dead branch) gets a zero gradient.
    if (g.defined()) {
      if (auto* merge = dynamic_cast<MergeLayer*>(node.layer.get())) {
        std::vector<Tensor> gs = merge->backward_multi(g, ctx);
        SOMA_ASSERT(gs.size() == node.inputs.size(), "merge layer '", node.name, "' returned ",
                    gs.size(), " gradients for ", node.inputs.size(), " inputs");
        for (size_t k = 0; k < gs.size(); ++k) accumulate(node.inputs[k], std::move(gs[k]));
      } else {
        accumulate(node.inputs[0], node.layer->backward(g, ctx));
      }
    }
    if (on_node_done) on_node_done(static_cast<size_t>(i));
  }
  return grads[input_slot];
}

}  // namespace soma
