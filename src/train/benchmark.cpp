#include "soma/train/benchmark.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "soma/core/error.hpp"
#include "soma/core/threads.hpp"
#include "soma/core/version.hpp"
#include "soma/data/loader.hpp"
#include "soma/train/train_step.hpp"

namespace soma {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// User + system CPU seconds of this process so far.
double cpu_seconds() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  auto sec = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

template <typename Step>
TimingStats time_mode(Step&& step, const BenchOptions& o, int64_t batch) {
  TimingStats s;
  const auto w0 = Clock::now();
  for (int i = 0; i < o.warmup; ++i) step();
  s.warmup_s = seconds_since(w0);
  const auto start = Clock::now();
  const double cpu0 = cpu_seconds();
  const int min_reps = std::min(3, o.repeats);
  for (int i = 0; i < o.repeats; ++i) {
    const auto t0 = Clock::now();
    step();
    s.times_s.push_back(seconds_since(t0));
    if (o.max_seconds > 0.0 && i + 1 >= min_reps && seconds_since(start) >= o.max_seconds) break;
  }
  s.cpu_per_wall = (cpu_seconds() - cpu0) / std::max(seconds_since(start), 1e-12);
  s.median_s = median_of(s.times_s);
  s.min_s = *std::min_element(s.times_s.begin(), s.times_s.end());
  s.max_s = *std::max_element(s.times_s.begin(), s.times_s.end());
  s.samples_per_s = static_cast<double>(batch) / s.median_s;
  s.peak_rss_mib = peak_rss_mib();
  return s;
}

Json timing_json(const TimingStats& s, double gflop_per_sample) {
  Json j = Json::object();
  j.set("samples_per_s", s.samples_per_s);
  j.set("median_ms", 1e3 * s.median_s);
  j.set("min_ms", 1e3 * s.min_s);
  j.set("max_ms", 1e3 * s.max_s);
  j.set("warmup_s", s.warmup_s);
  j.set("gflop_per_s", gflop_per_sample * s.samples_per_s);
  j.set("peak_rss_mb_so_far", s.peak_rss_mib);
  j.set("cpu_per_wall", s.cpu_per_wall);
  Json t = Json::array();
  for (double v : s.times_s) t.push_back(Json(v));
  j.set("times_s", std::move(t));
  return j;
}

// The per-step input shape of node i (its first input).
const Shape& node_input_shape(const Model& model, size_t i) {
  const int src = model.nodes()[i].inputs[0];
  return src < 0 ? model.input_shape() : model.nodes()[static_cast<size_t>(src)].out_shape;
}

}  // namespace

double median_of(std::vector<double> v) {
  SOMA_ASSERT(!v.empty(), "median of an empty list");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

FlopCount count_flops(const Model& model, int64_t time_steps) {
  FlopCount f;
  bool first = true;
  const auto& nodes = model.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].inputs.empty()) continue;
    const Shape& in = node_input_shape(model, i);
    const double flop = 2.0 * static_cast<double>(nodes[i].layer->synaptic_ops_per_step(in));
    if (flop <= 0.0) continue;
    f.forward += flop;
    f.train += flop * (first ? 2.0 : 3.0);
    first = false;
  }
  f.forward *= static_cast<double>(time_steps);
  f.train *= static_cast<double>(time_steps);
  return f;
}

double peak_rss_mib() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

