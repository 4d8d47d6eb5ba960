#include "soma/tensor/allocator.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <unordered_map>
#include <vector>

#include "soma/core/error.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux >= 5.14; older kernels return EINVAL and we touch pages
#endif

namespace soma {

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHeader = 64;  // one cache line before a small block's user pointer
constexpr size_t kPage = 4096;
constexpr size_t kGranule = kHugePage;
constexpr int64_t kDefaultCacheLimit = int64_t(256) << 20;

size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

// Live, peak and system bytes of one pool (the limit of each pool follows its own peak).
struct PoolBytes {
  int64_t live = 0, peak_live = 0, system = 0;
  int64_t cached() const { return system - live; }
};

// ---- small pool: cached aligned_alloc blocks ----------------------------------------------

// Lives in the first cache line of every small block.
struct SmallHeader {
  size_t capacity;  // usable bytes after the header
  uint64_t stamp;   // when it was last cached (LRU eviction)
};
static_assert(sizeof(SmallHeader) <= kHeader);

SmallHeader* header_of(void* p) {
  return reinterpret_cast<SmallHeader*>(static_cast<char*>(p) - kHeader);
}
void small_system_free(void* p) { std::free(static_cast<char*>(p) - kHeader); }

// ---- large pool: best-fit heap with splitting and coalescing -------------------------------

struct Segment;

// A run of a segment's address space, free or handed out; neighbours in address order.
struct Block {
  char* ptr = nullptr;
  size_t size = 0;
  bool free = true;
  Block* prev = nullptr;
  Block* next = nullptr;
  Segment* seg = nullptr;
};

// Free blocks ordered by size, then address: lower_bound(size) is the best fit, and among
// equal sizes the lowest address wins (keeps the heap compact at its bottom).
struct BySizeThenAddress {
  bool operator()(const Block* a, const Block* b) const {
    return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
  }
};

struct Segment {
  char* base = nullptr;
  size_t size = 0;                  // multiple of kGranule
  std::vector<uint8_t> populated;  // per granule
  Block* last = nullptr;            // the highest block
};

// A range to pre-fault after the lock is released.
struct Range {
  char* p;
  size_t n;
};

void populate(const Range& r) {
  if (madvise(r.p, r.n, MADV_POPULATE_WRITE) == 0) return;
  // Fallback: touch one byte per page. The first and last page may hold a neighbour block that
  // another thread is writing, so the touch is an atomic no-op read-modify-write.
  for (size_t off = 0; off < r.n; off += kPage)
    std::atomic_ref<unsigned char>(reinterpret_cast<unsigned char&>(r.p[off])).fetch_or(0);
}

class Allocator {
 public:
  void* alloc(size_t bytes) { return bytes < kMmapThreshold ? alloc_small(bytes) : alloc_large(bytes); }

