#include "soma/ops/neuron_scan.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "soma/core/error.hpp"
#include "soma/ops/pool.hpp"
#include "soma/tensor/allocator.hpp"

namespace soma {

namespace {

// Blocks of the backward that replays h: longer runs per time step for the prefetchers; the
// [T, block] scratch stays in L2 (256 KiB at T = 16).
constexpr int64_t kReplayBlock = 4096;
static_assert(kReplayBlock >= kScanBlock);

// The block decomposition: rows of S contiguous elements with one channel each, cut into chunks
// of at most kScanBlock. With C = 1 all samples form one row (longer, better-filled blocks).
struct Blocks {
  int64_t E = 0;       // elements per step
  int64_t rows = 0;    // N * C (or 1 when C == 1)
  int64_t row_len = 0; // S (or N * S)
  int64_t C = 1;
  int64_t chunks = 0;  // chunks per row
  int64_t block = kScanBlock;
  int64_t count() const { return rows * chunks; }
  int64_t channel(int64_t item) const { return (item / chunks) % C; }
  int64_t offset(int64_t item) const {
    return (item / chunks) * row_len + (item % chunks) * block;
  }
  int64_t length(int64_t item) const {
    return std::min<int64_t>(block, row_len - (item % chunks) * block);
  }
};

Blocks make_blocks(const ScanShape& s, int64_t block = kScanBlock) {
  Blocks b;
  b.block = block;
  b.E = s.per_step();
  b.C = s.C;
  if (s.C == 1) {
    b.rows = 1;
    b.row_len = s.N * s.S;
  } else {
    b.rows = s.N * s.C;
    b.row_len = s.S;
  }
  b.chunks = b.row_len > 0 ? (b.row_len + block - 1) / block : 0;
  if (b.E == 0) b.rows = 0;
  return b;
}

// s[i] = fire(h[i] - v_threshold).
void fire(const NeuronScanParams& p, const float* h, float* s, int64_t n) {
  const float th = p.v_threshold;
  if (p.spike_primitive) {
    for (int64_t i = 0; i < n; ++i) s[i] = h[i] - th;
    p.surrogate.primitive(s, s, n);
  } else {
    for (int64_t i = 0; i < n; ++i) s[i] = h[i] >= th ? 1.f : 0.f;
  }
}

// v[i] = reset(h[i], s[i]); s is unused for kNone.
void reset(const NeuronScanParams& p, const float* h, const float* s, float* v, int64_t n) {
  const float vr = p.v_reset, th = p.v_threshold;
  switch (p.reset) {
    case ResetMode::kHard:
      // h (1 - s) + v_reset s, not h - s (h - v_reset): exact v_reset when s = 1.
      for (int64_t i = 0; i < n; ++i) v[i] = h[i] * (1.f - s[i]) + vr * s[i];
      break;
    case ResetMode::kSoft:
      for (int64_t i = 0; i < n; ++i) v[i] = h[i] - th * s[i];
      break;
    case ResetMode::kNone:
      for (int64_t i = 0; i < n; ++i) v[i] = h[i];
      break;
  }
}

void check_params(const NeuronScanParams& p) {
  SOMA_ASSERT((p.output == NeuronOutput::kMembrane) == (p.reset == ResetMode::kNone),
              "membrane output goes with reset none");
}

// One time step of the fused forward over n elements of a block: charge, fire, reset, output.
// Shared by the forward and by the replay of neuron_scan_backward_from_input, so both compute h
// with the same instructions (bit-identical h). yt / ht may be null (not written).
template <bool kAnalog, bool kHard>
inline void fused_forward_step(int64_t n, float a, float b, float c, float th, float vr,
                               float shift, float* __restrict v, const float* __restrict xt,
                               float* __restrict yt, float* __restrict ht) {
  for (int64_t i = 0; i < n; ++i) {
    const float hv = a * v[i] + b * xt[i] + c;
    const float sv = hv >= th ? 1.f : 0.f;
    if (ht) ht[i] = hv;
    if (yt) yt[i] = kAnalog ? activation_forward(Activation::kRelu, hv - shift) : sv;
    v[i] = kHard ? hv * (1.f - sv) + vr * sv : hv - th * sv;
  }
}

// Spike output (LIF/IF) or ReLU analog output (LIAF) with a Heaviside fire: the same
// operations as the general loop below, element by element in one pass (no stack round trips
// between stages, no per-block calls).
template <bool kAnalog>
void scan_forward_fused(const NeuronScanParams& p, const ScanShape& shape, const ChargeCoeffs& k,
                        const float* x, float* y, float* h) {
  const Blocks bl = make_blocks(shape);
  const int64_t T = shape.T, E = bl.E;
  const int64_t items = bl.count();
  const float th = p.v_threshold, vr = p.v_reset, shift = p.activation_shift;
  const bool hard = p.reset == ResetMode::kHard;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t ch = bl.channel(item), off = bl.offset(item), n = bl.length(item);
    const float a = k.a[ch], b = k.b[ch], c = k.c[ch];
    alignas(64) float v[kScanBlock];
    std::fill(v, v + n, vr);
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * E + off;
      float* yt = y + t * E + off;
      float* ht = h ? h + t * E + off : nullptr;
      // As in the replay of the backward: fetch the next step's input run (E floats away)
      // while this one computes; without it the loop waits on each run's first lines.
      if (t + 1 < T)
        for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(xt + E + i);
      if (hard)
        fused_forward_step<kAnalog, true>(n, a, b, c, th, vr, shift, v, xt, yt, ht);
      else
        fused_forward_step<kAnalog, false>(n, a, b, c, th, vr, shift, v, xt, yt, ht);
    }
  }
}

