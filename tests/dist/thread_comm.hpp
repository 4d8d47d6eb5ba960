// ThreadComm: a Communicator whose ranks are threads of one process, for testing data-parallel
// code without MPI. Every collective is two barriers around a shared slot per rank; sums run
// in rank order, so every rank gets the same bits (as with MPI).
#pragma once

#include <barrier>
#include <cstring>
#include <vector>

#include "soma/dist/communicator.hpp"

namespace soma::testing {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), barrier_(size), slots_(size) {}
  int size() const { return size_; }

 private:
  friend class ThreadComm;
  int size_;
  std::barrier<> barrier_;
  std::vector<std::vector<char>> slots_;
};

class ThreadComm final : public Communicator {
 public:
  ThreadComm(ThreadGroup& group, int rank) : g_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_.size(); }
  void allreduce_sum(float* d, int64_t n) override { reduce(d, n); }
  void allreduce_sum(double* d, int64_t n) override { reduce(d, n); }
  void broadcast(float* d, int64_t n, int root) override { bcast(d, n, root); }
  void broadcast(uint64_t* d, int64_t n, int root) override { bcast(d, n, root); }
  void barrier() override { g_.barrier_.arrive_and_wait(); }
  int64_t collectives() const { return calls_; }

 private:
  template <typename T>
  void reduce(T* d, int64_t n) {
    ++calls_;
    auto& mine = g_.slots_[rank_];
    mine.resize(sizeof(T) * n);
    std::memcpy(mine.data(), d, sizeof(T) * n);
    g_.barrier_.arrive_and_wait();
    for (int64_t i = 0; i < n; ++i) {
      T s = 0;
      for (int r = 0; r < g_.size(); ++r) s += reinterpret_cast<const T*>(g_.slots_[r].data())[i];
      d[i] = s;
    }
    g_.barrier_.arrive_and_wait();
  }
  template <typename T>
  void bcast(T* d, int64_t n, int root) {
    ++calls_;
    if (rank_ == root) {
      g_.slots_[root].resize(sizeof(T) * n);
      std::memcpy(g_.slots_[root].data(), d, sizeof(T) * n);
    }
    g_.barrier_.arrive_and_wait();
    if (rank_ != root) std::memcpy(d, g_.slots_[root].data(), sizeof(T) * n);
    g_.barrier_.arrive_and_wait();
  }

  ThreadGroup& g_;
  int rank_;
  int64_t calls_ = 0;
};

}  // namespace soma::testing
