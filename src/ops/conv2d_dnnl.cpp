#include "soma/ops/conv2d_dnnl.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "soma/tensor/allocator.hpp"

#if SOMA_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include "serial_omp_scope.hpp"
#endif

namespace soma {

namespace {
// -1: not decided yet (read SOMA_CONV on first use).
std::atomic<int> g_dnnl_enabled{-1};
}  // namespace

bool conv2d_dnnl_enabled() {
  int v = g_dnnl_enabled.load();
  if (v < 0) {
    const char* env = std::getenv("SOMA_CONV");
    v = (env && std::string_view(env) == "gemm") ? 0 : 1;
    g_dnnl_enabled.store(v);
  }
  return v == 1;
}

void conv2d_set_dnnl_enabled(bool on) { g_dnnl_enabled.store(on ? 1 : 0); }

#if !SOMA_HAVE_DNNL

bool conv2d_dnnl_applies(const Conv2dGeometry&) { return false; }
bool conv2d_dnnl_weight_grad_applies(const Conv2dGeometry&) { return false; }
bool conv2d_forward_dnnl(const float*, int64_t, const Conv2dGeometry&, const float*,
                         const float*, float*) {
  return false;
}
bool conv2d_backward_dnnl(const float*, const float*, int64_t, const Conv2dGeometry&,
                          const float*, float*, float*) {
  return false;
}

#else

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

// Blocked input + output bytes per chunk, and at most this many images per chunk: on the
// gesture/cifar/mnist layer shapes, chunks of 1-16 images (256 KiB - 8 MiB) ran within noise
// of each other and of one whole-batch call, at 1 and 2 threads (BENCHMARKS.md "Round 5").
constexpr int64_t kChunkBytes = int64_t(2) << 20;
constexpr int64_t kMaxChunkImages = 16;
// Fixed groups of chunks whose weight gradients are summed separately, then in group order.
constexpr int64_t kWeightGroups = 8;

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Everything oneDNN needs for one geometry and one chunk of n images.
struct Prims {
  memory::desc x_plain, y_plain, w_plain, bias;
  memory::desc x_blk, y_blk, w_fwd, gy_blk, gx_blk, w_bwd, gw_blk;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_weights;
  dnnl::reorder x_in, y_out, gy_in, gx_out, w_to_fwd, w_to_bwd, gw_out;
  memory::desc fwd_sp, bwd_data_sp, bwd_weights_sp;  // scratchpads (usually empty)
  size_t scratch_bytes = 0;
};

using Key = std::array<int64_t, 12>;

Key key_of(const Conv2dGeometry& g, int64_t n) {
  return {g.c, g.h, g.w, g.o, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, (g.dh << 16) | g.dw, n};
}

dnnl::reorder make_reorder(const memory::desc& from, const memory::desc& to) {
  return dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to));
}

