#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "soma/core/rng.hpp"
#include "soma/core/threads.hpp"
#include "soma/ops/neuron_scan.hpp"
#include "soma/ops/pool.hpp"

using namespace soma;

namespace {

// The scan from its definition (neuron_scan.hpp), one element at a time, in double.
void reference_scan(const NeuronScanParams& p, int64_t T, int64_t E, float a, float b, float c,
                    const std::vector<float>& x, const std::vector<float>& gy,
                    std::vector<double>& y, std::vector<double>& gx) {
  y.assign(T * E, 0.0);
  gx.assign(T * E, 0.0);
  const double th = p.v_threshold, vr = p.v_reset;
  for (int64_t e = 0; e < E; ++e) {
    std::vector<double> h(T);
    double v = vr;
    for (int64_t t = 0; t < T; ++t) {
      h[t] = a * v + b * x[t * E + e] + c;
      const double s = h[t] >= th ? 1.0 : 0.0;
      y[t * E + e] = p.output == NeuronOutput::kSpike ? s : std::max(h[t] - p.activation_shift, 0.0);
      v = p.reset == ResetMode::kHard ? h[t] * (1 - s) + vr * s : h[t] - th * s;
    }
    double gv = 0.0;
    for (int64_t t = T - 1; t >= 0; --t) {
      const double sg = p.surrogate.grad(static_cast<float>(h[t] - th));
      const double s = h[t] >= th ? 1.0 : 0.0;
      const double dy = p.output == NeuronOutput::kSpike ? sg : (h[t] - p.activation_shift > 0 ? 1.0 : 0.0);
      double dv;
      if (p.reset == ResetMode::kHard)
        dv = p.detach_reset ? 1 - s : (1 - s) + (vr - h[t]) * sg;
      else
        dv = p.detach_reset ? 1.0 : 1 - th * sg;
      const double gh = gy[t * E + e] * dy + gv * dv;
      gx[t * E + e] = b * gh;
      gv = a * gh;
    }
  }
}

}  // namespace

TEST_CASE("fused neuron scans (LIF spikes, LIAF relu) follow the definition",
          "[ops][neuron_scan]") {
  const int64_t T = 6, E = 3000;  // more than one scan block
  Rng rng(4);
  std::vector<float> x(T * E), gy(T * E);
  for (auto& v : x) v = rng.uniform(-0.5f, 2.f);
  for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
  for (const auto out : {NeuronOutput::kSpike, NeuronOutput::kAnalog})
    for (const auto reset : {ResetMode::kHard, ResetMode::kSoft})
      for (const bool detach : {false, true}) {
        NeuronScanParams p;
        p.output = out;
        p.reset = reset;
        p.detach_reset = detach;
        p.v_reset = reset == ResetMode::kHard ? -0.1f : 0.f;
        p.activation_shift = out == NeuronOutput::kAnalog ? 0.2f : 0.f;
        const float a = 0.5f, b = 0.8f, c = 0.05f;
        std::vector<float> y(T * E), h(T * E), gx(T * E);
        const ScanShape shape{T, 1, 1, E};
        neuron_scan_forward(p, shape, {&a, &b, &c}, x.data(), y.data(), h.data());
        neuron_scan_backward(p, shape, {&a, &b, &c}, h.data(), gy.data(), gx.data());
        std::vector<double> ry, rgx;
        reference_scan(p, T, E, a, b, c, x, gy, ry, rgx);
        double ey = 0.0, eg = 0.0;
        int64_t flips = 0;  // float vs double may flip a spike at the threshold: rare
        for (int64_t i = 0; i < T * E; ++i) {
          if (std::fabs(y[i] - ry[i]) > 1e-4) ++flips;
          else ey = std::max(ey, std::fabs(y[i] - ry[i]));
          eg = std::max(eg, std::fabs(gx[i] - rgx[i]));
        }
        INFO("analog=" << (out == NeuronOutput::kAnalog) << " hard=" << (reset == ResetMode::kHard)
                       << " detach=" << detach);
        CHECK(flips == 0);
        CHECK(ey < 1e-5);
        CHECK(eg < 1e-4);
      }
}