// One time step of the fused backward over n elements: dL/dh from grad_y and the future's g_v,
// then grad_x and the new g_v (gv is updated in place).
template <SurrogateKind kKind, bool kHard, bool kResetGrad, bool kAnalog>
inline void fused_backward_step(int64_t n, float a, float b, float th, float vr, float shift,
                                float param, const float* __restrict ht,
                                const float* __restrict gyt, float* __restrict gxt,
                                float* __restrict gv) {
  const Surrogate sgf{kKind, param};
  for (int64_t i = 0; i < n; ++i) {
    const float hv = ht[i];
    const float sg = sgf.grad(hv - th);
    float gyh = kAnalog ? gyt[i] * activation_grad(Activation::kRelu, hv - shift) : gyt[i] * sg;
    const float sv = hv >= th ? 1.f : 0.f;
    const float dvdh = kHard ? (kResetGrad ? (1.f - sv) + (vr - hv) * sg : 1.f - sv)
                             : (kResetGrad ? 1.f - th * sg : 1.f);
    gyh += gv[i] * dvdh;
    gxt[i] = b * gyh;
    gv[i] = a * gyh;
  }
}

// Spike output, Heaviside fire, no coefficient gradients: the general backward's operations
// fused per element; the surrogate kind and the reset variant are compile-time constants so the
// loop has no control flow and vectorizes. With x given instead of h (h == nullptr), each block
// first replays its forward into a per-thread [T, kScanBlock] scratch (L2-resident: 128 KiB at
// T = 16) and runs the backward from there: the forward did not have to write h at all.
// With `pool` (replay only), grad_y is the gradient of the 2x2/2 max-pooled output and each
// block is a whole number of row pairs: the full-resolution gradient of a step is rebuilt in an
// L1 buffer (the winner gets 0 + g, the others 0, as maxpool2d's backward writes them).
struct PooledGrad {
  int64_t width = 0;             // W of the [H, W] planes
  const uint8_t* argmax = nullptr;  // [T, N, C, H/2, W/2] winner offsets 0..3 in the window
};

// The pooled gradient of full-resolution positions [off, off + n) of one step (a whole number
// of row pairs) into gy: g at each window's winner, 0 elsewhere.
// Short rows (at most 16 windows: MNIST-sized planes) run unmasked (pool.hpp `padded`): the
// block's pooled gradient and winners are staged into padded L1 copies, and gy has 32 floats of
// slack.
inline void unpool_rows(const float* g, const uint8_t* am, int64_t width, int64_t n, float* gy) {
  const int64_t wo = width / 2, rows = n / (2 * width);
  const bool padded = wo <= 16;
  alignas(64) float gs[kReplayBlock / 4 + 16];
  alignas(64) uint8_t as[kReplayBlock / 4 + 16];
  if (padded) {
    std::memcpy(gs, g, sizeof(float) * rows * wo);
    std::memcpy(as, am, rows * wo);
    g = gs;
    am = as;
  }
  for (int64_t r = 0; r < rows; ++r)
    maxpool2x2_grad_row(g + r * wo, am + r * wo, wo, gy + 2 * r * width,
                        gy + (2 * r + 1) * width, padded);
}

