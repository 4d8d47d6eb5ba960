#include "soma/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "soma/data/loader.hpp"
#include "soma/io/metrics_writer.hpp"
#include "soma/train/progress.hpp"
#include "soma/train/train_step.hpp"
#include "soma/train/training_state.hpp"

namespace soma {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void probe_writable(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  SOMA_CHECK_AS(IoError, !ec, dir.string(), ": cannot create the output directory: ", ec.message());
  const fs::path probe = dir / ".soma_write_test";
  {
    std::ofstream f(probe);
    SOMA_CHECK_AS(IoError, f.good(), dir.string(), ": output directory is not writable");
  }
  fs::remove(probe, ec);
}

std::string epoch_file(int64_t epoch) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "epoch_%03ld.h5", long(epoch));
  return buf;
}

// Deletes periodic epoch_NNN.h5 files beyond the newest `keep`.
void apply_retention(const fs::path& dir, int64_t keep) {
  static const std::regex pattern(R"(epoch_(\d+)\.h5)");
  std::vector<std::pair<int64_t, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) files.emplace_back(std::stol(m[1]), entry.path());
  }
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i + keep < files.size(); ++i) fs::remove(files[i].second);
}

std::string fmt_pct(double v) { return fmt::format("{:.2f}%", 100.0 * v); }

}  // namespace

std::string find_resume_checkpoint(const std::string& dir) {
  if (!fs::is_directory(dir)) return "";
  const fs::path last = fs::path(dir) / "last.h5";
  auto loadable = [](const fs::path& p) {
    try {
      load_checkpoint(p.string());
      return true;
    } catch (const Error& e) {
      spdlog::warn("skipping {}: {}", p.string(), e.what());
      return false;
    }
  };
  if (fs::exists(last) && loadable(last)) return last.string();
  static const std::regex pattern(R"(epoch_(\d+)\.h5)");
  std::vector<std::pair<int64_t, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) files.emplace_back(std::stol(m[1]), entry.path());
  }
  std::sort(files.rbegin(), files.rend());
  for (const auto& [epoch, p] : files)
    if (loadable(p)) return p.string();
  return "";
}

