#include "soma/train/evaluator.hpp"

#include <chrono>

#include "soma/data/loader.hpp"

namespace soma {

EvalResult evaluate(Model& model, std::shared_ptr<const Dataset> data, Loss& loss,
                    const EvalOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  SingleProcess single;
  Communicator& comm = opt.comm ? *opt.comm : single;
  LoaderOptions lo;
  lo.batch_size = opt.batch_size;
  lo.shuffle = false;
  lo.drop_last = false;
  // A seed of its own: evaluation encodings never coincide with a training epoch's.
  lo.seed = opt.seed ^ 0x4556414C5345ull;
  lo.rank = comm.rank();
  lo.world = comm.size();
  lo.prefetch = opt.prefetch;
  Loader loader(data, lo);
  loader.start_epoch(0);

  const int C = data->num_classes();
  const size_t L = model.nodes().size();
  // Sums reduced across ranks in one call: [samples, loss*n, correct, confusion C*C,
  // per layer: rate*n, density*n, ops, spike_input].
  std::vector<double> acc(3 + C * C + 4 * L, 0.0);
  RunContext ctx;
  ctx.phase = Phase::kEval;
  ctx.keep_for_backward = false;  // inference only
  Batch batch;
  std::vector<LayerStats> stats;
  std::vector<std::string> types(L);
  while (loader.next(batch)) {
    const int64_t n = static_cast<int64_t>(batch.y.size());
    // A rank's share of a short last batch can be empty (fewer rows than ranks).
    if (n == 0) continue;
    model.reset_state();
    Tensor y = model.forward(batch.x, ctx, &stats);
    const double l = loss.forward_backward(y, batch.y, nullptr);
    const std::vector<int> pred = predict_classes(y);
    acc[0] += double(n);
    acc[1] += l * double(n);
    for (int64_t i = 0; i < n; ++i) {
      acc[2] += pred[i] == batch.y[i];
      acc[3 + batch.y[i] * C + pred[i]] += 1.0;
    }
    for (size_t k = 0; k < L; ++k) {
      double* s = &acc[3 + C * C + 4 * k];
      s[0] += stats[k].firing_rate * double(n);
      s[1] += stats[k].input_density * double(n);
      s[2] += stats[k].synaptic_ops;
      s[3] = stats[k].spike_input ? 1.0 : s[3];
    }
  }
  comm.allreduce_sum(acc.data(), static_cast<int64_t>(acc.size()));

  EvalResult r;
  r.samples = static_cast<int64_t>(acc[0]);
  SOMA_CHECK(r.samples > 0, "evaluation set is empty");
  const double ns = acc[0];
  r.loss = acc[1] / ns;
  r.accuracy = acc[2] / ns;
  r.confusion.assign(C, std::vector<int64_t>(C, 0));
  for (int a = 0; a < C; ++a)
    for (int b = 0; b < C; ++b) r.confusion[a][b] = static_cast<int64_t>(acc[3 + a * C + b]);
  r.e_ac_pj = opt.e_ac_pj;
  r.e_mac_pj = opt.e_mac_pj;
  for (size_t k = 0; k < L; ++k) {
    const double* s = &acc[3 + C * C + 4 * k];
    LayerSummary ls;
    ls.name = model.nodes()[k].name;
    ls.type = std::string(model.nodes()[k].layer->type());
    ls.spiking = model.nodes()[k].layer->emits_spikes();
    ls.firing_rate = s[0] / ns;
    ls.input_density = s[1] / ns;
    ls.synaptic_ops_per_sample = s[2] / ns;
    ls.spike_input = s[3] > 0.0;
    (ls.spike_input ? r.acs_per_sample : r.macs_per_sample) += ls.synaptic_ops_per_sample;
    r.layers.push_back(ls);
  }
  r.energy_uj_per_sample = (r.acs_per_sample * opt.e_ac_pj + r.macs_per_sample * opt.e_mac_pj) * 1e-6;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace soma