template <SurrogateKind kKind, bool kHard, bool kResetGrad, bool kAnalog>
void scan_backward_spike(const NeuronScanParams& p, const ScanShape& shape,
                         const ChargeCoeffs& k, const float* h, const float* x,
                         const float* grad_y, float* grad_x, const PooledGrad* pool = nullptr) {
  const bool replay = h == nullptr;
  SOMA_ASSERT(!pool || replay, "pooled backward replays from the input");
  const int64_t block =
      pool ? (kReplayBlock / (2 * pool->width)) * 2 * pool->width : replay ? kReplayBlock : kScanBlock;
  const Blocks bl = make_blocks(shape, block);
  const int64_t T = shape.T, E = bl.E;
  const int64_t items = bl.count();
  const float param = p.surrogate.param;
  const float vr = p.v_reset, th = p.v_threshold, shift = p.activation_shift;
  const int64_t per_thread = replay ? T * std::min<int64_t>(bl.block, bl.row_len) : 0;
  ScratchBuffer replay_h(replay && items > 0 ? per_thread * omp_get_max_threads() : 0);
#pragma omp parallel
  {
    float* hb = replay ? replay_h.data() + omp_get_thread_num() * per_thread : nullptr;
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t ch = bl.channel(item), off = bl.offset(item), n = bl.length(item);
      const float a = k.a[ch], b = k.b[ch];
      alignas(64) float gv[kReplayBlock];
      if (replay) {
        const float c = k.c[ch];
        std::fill(gv, gv + n, vr);  // the membrane v, before gv takes its role
        for (int64_t t = 0; t < T; ++t) {
          // The next step's input run (n floats, 16 MiB away at gesture shapes) is fetched
          // while this one computes: one read stream alone leaves the memory system idle.
          if (t + 1 < T)
            for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(x + (t + 1) * E + off + i);
          fused_forward_step<kAnalog, kHard>(n, a, b, c, th, vr, shift, gv, x + t * E + off,
                                             nullptr, hb + t * n);
        }
      }
      std::fill(gv, gv + n, 0.f);
      alignas(64) float gy_full[kReplayBlock + 32];  // pool only (+ the slack of unpool_rows)
      for (int64_t t = T - 1; t >= 0; --t) {
        const float* ht = replay ? hb + t * n : h + t * E + off;
        const float* gyt = grad_y + t * E + off;
        if (pool) {  // offsets in the pooled step are a quarter of the full ones
          const int64_t po = t * (E / 4) + off / 4;
          unpool_rows(grad_y + po, pool->argmax + po, pool->width, n, gy_full);
          gyt = gy_full;
        }
        fused_backward_step<kKind, kHard, kResetGrad, kAnalog>(
            n, a, b, th, vr, shift, param, ht, gyt, grad_x + t * E + off, gv);
      }
    }
  }
}

template <SurrogateKind kKind, bool kAnalog>
void scan_backward_spike_dispatch(const NeuronScanParams& p, const ScanShape& shape,
                                  const ChargeCoeffs& k, const float* h, const float* x,
                                  const float* grad_y, float* grad_x, const PooledGrad* pool) {
  const bool hard = p.reset == ResetMode::kHard, rg = !p.detach_reset;
  if (hard && rg)
    scan_backward_spike<kKind, true, true, kAnalog>(p, shape, k, h, x, grad_y, grad_x, pool);
  if (hard && !rg)
    scan_backward_spike<kKind, true, false, kAnalog>(p, shape, k, h, x, grad_y, grad_x, pool);
  if (!hard && rg)
    scan_backward_spike<kKind, false, true, kAnalog>(p, shape, k, h, x, grad_y, grad_x, pool);
  if (!hard && !rg)
    scan_backward_spike<kKind, false, false, kAnalog>(p, shape, k, h, x, grad_y, grad_x, pool);
}