TrainResult train(Experiment& e, const TrainerOptions& o) {
  SingleProcess single;
  Communicator& comm = o.comm ? *o.comm : single;
  const bool root = comm.is_root();
  const fs::path dir = e.output.dir;
  Model& model = *e.model;
  ParamStore& ps = model.params();
  TrainResult result;

  if (root) {
    probe_writable(dir);
    std::ofstream(dir / "config.yaml") << e.config_yaml << "\n";
  }

  // --- starting point: fresh, resumed, or initialised from another run's weights
  Rng model_rng(e.seed, /*stream=*/0x44524F50);  // "DROP": in-model randomness
  TrainerCursor cur;
  std::string resume = o.resume;
  if (resume == "auto") {
    resume = find_resume_checkpoint(dir.string());
    if (resume.empty()) spdlog::info("--resume auto: no checkpoint in {}, starting fresh", dir.string());
  }
  if (!resume.empty()) {
    const Checkpoint c = load_checkpoint(resume);
    load_model_state(model, c, resume);
    load_training_state(*e.optimizer, cur, model_rng, c, resume);
    spdlog::info("resumed from {}: epoch {}, batch {}, step {}", resume, cur.epoch + 1,
                 cur.next_batch, cur.step);
  } else if (!o.init.empty()) {
    load_model_state(model, load_checkpoint(o.init), o.init);
    spdlog::info("weights initialised from {}", o.init);
  }
  // Every rank starts from rank 0's state.
  comm.broadcast(ps.values(), ps.num_params(), 0);
  comm.broadcast(ps.buffer_values(), ps.num_buffer_values(), 0);

  std::unique_ptr<MetricsWriter> metrics;
  if (root) metrics = std::make_unique<MetricsWriter>(dir.string(), /*append=*/!resume.empty());

  LoaderOptions lo;
  lo.batch_size = e.data.batch_size;
  lo.shuffle = true;
  lo.drop_last = true;  // equal-size steps (BN statistics, sharding across ranks)
  lo.seed = e.seed;
  lo.rank = comm.rank();
  lo.world = comm.size();
  lo.prefetch = e.data.prefetch;
  Loader loader(e.data.train, lo);
  const int64_t bpe = loader.batches_per_epoch();
  SOMA_CHECK(bpe > 0, "the training set (", e.data.train->size(),
             " samples) is smaller than one batch (", e.data.batch_size, ")");
  auto eval_set = e.eval.split == "val" ? e.data.val : e.data.test;
  EvalOptions eo;
  eo.batch_size = e.data.batch_size;
  eo.seed = e.seed;
  eo.e_ac_pj = e.eval.energy.e_ac_pj;
  eo.e_mac_pj = e.eval.energy.e_mac_pj;
  eo.comm = &comm;
  eo.prefetch = e.data.prefetch;

  auto save = [&](const std::string& name) {
    if (!root) return std::string();
    Checkpoint c;
    write_meta(c, e.config_yaml, "train");
    save_model_state(model, c);
    save_training_state(*e.optimizer, cur, model_rng, c);
    const std::string path = (dir / name).string();
    save_checkpoint(path, c);
    return path;
  };

  RunContext ctx;
  ctx.phase = Phase::kTrain;
  ctx.rng = &model_rng;
  StepBuffers step_buf;
  std::vector<LayerStats> stats;
  const auto run_start = Clock::now();
  const double elapsed_before = cur.elapsed_s;
  bool stopped = false;
  spdlog::info("training {} for {} epochs: {} steps/epoch of {} samples, {} parameters",
               e.config_name, e.train.epochs, bpe, e.data.batch_size, ps.num_params());

  for (int64_t epoch = cur.epoch; epoch < e.train.epochs && !stopped; ++epoch) {
    loader.start_epoch(epoch, cur.next_batch);
    Progress progress(fmt::format("epoch {}/{}", epoch + 1, e.train.epochs), bpe, o.interactive,
                      e.train.log_every);
    // Running sums since the last log line: [samples, loss*n, correct].
    double window[3] = {0, 0, 0};
    double epoch_sums[3] = {0, 0, 0};
    auto window_start = Clock::now();
    Batch b;
    while (true) {
      if (e.train.max_steps >= 0 && cur.step >= e.train.max_steps) {
        stopped = true;
        break;
      }
      if (!loader.next(b)) break;
      const float lr = e.schedule->lr(cur.step, bpe);
      const bool log_now = (cur.step + 1) % e.train.log_every == 0;
      // The same step as `soma bench` times (train/train_step.hpp).
      const double loss = compute_gradients(model, *e.loss, b.x, b.y, ctx, step_buf,
                                            log_now && root ? &stats : nullptr);
      SOMA_CHECK(std::isfinite(loss), "loss became ", loss, " at epoch ", epoch + 1, ", step ",
                 cur.step + 1, ": lower the learning rate or enable train.grad_clip");

      const std::vector<int> pred = predict_classes(step_buf.y);
      int64_t correct = 0;
      for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == b.y[i];
      // One small reduction carries the batch figures and the stop request of every rank.
      double step_sums[4] = {double(b.y.size()), loss * double(b.y.size()), double(correct),
                             (o.stop && o.stop->load()) ? 1.0 : 0.0};
      if (comm.size() > 1) {
        comm.allreduce_sum(ps.grads(), ps.num_params());
        const float inv = 1.f / static_cast<float>(comm.size());
        float* g = ps.grads();
        for (int64_t i = 0; i < ps.num_params(); ++i) g[i] *= inv;
        comm.allreduce_sum(step_sums, 4);
      }
      apply_gradients(ps, *e.optimizer, lr, e.train.grad_clip);
      cur.step++;
      cur.next_batch = b.index + 1;
      for (int k = 0; k < 3; ++k) {
        window[k] += step_sums[k];
        epoch_sums[k] += step_sums[k];
      }

      if (log_now || cur.next_batch == bpe) {
        const double secs = std::chrono::duration<double>(Clock::now() - window_start).count();
        const double sps = window[0] / std::max(secs, 1e-9);
        if (metrics) {
          std::vector<std::pair<std::string, double>> m = {
              {"step", double(cur.step)}, {"epoch", double(epoch + 1)},
              {"loss", window[1] / window[0]}, {"accuracy", window[2] / window[0]},
              {"lr", lr}, {"samples_per_s", sps}};
          for (const auto& s : stats) {
            if (s.spiking) m.emplace_back("firing_rate." + s.name, s.firing_rate);
            if (s.synaptic_ops > 0)
              m.emplace_back("synaptic_ops." + s.name, s.synaptic_ops / double(b.y.size()));
          }
          metrics->write("step", m);
        }
        progress.update(cur.next_batch, {{"loss", fmt::format("{:.4f}", window[1] / window[0])},
                                         {"acc", fmt_pct(window[2] / window[0])},
                                         {"samples/s", fmt::format("{:.0f}", sps)}});
        window[0] = window[1] = window[2] = 0;
        window_start = Clock::now();
        stats.clear();
      }
      if (step_sums[3] > 0) {
        spdlog::warn("stop requested: checkpointing after step {}", cur.step);
        stopped = true;
        break;
      }
      if (e.output.checkpoint_every_steps > 0 && cur.step % e.output.checkpoint_every_steps == 0)
        result.last_checkpoint = save("last.h5");
    }
    progress.finish();
    cur.elapsed_s = elapsed_before + std::chrono::duration<double>(Clock::now() - run_start).count();
    if (stopped) {
      cur.epoch = epoch;
      if (cur.next_batch >= bpe) {  // stopped exactly at an epoch boundary
        cur.epoch = epoch + 1;
        cur.next_batch = 0;
      }
      result.last_checkpoint = save("last.h5");
      result.interrupted = !(e.train.max_steps >= 0 && cur.step >= e.train.max_steps);
      break;
    }
    cur.epoch = epoch + 1;
    cur.next_batch = 0;

    const bool last_epoch = epoch + 1 == e.train.epochs;
    if ((epoch + 1) % e.eval.every == 0 || last_epoch) {
      result.last_eval = evaluate(model, eval_set, *e.loss, eo);
      const EvalResult& r = result.last_eval;
      const bool best = r.accuracy > cur.best_metric;
      if (best) {
        cur.best_metric = r.accuracy;
        cur.best_epoch = epoch + 1;
      }
      spdlog::info("epoch {}/{}: train loss {:.4f} acc {} | {} loss {:.4f} acc {} (best {} at epoch {}) | {}",
                   epoch + 1, e.train.epochs, epoch_sums[1] / epoch_sums[0],
                   fmt_pct(epoch_sums[2] / epoch_sums[0]), e.eval.split, r.loss, fmt_pct(r.accuracy),
                   fmt_pct(cur.best_metric), cur.best_epoch, format_duration(cur.elapsed_s));
      if (metrics)
        metrics->write("epoch", {{"epoch", double(epoch + 1)}, {"step", double(cur.step)},
                                 {"train_loss", epoch_sums[1] / epoch_sums[0]},
                                 {"train_accuracy", epoch_sums[2] / epoch_sums[0]},
                                 {e.eval.split + "_loss", r.loss},
                                 {e.eval.split + "_accuracy", r.accuracy},
                                 {"elapsed_s", cur.elapsed_s}});
      result.last_checkpoint = save("last.h5");
      if (best) result.best_checkpoint = save("best.h5");
    } else {
      result.last_checkpoint = save("last.h5");
    }
    if (root && e.output.checkpoint_every > 0 && (epoch + 1) % e.output.checkpoint_every == 0) {
      save(epoch_file(epoch + 1));
      apply_retention(dir, e.output.keep);
    }
    result.epochs_done = epoch + 1;
  }
  result.steps = cur.step;
  result.best_metric = cur.best_metric;
  if (result.best_checkpoint.empty() && root && fs::exists(dir / "best.h5"))
    result.best_checkpoint = (dir / "best.h5").string();
  result.seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  return result;
}

}  // namespace soma
