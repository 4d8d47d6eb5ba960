// The Trainer under data parallelism without MPI: ranks are threads joined by ThreadComm. Two
// ranks must end bit-identical to each other and, up to summation order, equal to one process
// (same tolerance and reasoning as tests/mpi/test_mpi_train.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <thread>

#include "dist/thread_comm.hpp"
#include "soma/core/config_loader.hpp"
#include "soma/train/trainer.hpp"
#include "support/run_soma.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

Experiment make(const std::string& config, const std::string& out, const std::string& extra) {
  std::vector<std::string> ov = {"output.dir=" + out, "train.max_steps=12", "train.epochs=1"};
  if (!extra.empty()) ov.push_back(extra);
  return make_experiment(load_config(std::string(SOMA_SOURCE_DIR) + "/" + config, ov), "dp");
}

void run_case(const std::string& config, const std::string& extra, int64_t bucket = 1 << 16) {
  // One directory per case: ctest runs cases in parallel processes.
  const std::string dir = scratch_dir("dp_threads_" + std::filesystem::path(config).stem().string() +
                                      "_b" + std::to_string(bucket));
  Experiment one = make(config, dir + "/one", extra);
  TrainerOptions o1;
  const TrainResult r1 = train(one, o1);
  REQUIRE(r1.steps == 12);

  ThreadGroup group(2);
  std::vector<ThreadComm> comms{ThreadComm(group, 0), ThreadComm(group, 1)};
  std::vector<Experiment> ranks;
  ranks.push_back(make(config, dir + "/two", extra));
  ranks.push_back(make(config, dir + "/two_rank1_must_not_exist", extra));
  std::vector<TrainResult> res(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      TrainerOptions o;
      o.comm = &comms[r];
      o.allreduce_bucket = bucket;
      res[r] = train(ranks[r], o);
    });
  for (auto& t : threads) t.join();
  CHECK(res[0].steps == 12);
  CHECK(res[1].steps == 12);
  CHECK(std::filesystem::exists(dir + "/two/last.h5"));
  CHECK_FALSE(std::filesystem::exists(dir + "/two_rank1_must_not_exist"));

  const ParamStore& p1 = one.model->params();
  const ParamStore& pa = ranks[0].model->params();
  const ParamStore& pb = ranks[1].model->params();
  REQUIRE(pa.num_params() == p1.num_params());
  double max_diff = 0.0;
  int64_t bad = 0, differ_between_ranks = 0;
  for (int64_t i = 0; i < p1.num_params(); ++i) {
    differ_between_ranks += pa.values()[i] != pb.values()[i];
    const double e = std::abs(double(pa.values()[i]) - p1.values()[i]);
    max_diff = std::max(max_diff, e);
    bad += !(e <= 1e-5 + 1e-4 * std::abs(p1.values()[i]));
  }
  CHECK(differ_between_ranks == 0);
  CHECK(bad == 0);
  WARN(config << extra << " (bucket " << bucket << "): max |w_2 threads-ranks - w_1 process| = " << max_diff);
}

}  // namespace

TEST_CASE("trainer over 2 thread ranks matches one process (LIF MLP)", "[dist][train]") {
  run_case("tests/configs/good/digits_base.yaml", "");
}

TEST_CASE("trainer over 2 thread ranks matches one process (batchnorm, sync_bn)", "[dist][train]") {
  run_case("tests/mpi/configs/digits_bn.yaml", "");
}

TEST_CASE("trainer over 2 thread ranks with many small all-reduce buckets", "[dist][train]") {
  // 64-value buckets: the reduction starts layer by layer inside backward, interleaved with
  // the synchronised BN reductions; the result must not change.
  run_case("tests/mpi/configs/digits_bn.yaml", "", 64);
}

TEST_CASE("evaluation sharded over 2 thread ranks counts every sample once", "[dist]") {
  // Batch 2 over 2 ranks on 397 test samples: the last batch has one row, so rank 0's share
  // of it is empty.
  const std::string cfg = std::string(SOMA_SOURCE_DIR) + "/tests/configs/good/digits_base.yaml";
  std::vector<Experiment> ex;
  for (int r = 0; r < 3; ++r)
    ex.push_back(make_experiment(load_config(cfg, {"data.batch_size=2"}), "eval"));
  EvalOptions eo;
  eo.batch_size = 2;
  const EvalResult single = evaluate(*ex[0].model, ex[0].data.test, *ex[0].loss, eo);
  REQUIRE(single.samples == 397);
  ThreadGroup group(2);
  std::vector<ThreadComm> comms{ThreadComm(group, 0), ThreadComm(group, 1)};
  std::vector<EvalResult> res(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      EvalOptions o = eo;
      o.comm = &comms[r];
      res[r] = evaluate(*ex[r + 1].model, ex[r + 1].data.test, *ex[r + 1].loss, o);
    });
  for (auto& t : threads) t.join();
  for (const auto& r : res) {
    CHECK(r.samples == 397);
    CHECK(r.accuracy == Approx(single.accuracy).epsilon(1e-12));
    CHECK(r.loss == Approx(single.loss).epsilon(1e-6));
    CHECK(r.confusion == single.confusion);
  }
}