// Either h (cached membrane) or x (replayed) is non-null.
void scan_backward_fused(const NeuronScanParams& p, const ScanShape& shape,
                         const ChargeCoeffs& k, const float* h, const float* x,
                         const float* grad_y, float* grad_x, const PooledGrad* pool = nullptr) {
  const bool analog = p.output == NeuronOutput::kAnalog;
  with_surrogate_kind(p.surrogate.kind, [&](auto kind) {
    if (analog)
      scan_backward_spike_dispatch<decltype(kind)::value, true>(p, shape, k, h, x, grad_y, grad_x,
                                                                pool);
    else
      scan_backward_spike_dispatch<decltype(kind)::value, false>(p, shape, k, h, x, grad_y,
                                                                 grad_x, pool);
  });
}

}  // namespace

bool neuron_scan_fused(const NeuronScanParams& p) {
  const bool out_ok = p.output == NeuronOutput::kSpike ||
                      (p.output == NeuronOutput::kAnalog && p.activation == Activation::kRelu);
  return out_ok && !p.spike_primitive && p.reset != ResetMode::kNone;
}

void neuron_scan_forward(const NeuronScanParams& p, const ScanShape& shape,
                         const ChargeCoeffs& k, const float* x, float* y, float* h) {
  check_params(p);
  if (neuron_scan_fused(p)) {
    if (p.output == NeuronOutput::kAnalog)
      scan_forward_fused<true>(p, shape, k, x, y, h);
    else
      scan_forward_fused<false>(p, shape, k, x, y, h);
    return;
  }
  const Blocks bl = make_blocks(shape);
  const int64_t T = shape.T, E = bl.E;
  const int64_t items = bl.count();

#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t ch = bl.channel(item), off = bl.offset(item), n = bl.length(item);
    const float a = k.a[ch], b = k.b[ch], c = k.c[ch];
    alignas(64) float v[kScanBlock], hb[kScanBlock], s[kScanBlock], tmp[kScanBlock];
    std::fill(v, v + n, p.v_reset);
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * E + off;
      float* yt = y + t * E + off;
      float* ht = h ? h + t * E + off : hb;
      for (int64_t i = 0; i < n; ++i) ht[i] = a * v[i] + b * xt[i] + c;
      if (p.output == NeuronOutput::kMembrane) {
        for (int64_t i = 0; i < n; ++i) yt[i] = v[i] = ht[i];
        continue;
      }
      fire(p, ht, s, n);
      if (p.output == NeuronOutput::kSpike) {
        std::copy(s, s + n, yt);
      } else {
        for (int64_t i = 0; i < n; ++i) tmp[i] = ht[i] - p.activation_shift;
        activation_forward(p.activation, tmp, yt, n, p.negative_slope);
      }
      reset(p, ht, s, v, n);
    }
  }
}

bool neuron_scan_maxpool2x2_fusable(const NeuronScanParams& p, int64_t height, int64_t width) {
  return neuron_scan_fused(p) && height >= 2 && width >= 2 && height % 2 == 0 &&
         width % 2 == 0 && 2 * width <= kScanBlock;
}

