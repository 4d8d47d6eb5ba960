// Communicator: what data-parallel training needs from a process group (ARCHITECTURE.md s. 8).
//
// rank() of size(); allreduce_sum over a float or double buffer (in place); broadcast from a
// root. SingleProcess is the default (size 1, every call a no-op), so the engine and its tests
// need no MPI; MpiCommunicator (dist/mpi_communicator.hpp) exists when built with MPI.
//
// Non-blocking reductions (for overlapping the gradient all-reduce with the backward pass):
// start_allreduce_sum() starts an in-place sum of a float segment and returns at once; the
// segment must not be read or written until wait_all(). progress() gives outstanding reductions
// a chance to advance (MPI advances non-blocking collectives only inside MPI calls). The default
// implementation reduces at once (blocking), which is correct for any communicator.
// Every rank must issue the same collective calls in the same order (MPI's rule).
#pragma once

#include <cstdint>
#include <memory>

namespace soma {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void allreduce_sum(float* data, int64_t n) = 0;
  virtual void allreduce_sum(double* data, int64_t n) = 0;
  virtual void broadcast(float* data, int64_t n, int root) = 0;
  virtual void broadcast(uint64_t* data, int64_t n, int root) = 0;
  virtual void barrier() = 0;

  virtual void start_allreduce_sum(float* data, int64_t n) { allreduce_sum(data, n); }
  virtual void progress() {}
  virtual void wait_all() {}

  bool is_root() const { return rank() == 0; }
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(float*, int64_t) override {}
  void allreduce_sum(double*, int64_t) override {}
  void broadcast(float*, int64_t, int) override {}
  void broadcast(uint64_t*, int64_t, int) override {}
  void barrier() override {}
};

}  // namespace soma
