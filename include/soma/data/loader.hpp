// Loader: turns a Dataset into time-major batches, loading ahead on a background thread.
//
// Batch layout: x is [T, N, ...per-step] with x[t, n] = step t of the n-th sample of the batch
// (the Dataset gives [T, ...] per sample; the loader transposes), y[n] its label.
// Order: epoch e visits the permutation pi_e of 0..S-1 drawn from Rng(seed, e) (identity when
// shuffle is off); global batch b holds pi_e[b*B .. min((b+1)*B, S)) (B = batch_size), the last
// one partial unless drop_last. Sample i draws its randomness (rate coding, augmentation) from
// its own Rng(seed ^ kSampleSalt, e << 40 | i), so its value depends on (seed, e, i) only, not
// on order, thread or rank.
// Data parallel: rank r of W takes rows [r*b/W, (r+1)*b/W) of every global batch of b rows
// (B must be divisible by W; a partial last batch is split the same way, so ranks may differ by
// one row there). All ranks use the same seed, hence the same permutation.
// Resume: start_epoch(e, k) yields batches k, k+1, ... of epoch e, identical to those of an
// uninterrupted run.
// Prefetch: with prefetch >= 1 a worker thread fills a queue of at most `prefetch` batches while
// the caller computes; next() re-throws an exception raised while loading; the destructor and
// start_epoch() stop and join the worker. prefetch = 0 loads synchronously inside next().
// `threads` samples of one batch are loaded in parallel (OpenMP) inside the loading thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "soma/data/dataset.hpp"
#include "soma/tensor/tensor.hpp"

namespace soma {

struct Batch {
  Tensor x;            // [T, N, ...per-step]
  std::vector<int> y;  // [N]
  int64_t index = 0;   // global batch index within the epoch
};

struct LoaderOptions {
  int64_t batch_size = 32;  // global batch size B (all ranks together)
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  int rank = 0;
  int world = 1;
  int prefetch = 2;  // batches queued ahead; 0 = load in next()
  int threads = 1;   // OpenMP threads used to load the samples of one batch
};

class Loader {
 public:
  static constexpr uint64_t kSampleSalt = 0x5EED0DA7A5A3B1E5ull;

  Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t batches_per_epoch() const;
  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return opt_; }
  // The permutation of epoch `epoch` (dataset indices in visiting order).
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Positions me = [begin, end) of this rank within the global batch b (into epoch_order()).
  std::pair<int64_t, int64_t> rank_rows(int64_t b) const;

  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of this rank; false at the end of the epoch.
  bool next(Batch& out);

 private:
  struct Item {
    Batch batch;
    std::exception_ptr error;
  };
  void load_batch(int64_t b, Batch& out, std::vector<float>& scratch) const;
  void stop_worker();
  void worker_loop(int64_t first, int64_t last);

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions opt_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0;  // next batch to hand out
  int64_t end_ = 0;
  std::vector<float> scratch_;  // synchronous mode

  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  bool worker_done_ = true;
  bool failed_ = false;
};

}  // namespace soma