BenchResult run_benchmark(Experiment& e, const BenchOptions& o) {
  SOMA_CHECK(o.warmup >= 0, "bench: warmup must be >= 0, got ", o.warmup);
  SOMA_CHECK(o.repeats >= 1, "bench: repeats must be >= 1, got ", o.repeats);
  SOMA_CHECK(o.train || o.infer, "bench: nothing to time (neither train nor infer)");
  Model& model = *e.model;

  LoaderOptions lo;
  lo.batch_size = e.data.batch_size;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.seed = e.seed;
  lo.prefetch = 0;
  Loader loader(e.data.train, lo);
  loader.start_epoch(0);
  Batch b;
  SOMA_CHECK(loader.next(b), "bench: the training data is empty");

  BenchResult r;
  r.workload = e.config_name;
  r.batch = static_cast<int64_t>(b.y.size());
  r.time_steps = b.x.shape()[0];
  r.threads = num_threads();
  for (const auto& seg : model.params().params()) r.num_params += seg.size;
  r.flops = count_flops(model, r.time_steps);

  Rng model_rng(e.seed, /*stream=*/0x44524F50);  // as the Trainer: in-model randomness
  RunContext ctx;
  ctx.rng = &model_rng;
  StepBuffers buf;
  const float lr = e.base_lr;
  ParamStore& ps = model.params();
  double loss = 0.0;
  auto train_step = [&] {
    ctx.phase = Phase::kTrain;
    loss = compute_gradients(model, *e.loss, b.x, b.y, ctx, buf);
    apply_gradients(ps, *e.optimizer, lr, e.train.grad_clip);
  };
  SOMA_CHECK(o.calibrate >= 0, "bench: calibrate must be >= 0, got ", o.calibrate);
  for (int i = 0; i < o.calibrate; ++i) train_step();
  r.calibrate_steps = o.calibrate;
  if (o.infer) {
    // Activity seen by the inference timing (untimed): input density of the synaptic layers.
    std::vector<LayerStats> stats;
    RunContext eval = ctx;
    eval.phase = Phase::kEval;
    eval.keep_for_backward = false;
    model.reset_state();
    model.forward(b.x, eval, &stats);
    const auto& nodes = model.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].inputs.empty()) continue;
      if (nodes[i].layer->synaptic_ops_per_step(node_input_shape(model, i)) > 0)
        r.infer_density.push_back({stats[i].name, stats[i].input_density});
    }
  }
  if (o.infer) {
    r.infer = time_mode([&] { infer_step(model, b.x, ctx, buf); }, o, r.batch);
  }
  if (o.train) {
    r.train = time_mode(train_step, o, r.batch);
    r.train->last_loss = loss;
  }
  r.peak_rss_mib = peak_rss_mib();
  return r;
}

Json bench_result_json(const BenchResult& r, const BenchOptions& o) {
  Json j = Json::object();
  j.set("workload", r.workload);
  j.set("soma_version", version());
  j.set("git_sha", git_sha());
  j.set("threads", r.threads);
  j.set("batch", r.batch);
  j.set("T", r.time_steps);
  j.set("num_params", r.num_params);
  j.set("warmup", o.warmup);
  j.set("repeats", o.repeats);
  j.set("fwd_gflop_per_sample", r.flops.forward / 1e9);
  j.set("train_gflop_per_sample", r.flops.train / 1e9);
  j.set("train_samples_per_s", r.train ? Json(r.train->samples_per_s) : Json());
  j.set("infer_samples_per_s", r.infer ? Json(r.infer->samples_per_s) : Json());
  j.set("train_gflop_per_s",
        r.train ? Json(r.flops.train / 1e9 * r.train->samples_per_s) : Json());
  j.set("infer_gflop_per_s",
        r.infer ? Json(r.flops.forward / 1e9 * r.infer->samples_per_s) : Json());
  j.set("peak_rss_mb", r.peak_rss_mib);
  j.set("calibrate_steps", r.calibrate_steps);
  Json density = Json::object();
  for (const LayerDensity& d : r.infer_density) density.set(d.name, d.input_density);
  j.set("infer_input_density", std::move(density));
  j.set("train", r.train ? timing_json(*r.train, r.flops.train / 1e9) : Json());
  if (r.train) j["train"].set("last_loss", r.train->last_loss);
  j.set("infer", r.infer ? timing_json(*r.infer, r.flops.forward / 1e9) : Json());
  return j;
}

}  // namespace soma
