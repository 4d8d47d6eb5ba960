#include "soma/dist/mpi_communicator.hpp"

// The C API only: OpenMPI's and MPICH's mpi.h pull in the deprecated C++ bindings otherwise,
// which need a library (libmpi_cxx) that soma does not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "soma/core/error.hpp"

namespace soma {
namespace {

constexpr int64_t kMaxChunk = int64_t(1) << 30;  // MPI counts are int

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  SOMA_CHECK(false, what, " failed: ", std::string(text, static_cast<size_t>(len)));
}

}  // namespace

struct MpiCommunicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  bool owns_mpi = false;
  int rank = 0;
  int size = 1;
  std::vector<MPI_Request> pending;
};

MpiCommunicator::MpiCommunicator() : impl_(std::make_unique<Impl>()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    impl_->owns_mpi = true;
  }
  check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm), "MPI_Comm_dup");
  // Errors come back as return codes (checked), not as an abort inside MPI.
  MPI_Comm_set_errhandler(impl_->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(impl_->comm, &impl_->rank);
  MPI_Comm_size(impl_->comm, &impl_->size);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (!impl_->pending.empty())
    MPI_Waitall(static_cast<int>(impl_->pending.size()), impl_->pending.data(), MPI_STATUSES_IGNORE);
  if (impl_->comm != MPI_COMM_NULL) MPI_Comm_free(&impl_->comm);
  if (impl_->owns_mpi) MPI_Finalize();
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }

void MpiCommunicator::allreduce_sum(float* data, int64_t n) {
  for (int64_t i = 0; i < n; i += kMaxChunk)
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + i, static_cast<int>(std::min(kMaxChunk, n - i)),
                            MPI_FLOAT, MPI_SUM, impl_->comm),
              "MPI_Allreduce");
}

void MpiCommunicator::allreduce_sum(double* data, int64_t n) {
  for (int64_t i = 0; i < n; i += kMaxChunk)
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + i, static_cast<int>(std::min(kMaxChunk, n - i)),
                            MPI_DOUBLE, MPI_SUM, impl_->comm),
              "MPI_Allreduce");
}

void MpiCommunicator::broadcast(float* data, int64_t n, int root) {
  for (int64_t i = 0; i < n; i += kMaxChunk)
    check_mpi(MPI_Bcast(data + i, static_cast<int>(std::min(kMaxChunk, n - i)), MPI_FLOAT, root,
                        impl_->comm),
              "MPI_Bcast");
}

void MpiCommunicator::broadcast(uint64_t* data, int64_t n, int root) {
  for (int64_t i = 0; i < n; i += kMaxChunk)
    check_mpi(MPI_Bcast(data + i, static_cast<int>(std::min(kMaxChunk, n - i)), MPI_UINT64_T,
                        root, impl_->comm),
              "MPI_Bcast");
}

void MpiCommunicator::barrier() { check_mpi(MPI_Barrier(impl_->comm), "MPI_Barrier"); }

void MpiCommunicator::start_allreduce_sum(float* data, int64_t n) {
  for (int64_t i = 0; i < n; i += kMaxChunk) {
    MPI_Request r = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data + i, static_cast<int>(std::min(kMaxChunk, n - i)),
                             MPI_FLOAT, MPI_SUM, impl_->comm, &r),
              "MPI_Iallreduce");
    impl_->pending.push_back(r);
  }
}

void MpiCommunicator::progress() {
  if (impl_->pending.empty()) return;
  int done = 0;
  check_mpi(MPI_Testall(static_cast<int>(impl_->pending.size()), impl_->pending.data(), &done,
                        MPI_STATUSES_IGNORE),
            "MPI_Testall");
  if (done) impl_->pending.clear();
}

void MpiCommunicator::wait_all() {
  if (impl_->pending.empty()) return;
  const int rc = MPI_Waitall(static_cast<int>(impl_->pending.size()), impl_->pending.data(),
                             MPI_STATUSES_IGNORE);
  impl_->pending.clear();
  check_mpi(rc, "MPI_Waitall");
}

void MpiCommunicator::abort_job(int code) {
  MPI_Abort(impl_->comm != MPI_COMM_NULL ? impl_->comm : MPI_COMM_WORLD, code);
  // MPI_Abort does not return on any MPI implementation that honours the standard; this keeps
  // [[noreturn]] honest if one did.
  std::terminate();
}

}  // namespace soma