// Builds the primitives, or returns null when oneDNN has no fitting kernel. Runs in a
// single-thread scope so that the kernels plan for one thread.
std::unique_ptr<Prims> build(const Conv2dGeometry& g, int64_t n) {
  const int64_t ho = g.h_out(), wo = g.w_out();
  // Right/bottom padding that makes oneDNN's output size equal ours (negative when the last
  // input rows are never read, e.g. stride 2 over an even size without padding).
  const int64_t pr_h = (ho - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h - g.ph;
  const int64_t pr_w = (wo - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w - g.pw;
  const memory::dims xd{n, g.c, g.h, g.w}, yd{n, g.o, ho, wo}, wd{g.o, g.c, g.kh, g.kw};
  const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, pl{g.ph, g.pw},
      pr{pr_h, pr_w};
  auto p = std::make_unique<Prims>();
  p->x_plain = memory::desc(xd, kF32, Tag::nchw);
  p->y_plain = memory::desc(yd, kF32, Tag::nchw);
  p->w_plain = memory::desc(wd, kF32, Tag::oihw);
  p->bias = memory::desc({g.o}, kF32, Tag::x);
  const memory::desc xa(xd, kF32, Tag::any), ya(yd, kF32, Tag::any), wa(wd, kF32, Tag::any);
  try {
    SerialOmpScope serial;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const auto alg = dnnl::algorithm::convolution_direct;
    const dnnl::convolution_forward::primitive_desc fpd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, xa, wa, p->bias,
                                        ya, strides, dil, pl, pr),
        attr, cpu_engine());
    const dnnl::convolution_backward_data::primitive_desc dpd(
        dnnl::convolution_backward_data::desc(alg, xa, wa, ya, strides, dil, pl, pr), attr,
        cpu_engine(), fpd);
    const dnnl::convolution_backward_weights::primitive_desc wpd(
        dnnl::convolution_backward_weights::desc(alg, xa, wa, ya, strides, dil, pl, pr), attr,
        cpu_engine(), fpd);
    p->x_blk = fpd.src_desc();
    p->y_blk = fpd.dst_desc();
    p->w_fwd = fpd.weights_desc();
    p->gy_blk = dpd.diff_dst_desc();
    p->gx_blk = dpd.diff_src_desc();
    p->w_bwd = dpd.weights_desc();
    p->gw_blk = wpd.diff_weights_desc();
    // The backward reorders x and grad_y once per chunk for both of its kernels.
    if (!(wpd.src_desc() == p->x_blk) || !(wpd.diff_dst_desc() == p->gy_blk)) return nullptr;
    p->fwd = dnnl::convolution_forward(fpd);
    p->bwd_data = dnnl::convolution_backward_data(dpd);
    p->bwd_weights = dnnl::convolution_backward_weights(wpd);
    p->x_in = make_reorder(p->x_plain, p->x_blk);
    p->y_out = make_reorder(p->y_blk, p->y_plain);
    p->gy_in = make_reorder(p->y_plain, p->gy_blk);
    p->gx_out = make_reorder(p->gx_blk, p->x_plain);
    p->w_to_fwd = make_reorder(p->w_plain, p->w_fwd);
    p->w_to_bwd = make_reorder(p->w_plain, p->w_bwd);
    p->gw_out = make_reorder(p->gw_blk, p->w_plain);
    p->fwd_sp = fpd.scratchpad_desc();
    p->bwd_data_sp = dpd.scratchpad_desc();
    p->bwd_weights_sp = wpd.scratchpad_desc();
    p->scratch_bytes = std::max({p->fwd_sp.get_size(), p->bwd_data_sp.get_size(),
                                 p->bwd_weights_sp.get_size()});
  } catch (const dnnl::error&) {
    return nullptr;
  }
  return p;
}

// The cached primitives of (g, n), built on first use; null when oneDNN cannot run it.
const Prims* prims(const Conv2dGeometry& g, int64_t n) {
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<Prims>> cache;
  std::lock_guard<std::mutex> lock(mu);
  const Key k = key_of(g, n);
  auto it = cache.find(k);
  if (it == cache.end()) it = cache.emplace(k, build(g, n)).first;
  return it->second.get();
}

// Images per chunk and the chunks: a function of the shape only.
struct Chunks {
  int64_t per = 1, count = 0, last = 0;  // last: images in the final chunk
  const Prims* full = nullptr;
  const Prims* tail = nullptr;  // the final chunk's primitives
  Chunks(const Conv2dGeometry& g, int64_t batch) {
    const int64_t image_bytes =
        (g.c * g.h * g.w + g.o * g.h_out() * g.w_out()) * int64_t(sizeof(float));
    per = std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(image_bytes, 1), 1,
                              std::min(kMaxChunkImages, batch));
    count = (batch + per - 1) / per;
    last = batch - (count - 1) * per;
    full = prims(g, per);
    tail = last == per ? full : prims(g, last);
  }
  bool ok() const { return full && tail; }
  int64_t first(int64_t c) const { return c * per; }
  const Prims& of(int64_t c) const { return c == count - 1 ? *tail : *full; }
};

memory mem(const memory::desc& d, const void* p) {
  return memory(d, cpu_engine(), const_cast<void*>(p));
}

// reorder::execute takes its memories by non-const reference.
void convert(const dnnl::reorder& r, dnnl::stream& st, memory from, memory to) {
  r.execute(st, from, to);
}