void neuron_scan_forward_maxpool2x2(const NeuronScanParams& p, const ScanShape& shape,
                                    const ChargeCoeffs& k, int64_t height, int64_t width,
                                    const float* x, float* y, uint8_t* argmax) {
  check_params(p);
  SOMA_ASSERT(neuron_scan_maxpool2x2_fusable(p, height, width) && shape.S == height * width,
              "neuron scan + maxpool: unsupported plane ", height, "x", width);
  const int64_t T = shape.T, planes = shape.N * shape.C, S = shape.S;
  const int64_t wo = width / 2, so = S / 4;
  const int64_t E = planes * S, Eo = planes * so;
  // Row pairs per block: as many as fit kScanBlock floats.
  const int64_t pairs = std::min(height / 2, kScanBlock / (2 * width));
  const int64_t chunks = (height / 2 + pairs - 1) / pairs;
  const float th = p.v_threshold, vr = p.v_reset, shift = p.activation_shift;
  const bool hard = p.reset == ResetMode::kHard;
  const bool analog = p.output == NeuronOutput::kAnalog;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < planes * chunks; ++item) {
    const int64_t plane = item / chunks, ch = plane % shape.C;
    const int64_t pr0 = (item % chunks) * pairs, pr1 = std::min(height / 2, pr0 + pairs);
    const int64_t off = plane * S + 2 * pr0 * width, n = 2 * (pr1 - pr0) * width;
    const float a = k.a[ch], b = k.b[ch], c = k.c[ch];
    // out: + 32 floats of slack, ys / as: the pooled block staged, so that rows of at most 16
    // windows run unmasked (pool.hpp `padded`).
    alignas(64) float v[kScanBlock], out[kScanBlock + 32], ys[kScanBlock / 4 + 16];
    alignas(64) uint8_t as[kScanBlock / 4 + 16];
    const bool padded = wo <= 16;
    std::fill(v, v + n, vr);
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * E + off;
      if (t + 1 < T)
        for (int64_t i = 0; i < n; i += 16) __builtin_prefetch(xt + E + i);
      if (hard && analog)
        fused_forward_step<true, true>(n, a, b, c, th, vr, shift, v, xt, out, nullptr);
      else if (hard)
        fused_forward_step<false, true>(n, a, b, c, th, vr, shift, v, xt, out, nullptr);
      else if (analog)
        fused_forward_step<true, false>(n, a, b, c, th, vr, shift, v, xt, out, nullptr);
      else
        fused_forward_step<false, false>(n, a, b, c, th, vr, shift, v, xt, out, nullptr);
      float* yt = y + t * Eo + plane * so + pr0 * wo;
      uint8_t* at = argmax ? argmax + t * Eo + plane * so + pr0 * wo : nullptr;
      float* yp = padded ? ys : yt;
      uint8_t* ap = padded && at ? as : at;
      for (int64_t r = 0; r < pr1 - pr0; ++r)
        maxpool2x2_row(out + 2 * r * width, out + (2 * r + 1) * width, wo, yp + r * wo,
                       ap ? ap + r * wo : nullptr, padded);
      if (padded) {
        std::memcpy(yt, ys, sizeof(float) * (pr1 - pr0) * wo);
        if (at) std::memcpy(at, as, (pr1 - pr0) * wo);
      }
    }
  }
}

