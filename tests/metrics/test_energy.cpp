#include <catch2/catch.hpp>
#include <cmath>

#include "soma/core/config_node.hpp"
#include "soma/core/threads.hpp"
#include "soma/metrics/energy.hpp"
#include "soma/metrics/firing_rate.hpp"

using namespace soma;

namespace {

Tensor make(const Shape& s, const std::vector<float>& v) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = v[static_cast<size_t>(i)];
  return t;
}

}  // namespace

TEST_CASE("linear layer: AC for spikes, MAC for analog input", "[metrics][energy]") {
  // T = 2, N = 1, F = 3: 3 spikes, 4 outputs -> 12 AC -> 10.8 pJ.
  const Tensor spikes = make(Shape{2, 1, 3}, {1, 0, 1, 0, 0, 1});
  const SynapticOps s = synaptic_ops(spikes, linear_fan_out(4), linear_macs_per_step(3, 4));
  CHECK(s.ac == 12.0);
  CHECK(s.mac == 0.0);
  CHECK(s.samples == 1);
  CHECK(energy_pj(s, EnergyTable{}) == Approx(10.8));
  // Analog input: dense, 3 * 4 MACs per step, 2 steps -> 24 MAC -> 110.4 pJ.
  const Tensor analog = make(Shape{2, 1, 3}, {0.5f, 0, 1, 0, 0, 1});
  const SynapticOps a = synaptic_ops(analog, linear_fan_out(4), linear_macs_per_step(3, 4));
  CHECK(a.ac == 0.0);
  CHECK(a.mac == 24.0);
  CHECK(energy_pj(a, EnergyTable{}) == Approx(110.4));
  // The kind can be forced.
  CHECK(synaptic_ops(spikes, 4.0, 12, InputKind::kAnalog).mac == 24.0);
  CHECK(synaptic_ops(analog, 4.0, 12, InputKind::kSpikes).ac == 12.0);
  CHECK_THROWS_AS(synaptic_ops(Tensor(Shape{3, 4}), 4.0, 12), ShapeError);
}

TEST_CASE("conv2d fan-out and MACs", "[metrics][energy]") {
  // 4 output channels in 2 groups: each input pixel drives 2 channels x 3x3 positions.
  CHECK(conv2d_fan_out(4, 2, 3, 3) == 18.0);
  CHECK(conv2d_fan_out(4, 2, 3, 3, 2, 2) == 4.5);
  CHECK(conv2d_macs_per_step(2, 4, 2, 3, 3, 3, 3) == 4 * 1 * 9 * 9);
  // T = 1, N = 2, [2, 3, 3] input with 5 spikes -> 5 * 18 = 90 AC.
  Tensor x(Shape{1, 2, 2, 3, 3});
  for (int64_t i : {0, 4, 9, 20, 35}) x[i] = 1.f;
  const SynapticOps s = synaptic_ops(x, conv2d_fan_out(4, 2, 3, 3), 324);
  CHECK(s.ac == 90.0);
  CHECK(s.samples == 2);

  // The approximation by hand: 3x3 input, kernel 3, stride 1, padding 1 (3x3 output). A spike at
  // the centre is seen by all 9 output windows (exact); one in a corner by only 4 (over-counted).
  auto windows_covering = [](int r, int c) {
    int n = 0;
    for (int orow = 0; orow < 3; ++orow)
      for (int ocol = 0; ocol < 3; ++ocol)
        n += (std::abs(r - orow) <= 1 && std::abs(c - ocol) <= 1) ? 1 : 0;
    return n;
  };
  CHECK(windows_covering(1, 1) == 9);
  CHECK(windows_covering(0, 0) == 4);
  CHECK_THROWS(conv2d_fan_out(5, 2, 3, 3));
}

TEST_CASE("energy table and meter", "[metrics][energy]") {
  const auto root =
      ConfigNode::parse("energy: {e_ac_pj: 0.1, e_mac_pj: 3.0}\nbad: {e_ac: 1}\n", "e.yaml");
  const auto node = root.child("energy");
  const EnergyTable t = make_energy_table(&node);
  CHECK(t.e_ac_pj == 0.1);
  CHECK(t.e_mac_pj == 3.0);
  CHECK(make_energy_table(nullptr).e_mac_pj == 4.6);
  const auto bad = root.child("bad");
  CHECK_THROWS_WITH(make_energy_table(&bad), Catch::Contains("unknown key 'e_ac'"));

  EnergyMeter m(t);
  m.add("conv1", SynapticOps{0.0, 100.0, 2});  // analog first layer, batch of 2
  m.add("fc", SynapticOps{40.0, 0.0, 2});
  m.add("conv1", SynapticOps{0.0, 50.0, 1});  // a second batch of 1
  m.add("fc", SynapticOps{20.0, 0.0, 1});
  REQUIRE(m.entries().size() == 2);
  CHECK(m.entries()[0].layer == "conv1");
  CHECK(m.entries()[0].ops.mac == 150.0);
  CHECK(m.total().ac == 60.0);
  CHECK(m.total().samples == 3);
  CHECK(m.energy_pj() == Approx(150 * 3.0 + 60 * 0.1));
  CHECK(m.energy_per_sample_pj() == Approx((150 * 3.0 + 60 * 0.1) / 3));
}

TEST_CASE("spike counts and firing rates", "[metrics][firing_rate]") {
  const Tensor s = make(Shape{2, 2, 2}, {1, 0, 0, 1, 1, 1, 0, 0});
  const SpikeCount c = count_spikes(s);
  CHECK(c.nonzero == 4);
  CHECK(c.binary);
  CHECK_FALSE(count_spikes(make(Shape{2}, {1, 2})).binary);
  CHECK(firing_rate(s) == 0.5);

  FiringRateMeter m;
  m.add("lif1", s);
  m.add("lif2", make(Shape{1, 1, 4}, {0, 0, 0, 1}));
  m.add("lif1", make(Shape{1, 1, 2}, {1, 1}));
  CHECK(m.rate("lif1") == 6.0 / 10.0);  // element-weighted over batches
  CHECK(m.rate("lif2") == 0.25);
  CHECK(m.overall_rate() == 7.0 / 14.0);
  CHECK(m.entries()[1].layer == "lif2");
  CHECK_THROWS_WITH(m.rate("lif3"), Catch::Contains("'lif3'"));
}

TEST_CASE("large sums are exact for spikes and thread-count invariant", "[metrics][threads]") {
  const int saved = num_threads();
  Tensor x(Shape{3, 7, 10001});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = (i % 7 == 0) ? 1.f : 0.f;
  const int64_t expected = (x.numel() + 6) / 7;
  CHECK(tensor_sum(x) == static_cast<double>(expected));
  CHECK(count_spikes(x).nonzero == expected);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = std::sin(0.001f * float(i));
  set_num_threads(1);
  const double one = tensor_sum(x);
  set_num_threads(2);
  const double two = tensor_sum(x);
  set_num_threads(saved);
  CHECK(one == two);
}
