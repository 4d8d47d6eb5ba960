// The caching allocator behind every Tensor buffer (and kernel scratch memory).
//
// Why: on the machines soma runs on, the first touch of a fresh page is very expensive (a
// virtual machine backs guest memory lazily: ~9 us per 4 KiB page, 0.1 GB/s, measured in
// BENCHMARKS.md "Kernels"), and glibc malloc gives large blocks back to the system on free(),
// so a training step that allocates its activations anew every step page-faults them in anew
// every step. The cache keeps freed blocks and hands them out again:
//   * blocks are 64-byte aligned; a request is served by the smallest cached block whose
//     capacity lies in [bytes, bytes + max(bytes / 8, 256 B)] (best fit, bounded waste);
//   * small blocks (< kMmapThreshold) come from aligned_alloc; larger ones from mmap, pre-faulted
//     in one call (MADV_POPULATE_WRITE: ~4x cheaper than faulting page by page); blocks of at
//     least 2 MiB are rounded to whole 2 MiB huge pages (MADV_HUGEPAGE), which re-populate ~50x
//     faster than 4 KiB pages on these machines;
//   * freed blocks return to the cache; when the cached bytes would exceed the limit
//     (max(cache_limit, 2 x peak live bytes)), the least recently freed blocks go back to the
//     system. A training step needs more distinct blocks than its peak live set (blocks of one
//     size are live at different times than blocks of another: forward activations vs backward
//     gradients), so a cap at 1 x peak made every step evict and re-populate ~30% of its memory;
//     at 2 x peak the steady state has no evictions and the footprint is the step's block set;
//   * thread-safe (one mutex; the data loader's prefetch thread allocates too). Allocation is
//     per tensor, not per element, so the lock is not contended.
// The cache is process-wide state by nature (like malloc's own arenas): a function-local
// singleton that is never destroyed, so tensors freed during static destruction stay valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace soma {

struct AllocatorStats {
  int64_t live_bytes = 0;     // capacity of blocks handed out and not yet freed
  int64_t cached_bytes = 0;   // capacity of blocks held in the cache
  int64_t peak_live_bytes = 0;
  int64_t system_bytes = 0;   // live + cached: what the cache holds from the system
  int64_t hits = 0;           // requests served from the cache
  int64_t misses = 0;         // requests that went to the system
  int64_t evictions = 0;      // cached blocks given back to the system
};

inline constexpr size_t kMmapThreshold = size_t(256) << 10;
inline constexpr size_t kHugePage = size_t(2) << 20;

// 64-byte aligned, uninitialised memory of at least `bytes` bytes (bytes may be 0).
void* cached_alloc(size_t bytes);
// Returns a block from cached_alloc to the cache. Null is ignored.
void cached_free(void* p) noexcept;

AllocatorStats allocator_stats();
// Gives every cached (not live) block back to the system.
void allocator_release_cached();
// The cache keeps at most max(bytes, 2 x peak live bytes) of freed blocks (default 256 MiB).
void allocator_set_cache_limit(int64_t bytes);

// Kernel scratch memory from the cache (instead of a std::vector per call): n elements of a
// trivial type, uninitialised, 64-byte aligned, returned to the cache on destruction. Move-only.
template <typename T>
class ScratchArray {
 public:
  ScratchArray() = default;
  explicit ScratchArray(int64_t n)
      : p_(n > 0 ? static_cast<T*>(cached_alloc(size_t(n) * sizeof(T))) : nullptr) {}
  ~ScratchArray() { cached_free(p_); }
  ScratchArray(ScratchArray&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  ScratchArray& operator=(ScratchArray&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ScratchArray(const ScratchArray&) = delete;
  ScratchArray& operator=(const ScratchArray&) = delete;
  T* data() { return p_; }
  const T* data() const { return p_; }
  T& operator[](int64_t i) { return p_[i]; }
  const T& operator[](int64_t i) const { return p_[i]; }

 private:
  T* p_ = nullptr;
};
using ScratchBuffer = ScratchArray<float>;

}  // namespace soma