// Scratch of `bytes` bytes from soma's cache (oneDNN buffers, per call or per thread).
ScratchBuffer scratch(size_t bytes) { return ScratchBuffer(int64_t((bytes + 3) / 4)); }

// The weights in a kernel's layout: one buffer per distinct layout among the two primitive
// sets (the final chunk's kernel may want another one).
struct KernelWeights {
  ScratchBuffer full, tail;
  bool tail_own = false;
  KernelWeights(const Chunks& ch, const float* w, bool backward) {
    auto to_kernel = [&](const Prims& p, ScratchBuffer& buf) {
      const memory::desc& d = backward ? p.w_bwd : p.w_fwd;
      buf = scratch(d.get_size());
      dnnl::stream st(cpu_engine());
      convert(backward ? p.w_to_bwd : p.w_to_fwd, st, mem(p.w_plain, w), mem(d, buf.data()));
    };
    SerialOmpScope serial;
    to_kernel(*ch.full, full);
    tail_own = backward ? !(ch.tail->w_bwd == ch.full->w_bwd) : !(ch.tail->w_fwd == ch.full->w_fwd);
    if (tail_own) to_kernel(*ch.tail, tail);
  }
  const float* of(const Chunks& ch, int64_t c) const {
    return c == ch.count - 1 && tail_own ? tail.data() : full.data();
  }
};

size_t max_scratch(const Chunks& ch) {
  return std::max(ch.full->scratch_bytes, ch.tail->scratch_bytes);
}

// Runs a primitive with its arguments plus its scratchpad when it needs one.
void run(const dnnl::primitive& prim, dnnl::stream& st, std::unordered_map<int, memory> args,
         const memory::desc& sp_desc, float* sp) {
  if (sp_desc.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, mem(sp_desc, sp));
  prim.execute(st, args);
}

}  // namespace

bool conv2d_dnnl_applies(const Conv2dGeometry& g) {
  return conv2d_dnnl_enabled() && g.groups == 1 && g.c % 16 == 0 && g.o % 16 == 0 &&
         g.h_out() > 0 && g.w_out() > 0;
}

bool conv2d_dnnl_weight_grad_applies(const Conv2dGeometry& g) {
  return conv2d_dnnl_applies(g) || (conv2d_dnnl_enabled() && g.groups == 1 && g.c < 16 &&
                                    g.o % 16 == 0 && g.h_out() > 0 && g.w_out() > 0);
}

bool conv2d_forward_dnnl(const float* x, int64_t batch, const Conv2dGeometry& g,
                         const float* weight, const float* bias, float* y) {
  if (batch <= 0) return true;
  const Chunks ch(g, batch);
  if (!ch.ok()) return false;
  const KernelWeights kw(ch, weight, false);
  std::vector<float> zero_bias(bias ? 0 : g.o, 0.f);  // adding 0 is exact: same outputs
  const float* b = bias ? bias : zero_bias.data();
  const int64_t in_size = g.c * g.h * g.w, out_size = g.o * g.h_out() * g.w_out();
#pragma omp parallel if (ch.count > 1)
  {
    SerialOmpScope serial;
    dnnl::stream st(cpu_engine());
    ScratchBuffer xb = scratch(ch.full->x_blk.get_size()), yb = scratch(ch.full->y_blk.get_size());
    ScratchBuffer sp = scratch(max_scratch(ch));
#pragma omp for schedule(static)
    for (int64_t c = 0; c < ch.count; ++c) {
      const Prims& p = ch.of(c);
      const int64_t n0 = ch.first(c);
      memory xm = mem(p.x_blk, xb.data()), ym = mem(p.y_blk, yb.data());
      convert(p.x_in, st, mem(p.x_plain, x + n0 * in_size), xm);
      run(p.fwd, st,
          {{DNNL_ARG_SRC, xm},
           {DNNL_ARG_WEIGHTS, mem(p.w_fwd, kw.of(ch, c))},
           {DNNL_ARG_BIAS, mem(p.bias, b)},
           {DNNL_ARG_DST, ym}},
          p.fwd_sp, sp.data());
      convert(p.y_out, st, ym, mem(p.y_plain, y + n0 * out_size));
    }
  }
  return true;
}

