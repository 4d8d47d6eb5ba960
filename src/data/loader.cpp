#include "soma/data/loader.hpp"

#include <omp.h>

#include <algorithm>
#include <numeric>

#include "soma/core/error.hpp"
#include "soma/core/rng.hpp"

namespace soma {

Loader::Loader(std::shared_ptr<const Dataset> dataset, LoaderOptions opt)
    : dataset_(std::move(dataset)), opt_(opt) {
  SOMA_CHECK(dataset_ != nullptr, "Loader needs a dataset");
  SOMA_CHECK(opt_.batch_size > 0, "batch_size must be > 0, got ", opt_.batch_size);
  SOMA_CHECK(opt_.world >= 1 && opt_.rank >= 0 && opt_.rank < opt_.world, "rank ", opt_.rank,
             " is not in [0, world = ", opt_.world, ")");
  SOMA_CHECK(opt_.batch_size % opt_.world == 0, "batch_size ", opt_.batch_size,
             " must be divisible by the number of data-parallel ranks (", opt_.world, ")");
  SOMA_CHECK(opt_.prefetch >= 0, "prefetch must be >= 0, got ", opt_.prefetch);
  SOMA_CHECK(opt_.threads >= 1, "loader threads must be >= 1, got ", opt_.threads);
  SOMA_CHECK(dataset_->sample_shape().rank() >= 1 && dataset_->sample_shape().rank() < Shape::kMaxRank,
             "dataset sample shape ", dataset_->sample_shape().str(), " must be [T, ...] with rank < ",
             Shape::kMaxRank);
}

Loader::~Loader() { stop_worker(); }

int64_t Loader::batches_per_epoch() const {
  const int64_t S = dataset_->size(), B = opt_.batch_size;
  return opt_.drop_last ? S / B : (S + B - 1) / B;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_->size()));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (opt_.shuffle) {
    Rng rng(opt_.seed, static_cast<uint64_t>(epoch));
    for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
  }
  return order;
}

std::pair<int64_t, int64_t> Loader::rank_rows(int64_t b) const {
  const int64_t S = dataset_->size(), B = opt_.batch_size;
  const int64_t begin = b * B;
  const int64_t rows = std::min(begin + B, S) - begin;
  return {begin + opt_.rank * rows / opt_.world, begin + (opt_.rank + 1) * rows / opt_.world};
}

void Loader::load_batch(int64_t b, Batch& out, std::vector<float>& scratch) const {
  const auto [begin, end] = rank_rows(b);
  const int64_t n = end - begin;
  const Shape ss = dataset_->sample_shape();
  const int64_t T = ss[0];
  const int64_t step = ss.numel_from(1);
  const int64_t numel = T * step;
  std::vector<int64_t> lead{T, n};
  for (int d = 1; d < ss.rank(); ++d) lead.push_back(ss[d]);
  out.x = Tensor::empty(Shape(lead));
  out.y.assign(static_cast<size_t>(n), 0);
  out.index = b;
  scratch.resize(static_cast<size_t>(std::max<int64_t>(n * numel, 1)));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  float* x = out.x.data();
  const uint64_t salted = opt_.seed ^ kSampleSalt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(opt_.threads)
  for (int64_t k = 0; k < n; ++k) {
    try {
      const int64_t i = order_[static_cast<size_t>(begin + k)];
      Rng rng(salted, (static_cast<uint64_t>(epoch_) << 40) ^ static_cast<uint64_t>(i));
      float* s = scratch.data() + k * numel;
      dataset_->get(i, s, rng);
      out.y[static_cast<size_t>(k)] = dataset_->label(i);
      for (int64_t t = 0; t < T; ++t)
        std::copy(s + t * step, s + (t + 1) * step, x + (t * n + k) * step);
    } catch (...) {
      errors[static_cast<size_t>(k)] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void Loader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
  stop_ = false;
  worker_done_ = true;
}

void Loader::worker_loop(int64_t first, int64_t last) {
  std::vector<float> scratch;
  for (int64_t b = first; b < last; ++b) {
    Item item;
    try {
      load_batch(b, item.batch, scratch);
    } catch (...) {
      item.error = std::current_exception();
    }
    const bool failed = item.error != nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < opt_.prefetch; });
      if (stop_) return;
      queue_.push_back(std::move(item));
      if (failed || b + 1 == last) worker_done_ = true;
    }
    cv_.notify_all();
    if (failed) return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    worker_done_ = true;
  }
  cv_.notify_all();
}

void Loader::start_epoch(int64_t epoch, int64_t first_batch) {
  SOMA_CHECK(epoch >= 0, "epoch must be >= 0, got ", epoch);
  const int64_t nb = batches_per_epoch();
  SOMA_CHECK(first_batch >= 0 && first_batch <= nb, "cannot start epoch ", epoch, " at batch ",
             first_batch, ": it has ", nb, " batches");
  stop_worker();
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  cursor_ = first_batch;
  end_ = nb;
  failed_ = false;
  if (opt_.prefetch > 0 && first_batch < nb) {
    worker_done_ = false;
    worker_ = std::thread([this, first_batch, nb] { worker_loop(first_batch, nb); });
  }
}

bool Loader::next(Batch& out) {
  SOMA_CHECK(epoch_ >= 0, "Loader::next() called before start_epoch()");
  SOMA_CHECK(!failed_, "Loader::next() called after a loading error; call start_epoch() again");
  if (cursor_ >= end_) return false;
  if (opt_.prefetch == 0) {
    try {
      load_batch(cursor_, out, scratch_);
    } catch (...) {
      failed_ = true;
      throw;
    }
    ++cursor_;
    return true;
  }
  Item item;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || worker_done_; });
    SOMA_ASSERT(!queue_.empty(), "loader worker finished without batch ", cursor_);
    item = std::move(queue_.front());
    queue_.pop_front();
  }
  cv_.notify_all();
  if (item.error) {
    failed_ = true;
    std::rethrow_exception(item.error);
  }
  SOMA_ASSERT(item.batch.index == cursor_, "batch ", item.batch.index, " arrived, expected ",
              cursor_);
  ++cursor_;
  out = std::move(item.batch);
  return true;
}

}  // namespace soma
