// MpiCommunicator: the Communicator over MPI_COMM_WORLD (OpenMPI or any MPI-3 library).
// Compiled only when soma is built with MPI (CMake SOMA_WITH_MPI; SOMA_HAVE_MPI=1 is defined).
//
// The constructor initialises MPI unless it is already initialised, asking for
// MPI_THREAD_FUNNELED: only the thread that made the object calls MPI (OpenMP workers and the
// loader's prefetch thread never do). It works on a duplicate of MPI_COMM_WORLD, so soma's
// collectives never mix with a host program's. The destructor completes outstanding requests,
// frees the duplicate and finalises MPI when this object initialised it.
//
// Reductions: MPI_Allreduce(MPI_IN_PLACE, MPI_SUM) in float / double, and MPI_Iallreduce for
// start_allreduce_sum(); buffers longer than 2^30 elements go in 2^30-element pieces (MPI counts
// are int). MPI's sum over two ranks is a + b on both, so every rank gets the same bits; for
// more ranks OpenMPI's algorithms also hand every rank the same result (reduce-scatter then
// all-gather, or a fixed pairwise order).
// mpi.h stays out of this header (pointer to implementation), so it can be included anywhere.
#pragma once

#include <memory>

#include "soma/dist/communicator.hpp"

namespace soma {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator();
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override;
  int size() const override;
  void allreduce_sum(float* data, int64_t n) override;
  void allreduce_sum(double* data, int64_t n) override;
  void broadcast(float* data, int64_t n, int root) override;
  void broadcast(uint64_t* data, int64_t n, int root) override;
  void barrier() override;
  void start_allreduce_sum(float* data, int64_t n) override;
  void progress() override;
  void wait_all() override;

  // Ends every process of the job (MPI_Abort). For the CLI only: when one rank has failed, the
  // others would otherwise wait forever inside a collective.
  [[noreturn]] void abort_job(int code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace soma