TEST_CASE("fused backward from the input equals the backward from h, bit for bit",
          "[ops][neuron_scan]") {
  // Per-channel coefficients (C = 3, rows of S) and shared ones (C = 1, one long row), more
  // than one block per row, every fused kind; 1 and 2 threads.
  const int64_t T = 5;
  for (const ScanShape shape : {ScanShape{T, 2, 3, 2500}, ScanShape{T, 3, 1, 1700}}) {
    const int64_t E = shape.per_step();
    Rng rng(9);
    std::vector<float> x(T * E), gy(T * E);
    for (auto& v : x) v = rng.uniform(-0.5f, 2.f);
    for (auto& v : gy) v = rng.uniform(-1.f, 1.f);
    const std::vector<float> a{0.5f, 0.7f, 0.9f}, b{1.f, 0.8f, 0.6f}, c{0.f, 0.05f, -0.02f};
    const ChargeCoeffs k{a.data(), b.data(), c.data()};
    for (const auto out : {NeuronOutput::kSpike, NeuronOutput::kAnalog})
      for (const auto reset : {ResetMode::kHard, ResetMode::kSoft})
        for (const bool detach : {false, true})
          for (const auto kind : {SurrogateKind::kAtan, SurrogateKind::kSigmoid}) {
            NeuronScanParams p;
            p.output = out;
            p.reset = reset;
            p.detach_reset = detach;
            p.surrogate = Surrogate{kind, 2.f};
            p.v_reset = reset == ResetMode::kHard ? -0.1f : 0.f;
            p.activation_shift = out == NeuronOutput::kAnalog ? 0.2f : 0.f;
            REQUIRE(neuron_scan_fused(p));
            std::vector<float> y(T * E), y2(T * E), h(T * E), gx(T * E);
            neuron_scan_forward(p, shape, k, x.data(), y.data(), h.data());
            neuron_scan_forward(p, shape, k, x.data(), y2.data(), nullptr);
            CHECK(y == y2);  // writing h or not changes nothing
            neuron_scan_backward(p, shape, k, h.data(), gy.data(), gx.data());
            for (const int threads : {1, 2}) {
              set_num_threads(threads);
              std::vector<float> gx2(T * E, 7.f);
              neuron_scan_backward_from_input(p, shape, k, x.data(), gy.data(), gx2.data());
              INFO("C=" << shape.C << " analog=" << (out == NeuronOutput::kAnalog)
                        << " hard=" << (reset == ResetMode::kHard) << " detach=" << detach
                        << " threads=" << threads);
              CHECK(std::memcmp(gx.data(), gx2.data(), gx.size() * sizeof(float)) == 0);
            }
            set_num_threads(1);
          }
  }
}

TEST_CASE("neuron scan + 2x2 max pool equals the scan then maxpool2d, bit for bit",
          "[ops][neuron_scan][fusion]") {
  // 64-wide planes of 40 rows: 16 row pairs fill a block, so each plane takes two blocks.
  for (const auto& [H, W] : {std::pair<int64_t, int64_t>{40, 64}, {6, 10}, {2, 2}}) {
    for (const bool analog : {false, true}) {
      INFO("plane " << H << "x" << W << " analog " << analog);
      NeuronScanParams p;
      p.v_threshold = 0.6f;
      if (analog) p.output = NeuronOutput::kAnalog;
      const int64_t T = 5, N = 2, C = 3;
      ScanShape s{T, N, C, H * W};
      const int64_t n = T * s.per_step();
      std::vector<float> x(n), y(n);
      Rng rng(17);
      for (auto& v : x) v = rng.uniform(-1.f, 2.f);
      const std::vector<float> a{0.5f, 0.3f, 0.9f}, b{1.f, 0.7f, 1.2f}, c{0.f, 0.1f, -0.1f};
      const ChargeCoeffs k{a.data(), b.data(), c.data()};
      REQUIRE(neuron_scan_maxpool2x2_fusable(p, H, W));
      neuron_scan_forward(p, s, k, x.data(), y.data(), nullptr);
      Pool2dGeometry g;
      g.h = H;
      g.w = W;
      g.kh = g.kw = g.sh = g.sw = 2;
      std::vector<float> want(n / 4), got(n / 4, -1.f);
      maxpool2d_forward(y.data(), T * N * C, g, want.data(), static_cast<int32_t*>(nullptr));
      neuron_scan_forward_maxpool2x2(p, s, k, H, W, x.data(), got.data());
      CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
      double ones = 0;
      for (float v : got) ones += v > 0.f ? 1 : 0;
      CHECK(ones > 0.05 * double(got.size()));  // not silent
    }
  }
  NeuronScanParams p;
  CHECK_FALSE(neuron_scan_maxpool2x2_fusable(p, 7, 8));     // odd height
  CHECK_FALSE(neuron_scan_maxpool2x2_fusable(p, 8, 2048));  // two rows exceed a block
}