  void free(void* p) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(p);
      if (it != live_.end()) {
        Block* b = it->second;
        live_.erase(it);
        free_large(b);
        trim_large(limit_for(large_));
        return;
      }
    }
    free_small(p);
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    AllocatorStats s = stats_;
    s.live_bytes = small_.live + large_.live;
    s.system_bytes = small_.system + large_.system;
    s.cached_bytes = s.system_bytes - s.live_bytes;
    s.segments = int64_t(segments_.size());
    s.free_blocks = int64_t(free_.size());
    return s;
  }

  void release() {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      trim_large(0);
      while (small_.cached() > 0) evicted.push_back(evict_oldest_small());
    }
    for (void* q : evicted) small_system_free(q);
  }

  void set_limit(int64_t bytes) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      limit_ = bytes;
      trim_large(limit_for(large_));
      while (small_.cached() > limit_for(small_)) evicted.push_back(evict_oldest_small());
    }
    for (void* q : evicted) small_system_free(q);
  }

 private:
  int64_t limit_for(const PoolBytes& pool) const { return std::max(limit_, 2 * pool.peak_live); }

  // mu_ held.
  void add_live(PoolBytes& pool, int64_t bytes) {
    pool.live += bytes;
    pool.peak_live = std::max(pool.peak_live, pool.live);
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, small_.live + large_.live);
  }
  void add_system(PoolBytes& pool, int64_t bytes) {
    pool.system += bytes;
    stats_.peak_system_bytes = std::max(stats_.peak_system_bytes, small_.system + large_.system);
  }

  // ---- small pool ----

  void* alloc_small(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      const size_t slack = std::max<size_t>(bytes / 8, 256);
      for (auto it = small_free_.lower_bound(bytes);
           it != small_free_.end() && it->first <= bytes + slack; ++it) {
        if (it->second.empty()) continue;
        void* p = it->second.back();
        it->second.pop_back();
        add_live(small_, int64_t(it->first));
        ++stats_.hits;
        return p;
      }
      ++stats_.misses;
    }
    const size_t want = round_up(bytes + kHeader, kAlign);
    void* base = std::aligned_alloc(kAlign, want);
    if (!base) throw std::bad_alloc();
    *static_cast<SmallHeader*>(base) = {want - kHeader, 0};
    std::lock_guard<std::mutex> lock(mu_);
    add_system(small_, int64_t(want - kHeader));
    add_live(small_, int64_t(want - kHeader));
    stats_.populated_bytes += int64_t(want - kHeader);
    return static_cast<char*>(base) + kHeader;
  }

  void free_small(void* p) {
    SmallHeader* h = header_of(p);
    const int64_t cap = int64_t(h->capacity);
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      small_.live -= cap;
      h->stamp = ++clock_;
      small_free_[h->capacity].push_back(p);
      while (small_.cached() > limit_for(small_)) evicted.push_back(evict_oldest_small());
    }
    for (void* q : evicted) small_system_free(q);
  }

  // Removes the least recently cached small block from the lists (the caller frees it). mu_ held.
  void* evict_oldest_small() {
    auto best = small_free_.end();
    uint64_t best_stamp = UINT64_MAX;
    for (auto it = small_free_.begin(); it != small_free_.end(); ++it)
      if (!it->second.empty() && header_of(it->second.front())->stamp < best_stamp) {
        best_stamp = header_of(it->second.front())->stamp;
        best = it;
      }
    SOMA_ASSERT(best != small_free_.end(), "allocator: eviction with an empty cache");
    // Within one size the front is the oldest (blocks are pushed at the back).
    void* p = best->second.front();
    best->second.erase(best->second.begin());
    if (best->second.empty()) small_free_.erase(best);
    small_.system -= int64_t(best->first);
    stats_.released_bytes += int64_t(best->first);
    ++stats_.evictions;
    return p;
  }

  // ---- large pool ----

  void* alloc_large(size_t bytes) {
    const size_t want = round_up(bytes, kPage);
    std::vector<Range> fresh;
    char* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Block key;
      key.size = want;
      auto it = free_.lower_bound(&key);
      if (it == free_.end()) it = free_.insert(new_segment(want)).first;
      Block* b = *it;
      free_.erase(it);
      if (b->size - want >= kMinSplit) split(b, want);
      b->free = false;
      live_.emplace(b->ptr, b);
      add_live(large_, int64_t(b->size));
      commit(b, fresh);
      ++(fresh.empty() ? stats_.hits : stats_.misses);
      p = b->ptr;
    }
    for (const Range& r : fresh) populate(r);  // outside the lock: may take milliseconds
    return p;
  }

  // Reserves a segment able to hold `want` bytes; returns its one (free) block. mu_ held.
  Block* new_segment(size_t want) {
    const size_t need = round_up(want, kGranule);
    size_t size = std::max(kSegmentReserve, need);
    void* m = MAP_FAILED;
    for (;;) {  // over-reserve one granule to align the base to a huge page
      m = mmap(nullptr, size + kGranule, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
      if (m != MAP_FAILED || size == need) break;
      size = std::max(need, round_up(size / 2, kGranule));
    }
    if (m == MAP_FAILED) throw std::bad_alloc();
    char* raw = static_cast<char*>(m);
    char* base = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(raw), kGranule));
    if (base > raw) munmap(raw, size_t(base - raw));
    const size_t tail = size_t((raw + size + kGranule) - (base + size));
    if (tail > 0) munmap(base + size, tail);
    madvise(base, size, MADV_HUGEPAGE);
    auto seg = std::make_unique<Segment>();
    seg->base = base;
    seg->size = size;
    seg->populated.assign(size / kGranule, 0);
    Block* b = new Block;
    b->ptr = base;
    b->size = size;
    b->seg = seg.get();
    seg->last = b;
    segments_.push_back(std::move(seg));
    return b;
  }

  // Cuts b to `want` bytes; the rest becomes a free block after it. mu_ held.
  void split(Block* b, size_t want) {
    Block* r = new Block;
    r->ptr = b->ptr + want;
    r->size = b->size - want;
    r->prev = b;
    r->next = b->next;
    r->seg = b->seg;
    if (b->next)
      b->next->prev = r;
    else
      b->seg->last = r;
    b->next = r;
    b->size = want;
    free_.insert(r);
  }

  // Appends b's successor to b (both free, out of free_). mu_ held.
  static void absorb_next(Block* b) {
    Block* n = b->next;
    b->size += n->size;
    b->next = n->next;
    if (n->next)
      n->next->prev = b;
    else
      b->seg->last = b;
    delete n;
  }

  void free_large(Block* b) {  // mu_ held
    large_.live -= int64_t(b->size);
    b->free = true;
    if (b->next && b->next->free) {
      free_.erase(b->next);
      absorb_next(b);
    }
    if (b->prev && b->prev->free) {
      b = b->prev;
      free_.erase(b);
      absorb_next(b);
    }
    free_.insert(b);
  }

  // Marks the granules under b populated; the new ones are made accessible here and listed in
  // `fresh` to be pre-faulted. mu_ held.
  void commit(const Block* b, std::vector<Range>& fresh) {
    Segment& s = *b->seg;
    const size_t g0 = size_t(b->ptr - s.base) / kGranule;
    const size_t g1 = (size_t(b->ptr - s.base) + b->size + kGranule - 1) / kGranule;
    for (size_t g = g0; g < g1;) {
      if (s.populated[g]) {
        ++g;
        continue;
      }
      size_t e = g;
      while (e < g1 && !s.populated[e]) s.populated[e++] = 1;
      Range r{s.base + g * kGranule, (e - g) * kGranule};
      // Under the lock: another thread may write to a shared boundary granule right away.
      if (mprotect(r.p, r.n, PROT_READ | PROT_WRITE) != 0) {
        std::fill(s.populated.begin() + std::ptrdiff_t(g), s.populated.begin() + std::ptrdiff_t(e), 0);
        throw std::bad_alloc();
      }
      add_system(large_, int64_t(r.n));
      stats_.populated_bytes += int64_t(r.n);
      fresh.push_back(r);
      g = e;
    }
  }

  // Releases populated granules lying wholly inside free blocks, from the top of the last
  // segment down, until the pool caches at most `limit` bytes. mu_ held (the release must not
  // race with a thread re-populating the same granule).
  void trim_large(int64_t limit) {
    for (auto sit = segments_.rbegin(); sit != segments_.rend() && large_.cached() > limit; ++sit) {
      Segment& s = **sit;
      for (Block* b = s.last; b && large_.cached() > limit; b = b->prev) {
        if (!b->free) continue;
        const size_t g0 = (size_t(b->ptr - s.base) + kGranule - 1) / kGranule;
        const size_t g1 = (size_t(b->ptr - s.base) + b->size) / kGranule;
        for (size_t g = g1; g > g0 && large_.cached() > limit;) {
          if (!s.populated[g - 1]) {
            --g;
            continue;
          }
          size_t e = g;  // release the run [g, e) of populated granules below e
          while (g > g0 && s.populated[g - 1] &&
                 large_.cached() - int64_t((e - g) * kGranule) > limit)
            s.populated[--g] = 0;
          const size_t n = (e - g) * kGranule;
          madvise(s.base + g * kGranule, n, MADV_DONTNEED);
          large_.system -= int64_t(n);
          stats_.released_bytes += int64_t(n);
          ++stats_.evictions;
        }
      }
    }
  }

  std::mutex mu_;
  AllocatorStats stats_;  // counters; the byte figures are assembled in stats()
  PoolBytes small_, large_;
  int64_t limit_ = kDefaultCacheLimit;
  uint64_t clock_ = 0;
  std::map<size_t, std::vector<void*>> small_free_;  // capacity -> cached blocks, oldest first
  std::vector<std::unique_ptr<Segment>> segments_;
  std::set<Block*, BySizeThenAddress> free_;
  std::unordered_map<void*, Block*> live_;  // user pointer -> its heap block
};

Allocator& allocator() {
  static Allocator* a = new Allocator;  // never destroyed: see the header
  return *a;
}

}  // namespace

void* cached_alloc(size_t bytes) { return allocator().alloc(bytes); }

void cached_free(void* p) noexcept {
  if (p) allocator().free(p);
}

AllocatorStats allocator_stats() { return allocator().stats(); }

void allocator_release_cached() { allocator().release(); }

void allocator_set_cache_limit(int64_t bytes) { allocator().set_limit(bytes); }

}  // namespace soma