bool conv2d_backward_dnnl(const float* x, const float* grad_y, int64_t batch,
                          const Conv2dGeometry& g, const float* weight, float* grad_x,
                          float* grad_weight) {
  if (batch <= 0 || (!grad_x && !grad_weight)) return true;
  const Chunks ch(g, batch);
  if (!ch.ok()) return false;
  std::unique_ptr<KernelWeights> kw;
  if (grad_x) kw = std::make_unique<KernelWeights>(ch, weight, true);
  const int64_t in_size = g.c * g.h * g.w, out_size = g.o * g.h_out() * g.w_out();
  const int64_t w_size = g.o * g.c * g.kh * g.kw;
  // Work items: contiguous groups of chunks. With a weight gradient, kWeightGroups groups each
  // summing its chunks in order into its own partial (plain layout).
  const int64_t groups = grad_weight ? std::min(ch.count, kWeightGroups) : ch.count;
  ScratchBuffer partial(grad_weight ? groups * w_size : 0);
#pragma omp parallel if (groups > 1)
  {
    SerialOmpScope serial;
    dnnl::stream st(cpu_engine());
    const Prims& f = *ch.full;
    ScratchBuffer gyb = scratch(f.gy_blk.get_size());
    ScratchBuffer gxb = scratch(grad_x ? f.gx_blk.get_size() : 0);
    ScratchBuffer xb = scratch(grad_weight ? f.x_blk.get_size() : 0);
    ScratchBuffer gwb = scratch(grad_weight ? std::max(f.gw_blk.get_size(), ch.tail->gw_blk.get_size()) : 0);
    ScratchBuffer gwp(grad_weight ? w_size : 0);
    ScratchBuffer sp = scratch(max_scratch(ch));
#pragma omp for schedule(static)
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t c0 = grp * ch.count / groups, c1 = (grp + 1) * ch.count / groups;
      float* part = grad_weight ? partial.data() + grp * w_size : nullptr;
      for (int64_t c = c0; c < c1; ++c) {
        const Prims& p = ch.of(c);
        const int64_t n0 = ch.first(c);
        memory gym = mem(p.gy_blk, gyb.data());
        convert(p.gy_in, st, mem(p.y_plain, grad_y + n0 * out_size), gym);
        if (grad_x) {
          memory gxm = mem(p.gx_blk, gxb.data());
          run(p.bwd_data, st,
              {{DNNL_ARG_DIFF_DST, gym},
               {DNNL_ARG_WEIGHTS, mem(p.w_bwd, kw->of(ch, c))},
               {DNNL_ARG_DIFF_SRC, gxm}},
              p.bwd_data_sp, sp.data());
          convert(p.gx_out, st, gxm, mem(p.x_plain, grad_x + n0 * in_size));
        }
        if (grad_weight) {
          memory xm = mem(p.x_blk, xb.data()), gwm = mem(p.gw_blk, gwb.data());
          convert(p.x_in, st, mem(p.x_plain, x + n0 * in_size), xm);
          run(p.bwd_weights, st,
              {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, gym}, {DNNL_ARG_DIFF_WEIGHTS, gwm}},
              p.bwd_weights_sp, sp.data());
          // The group's first chunk writes its partial, the others add to it.
          float* dst = c == c0 ? part : gwp.data();
          convert(p.gw_out, st, gwm, mem(p.w_plain, dst));
          if (c != c0)
            for (int64_t i = 0; i < w_size; ++i) part[i] += gwp[i];
        }
      }
    }
  }
  if (grad_weight) {
    // Fixed-order sum of the group partials.
#pragma omp parallel for schedule(static) if (w_size > (1 << 14))
    for (int64_t i = 0; i < w_size; ++i) {
      float s = 0.f;
      for (int64_t grp = 0; grp < groups; ++grp) s += partial[grp * w_size + i];
      grad_weight[i] += s;
    }
  }
  return true;
}

#endif

}  // namespace soma