void neuron_scan_backward(const NeuronScanParams& p, const ScanShape& shape,
                          const ChargeCoeffs& k, const float* h, const float* grad_y,
                          float* grad_x, const float* x, const ChargeCoeffGrads* coeff_grads) {
  check_params(p);
  const bool want_coeffs = coeff_grads != nullptr;
  SOMA_ASSERT(!want_coeffs || x != nullptr, "coefficient gradients need x");
  if (neuron_scan_fused(p) && !want_coeffs) {
    scan_backward_fused(p, shape, k, h, nullptr, grad_y, grad_x);
    return;
  }
  const Blocks bl = make_blocks(shape);
  const int64_t T = shape.T, E = bl.E;
  const int64_t items = bl.count();
  const bool has_reset = p.reset != ResetMode::kNone;
  const bool reset_grad = has_reset && !p.detach_reset;
  const bool need_sg = p.output == NeuronOutput::kSpike || reset_grad;
  const float vr = p.v_reset, th = p.v_threshold;

  // Per block partial sums of the coefficient gradients: [items][3], reduced in order below.
  std::vector<double> partial(want_coeffs ? items * 3 : 0, 0.0);

#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t ch = bl.channel(item), off = bl.offset(item), n = bl.length(item);
    const float a = k.a[ch], b = k.b[ch];
    alignas(64) float gv[kScanBlock], z[kScanBlock], sg[kScanBlock], s[kScanBlock],
        gyh[kScanBlock], dvdh[kScanBlock], vprev[kScanBlock];
    double ga[kScanBlock], gb[kScanBlock], gc[kScanBlock];
    std::fill(gv, gv + n, 0.f);
    if (want_coeffs) {
      std::fill(ga, ga + n, 0.0);
      std::fill(gb, gb + n, 0.0);
      std::fill(gc, gc + n, 0.0);
    }
    for (int64_t t = T - 1; t >= 0; --t) {
      const float* ht = h + t * E + off;
      const float* gyt = grad_y + t * E + off;
      float* gxt = grad_x + t * E + off;
      if (need_sg) {
        for (int64_t i = 0; i < n; ++i) z[i] = ht[i] - th;
        p.surrogate.grad(z, sg, n);
      }
      // gy[t] dy/dh
      switch (p.output) {
        case NeuronOutput::kSpike:
          for (int64_t i = 0; i < n; ++i) gyh[i] = gyt[i] * sg[i];
          break;
        case NeuronOutput::kAnalog:
          for (int64_t i = 0; i < n; ++i) z[i] = ht[i] - p.activation_shift;
          activation_backward(p.activation, z, gyt, gyh, n, p.negative_slope);
          break;
        case NeuronOutput::kMembrane:
          std::copy(gyt, gyt + n, gyh);
          break;
      }
      // dv/dh
      if (p.reset == ResetMode::kHard) {
        fire(p, ht, s, n);
        if (reset_grad)
          for (int64_t i = 0; i < n; ++i) dvdh[i] = (1.f - s[i]) + (vr - ht[i]) * sg[i];
        else
          for (int64_t i = 0; i < n; ++i) dvdh[i] = 1.f - s[i];
      } else if (p.reset == ResetMode::kSoft && reset_grad) {
        for (int64_t i = 0; i < n; ++i) dvdh[i] = 1.f - th * sg[i];
      } else {
        std::fill(dvdh, dvdh + n, 1.f);
      }
      // dL/dh, written into gyh
      for (int64_t i = 0; i < n; ++i) gyh[i] += gv[i] * dvdh[i];
      for (int64_t i = 0; i < n; ++i) gxt[i] = b * gyh[i];
      for (int64_t i = 0; i < n; ++i) gv[i] = a * gyh[i];
      if (want_coeffs) {
        if (t > 0) {
          const float* hp = h + (t - 1) * E + off;
          if (has_reset) fire(p, hp, s, n);
          reset(p, hp, s, vprev, n);
        } else {
          std::fill(vprev, vprev + n, vr);
        }
        const float* xt = x + t * E + off;
        for (int64_t i = 0; i < n; ++i) {
          ga[i] += double(gyh[i]) * vprev[i];
          gb[i] += double(gyh[i]) * xt[i];
          gc[i] += double(gyh[i]);
        }
      }
    }
    if (want_coeffs) {
      double sa = 0.0, sb = 0.0, sc = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        sa += ga[i];
        sb += gb[i];
        sc += gc[i];
      }
      partial[item * 3 + 0] = sa;
      partial[item * 3 + 1] = sb;
      partial[item * 3 + 2] = sc;
    }
  }

  if (want_coeffs) {
    for (int64_t item = 0; item < items; ++item) {
      const int64_t ch = bl.channel(item);
      coeff_grads->a[ch] += partial[item * 3 + 0];
      coeff_grads->b[ch] += partial[item * 3 + 1];
      coeff_grads->c[ch] += partial[item * 3 + 2];
    }
  }
}

void neuron_scan_backward_from_input(const NeuronScanParams& p, const ScanShape& shape,
                                     const ChargeCoeffs& k, const float* x, const float* grad_y,
                                     float* grad_x) {
  check_params(p);
  SOMA_ASSERT(neuron_scan_fused(p), "backward from the input needs a fused scan kind");
  scan_backward_fused(p, shape, k, nullptr, x, grad_y, grad_x);
}

void neuron_scan_backward_maxpool2x2_from_input(const NeuronScanParams& p, const ScanShape& shape,
                                                const ChargeCoeffs& k, int64_t height,
                                                int64_t width, const float* x,
                                                const uint8_t* argmax, const float* grad_y,
                                                float* grad_x) {
  check_params(p);
  SOMA_ASSERT(neuron_scan_maxpool2x2_fusable(p, height, width) && shape.S == height * width,
              "neuron scan + maxpool backward: unsupported plane ", height, "x", width);
  const PooledGrad pool{width, argmax};
  scan_backward_fused(p, shape, k, nullptr, x, grad_y, grad_x, &pool);
}

}  // namespace soma
