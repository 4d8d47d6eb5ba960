// The caching allocator behind every Tensor buffer (and kernel scratch memory).
//
// Why: on the machines soma runs on, the first touch of a fresh page is very expensive (a
// virtual machine backs guest memory lazily: ~9 us per 4 KiB page, 0.1 GB/s, measured in
// BENCHMARKS.md "Kernels"), and glibc malloc gives large blocks back to the system on free(),
// so a training step that allocates its activations anew every step page-faults them in anew
// every step. The allocator keeps freed memory and hands it out again, packed tightly enough
// that the footprint stays close to the peak of live bytes (BENCHMARKS.md "Memory: block
// splitting"). Two pools:
//   * large requests (>= kMmapThreshold) are carved out of a heap: a segment is one big
//     reservation of address space (kSegmentReserve, PROT_NONE, 2 MiB aligned, MADV_HUGEPAGE)
//     split into address-ordered blocks. Allocation rounds the request up to whole 4 KiB pages
//     and takes the best-fitting free block (smallest, then lowest address), splitting off the
//     remainder when it is at least kMinSplit; a freed block merges with its free neighbours.
//     The top of a segment is one free block ("wilderness"), so a request that fits nowhere
//     else extends the used part of the heap, reusing a free block that borders the top. A new
//     segment is reserved only when no free block of any segment is large enough.
//   * memory is committed ("populated") in 2 MiB granules (huge pages) when a block that covers
//     a never-used granule is handed out: one mprotect + one MADV_POPULATE_WRITE call per run
//     of new granules (~4x cheaper than faulting page by page; huge pages re-populate ~50x
//     faster than 4 KiB pages). Populated granules stay populated while they are cached, so a
//     repeated pattern (a training step) populates nothing after its first run;
//   * small requests (< kMmapThreshold) come from aligned_alloc with a one-cache-line header
//     and are cached per capacity: the smallest cached block within [bytes, bytes + max(bytes/8,
//     256 B)] is reused (bounded waste). They are a few MiB in all, so no splitting there;
//   * giving memory back: each pool caches at most max(cache_limit, 2 x its peak live bytes)
//     (default limit 256 MiB); above that, the large pool releases (MADV_DONTNEED) the
//     populated granules lying wholly inside free blocks, highest addresses first (the heap
//     shrinks from its top), and the small pool frees its least recently cached blocks. The
//     2 x keeps a repeated pattern from releasing and re-populating every step (at the end of a
//     step almost everything is free). allocator_release_cached() releases everything free;
//   * blocks are 64-byte aligned (large ones 4 KiB aligned);
//   * thread-safe (one mutex; the data loader's prefetch thread allocates too; populating,
//     which may take milliseconds, runs outside the lock). Allocation is per tensor, not per
//     element, so the lock is not contended.
// The allocator is process-wide state by nature (like malloc's own arenas): a function-local
// singleton that is never destroyed, so tensors freed during static destruction stay valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace soma {

struct AllocatorStats {
  int64_t live_bytes = 0;     // capacity of blocks handed out and not yet freed
  int64_t cached_bytes = 0;   // system_bytes - live_bytes: held from the system, not in use
  int64_t peak_live_bytes = 0;
  int64_t system_bytes = 0;   // populated heap granules + small blocks (live and cached)
  int64_t peak_system_bytes = 0;  // the allocator's share of the peak RSS
  int64_t hits = 0;           // requests served without new system memory
  int64_t misses = 0;         // requests that needed new system memory (populating, malloc)
  int64_t evictions = 0;      // cached blocks / runs of free granules given back
  // Large-request heap.
  int64_t segments = 0;       // address-space reservations
  int64_t free_blocks = 0;    // free blocks in the heap (fragmentation: many = fragmented)
  int64_t populated_bytes = 0;  // total bytes ever populated (grows only on first touches)
  int64_t released_bytes = 0;   // total bytes ever given back (MADV_DONTNEED, free)
};

// Requests of at least this many bytes are carved out of the heap; smaller ones are cached
// aligned_alloc blocks.
inline constexpr size_t kMmapThreshold = size_t(256) << 10;
inline constexpr size_t kHugePage = size_t(2) << 20;  // the heap's population granule
// Address space per heap segment (virtual only: memory is committed in 2 MiB granules).
inline constexpr size_t kSegmentReserve = size_t(64) << 30;
// A heap block is split when the remainder would be at least this large.
inline constexpr size_t kMinSplit = size_t(64) << 10;

// 64-byte aligned, uninitialised memory of at least `bytes` bytes (bytes may be 0).
void* cached_alloc(size_t bytes);
// Returns a block from cached_alloc to the cache. Null is ignored.
void cached_free(void* p) noexcept;

AllocatorStats allocator_stats();
// Gives every cached (not live) block and free granule back to the system.
void allocator_release_cached();
// Each pool keeps at most max(bytes, 2 x its peak live bytes) cached (default 256 MiB).
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
