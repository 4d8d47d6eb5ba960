#include "soma/tensor/allocator.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "soma/core/error.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux >= 5.14; older kernels return EINVAL and we touch pages
#endif

namespace soma {

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHeader = 64;  // one cache line before the user pointer
constexpr size_t kPage = 4096;
constexpr int64_t kDefaultCacheLimit = int64_t(256) << 20;

// Lives in the first cache line of every block.
struct Header {
  size_t capacity;   // usable bytes after the header
  void* base;        // what the system gave (free / munmap this)
  size_t map_bytes;  // mmap length, 0 for aligned_alloc blocks
  uint64_t stamp;    // when it was last cached (LRU eviction)
};
static_assert(sizeof(Header) <= kHeader);

Header* header_of(void* p) { return reinterpret_cast<Header*>(static_cast<char*>(p) - kHeader); }

size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

void* system_alloc(size_t bytes) {
  const size_t want = round_up(bytes + kHeader, kAlign);
  if (want < kMmapThreshold) {
    void* base = std::aligned_alloc(kAlign, want);
    if (!base) throw std::bad_alloc();
    auto* h = static_cast<Header*>(base);
    *h = {want - kHeader, base, 0, 0};
    return static_cast<char*>(base) + kHeader;
  }
  const bool huge = want >= kHugePage;
  const size_t len = round_up(want, huge ? kHugePage : kPage);
  // Over-map by one huge page so the block can start on a huge-page boundary.
  const size_t map_len = huge ? len + kHugePage : len;
  void* m = mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  char* base = static_cast<char*>(m);
  if (huge) {
    char* aligned = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(base), kHugePage));
    if (aligned > base) munmap(base, aligned - base);
    const size_t tail = (base + map_len) - (aligned + len);
    if (tail > 0) munmap(aligned + len, tail);
    base = aligned;
    madvise(base, len, MADV_HUGEPAGE);
  }
  // Pre-fault in one system call; fall back to touching one byte per page.
  if (madvise(base, len, MADV_POPULATE_WRITE) != 0)
    for (size_t off = 0; off < len; off += kPage) base[off] = 0;
  auto* h = reinterpret_cast<Header*>(base);
  *h = {len - kHeader, base, len, 0};
  return base + kHeader;
}

void system_free(void* p) {
  Header* h = header_of(p);
  if (h->map_bytes == 0)
    std::free(h->base);
  else
    munmap(h->base, h->map_bytes);
}

class BlockCache {
 public:
  void* alloc(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      const size_t slack = std::max<size_t>(bytes / 8, 256);
      for (auto it = free_.lower_bound(bytes); it != free_.end() && it->first <= bytes + slack;
           ++it) {
        if (it->second.empty()) continue;
        void* p = it->second.back();
        it->second.pop_back();
        stats_.cached_bytes -= int64_t(it->first);
        add_live(int64_t(it->first));
        ++stats_.hits;
        return p;
      }
      ++stats_.misses;
    }
    void* p = system_alloc(bytes);  // outside the lock: populating may take milliseconds
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t cap = int64_t(header_of(p)->capacity);
    add_live(cap);
    stats_.system_bytes += cap;
    return p;
  }

  void free(void* p) {
    Header* h = header_of(p);
    const int64_t cap = int64_t(h->capacity);
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.live_bytes -= cap;
      const int64_t limit = std::max(limit_, 2 * stats_.peak_live_bytes);
      if (cap > limit) {
        evicted.push_back(p);
        stats_.system_bytes -= cap;
        ++stats_.evictions;
      } else {
        h->stamp = ++clock_;
        free_[h->capacity].push_back(p);
        stats_.cached_bytes += cap;
        while (stats_.cached_bytes > limit) evicted.push_back(evict_oldest());
      }
    }
    for (void* q : evicted) system_free(q);
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void release() {
    std::vector<void*> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [cap, list] : free_) {
        stats_.cached_bytes -= int64_t(cap) * int64_t(list.size());
        stats_.system_bytes -= int64_t(cap) * int64_t(list.size());
        stats_.evictions += int64_t(list.size());
        all.insert(all.end(), list.begin(), list.end());
      }
      free_.clear();
    }
    for (void* q : all) system_free(q);
  }

  void set_limit(int64_t bytes) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      limit_ = bytes;
      const int64_t limit = std::max(limit_, 2 * stats_.peak_live_bytes);
      while (stats_.cached_bytes > limit) evicted.push_back(evict_oldest());
    }
    for (void* q : evicted) system_free(q);
  }

 private:
  void add_live(int64_t cap) {
    stats_.live_bytes += cap;
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.live_bytes);
  }

  // Removes the least recently cached block from the lists (the caller frees it). mu_ held.
  void* evict_oldest() {
    auto best = free_.end();
    uint64_t best_stamp = UINT64_MAX;
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (!it->second.empty() && header_of(it->second.front())->stamp < best_stamp) {
        best_stamp = header_of(it->second.front())->stamp;
        best = it;
      }
    SOMA_ASSERT(best != free_.end(), "allocator: eviction with an empty cache");
    // Within one size the front is the oldest (blocks are pushed at the back).
    void* p = best->second.front();
    best->second.erase(best->second.begin());
    stats_.cached_bytes -= int64_t(best->first);
    stats_.system_bytes -= int64_t(best->first);
    ++stats_.evictions;
    return p;
  }

  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;  // capacity -> cached blocks, oldest first
  AllocatorStats stats_;
  int64_t limit_ = kDefaultCacheLimit;
  uint64_t clock_ = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache;  // never destroyed: see the header
  return *c;
}

}  // namespace

void* cached_alloc(size_t bytes) { return cache().alloc(bytes); }

void cached_free(void* p) noexcept {
  if (p) cache().free(p);
}

AllocatorStats allocator_stats() { return cache().stats(); }

void allocator_release_cached() { cache().release(); }

void allocator_set_cache_limit(int64_t bytes) { cache().set_limit(bytes); }

}  // namespace soma
