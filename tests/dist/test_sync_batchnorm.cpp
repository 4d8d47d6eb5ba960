// Synchronised batchnorm (train.sync_bn): two ranks (threads) holding halves of a batch must
// normalise, and back-propagate, exactly as one process holding the whole batch.
#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

#include "dist/thread_comm.hpp"
#include "layers/stateless_util.hpp"
#include "support/gradcheck.hpp"

using namespace soma;
using namespace soma::testing;

namespace {

// Rows [begin, end) of every time step of a time-major [T, N, ...] tensor.
Tensor shard(const Tensor& x, int64_t begin, int64_t end) {
  const int64_t T = x.dim(0), N = x.dim(1), per = x.numel() / (T * N);
  std::vector<int64_t> dims{T, end - begin};
  for (int d = 2; d < x.rank(); ++d) dims.push_back(x.dim(d));
  Tensor out = Tensor::empty(Shape(dims));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = begin; n < end; ++n)
      for (int64_t k = 0; k < per; ++k)
        out[(t * (end - begin) + (n - begin)) * per + k] = x[(t * N + n) * per + k];
  return out;
}

void perturb(BoundLayer& b) {
  for (auto& p : b.params)
    for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] += 0.25f * float(i + 1);
}

}  // namespace

TEST_CASE("synchronised batchnorm over 2 ranks equals one process on the whole batch", "[dist][batchnorm]") {
  const Shape in{3, 2, 2};
  const int64_t T = 2, N = 6, W = 2;
  const Tensor x = random_tensor(in.prepend({T, N}), 11, -2.f, 3.f);
  const Tensor gy = random_tensor(in.prepend({T, N}), 12);

  auto full = build_layer("{type: batchnorm}", {in});
  BoundLayer fb = bind_for_test(*full);
  perturb(fb);
  RunContext ctx;
  const Tensor y = full->forward(x, ctx);
  const Tensor gx = full->backward(gy, ctx);

  ThreadGroup group(W);
  std::vector<ThreadComm> comms{ThreadComm(group, 0), ThreadComm(group, 1)};
  std::vector<std::unique_ptr<Layer>> layers;
  std::vector<BoundLayer> bound;
  for (int r = 0; r < W; ++r) {
    layers.push_back(build_layer("{type: batchnorm}", {in}));
    bound.push_back(bind_for_test(*layers.back()));
    perturb(bound.back());
  }
  std::vector<Tensor> ys(W), gxs(W);
  std::vector<std::thread> threads;
  for (int r = 0; r < W; ++r)
    threads.emplace_back([&, r] {
      RunContext c;
      c.comm = &comms[r];
      const int64_t b = r * N / W, e = (r + 1) * N / W;
      ys[r] = layers[r]->forward(shard(x, b, e), c);
      // Each rank's loss is the mean over its own rows: its upstream gradient is W times the
      // global one (the trainer then averages the parameter gradients over ranks).
      Tensor g = shard(gy, b, e);
      for (int64_t i = 0; i < g.numel(); ++i) g[i] *= float(W);
      gxs[r] = layers[r]->backward(g, c);
    });
  for (auto& t : threads) t.join();

  for (int r = 0; r < W; ++r) {
    const int64_t b = r * N / W, e = (r + 1) * N / W;
    const Tensor y_ref = shard(y, b, e), gx_ref = shard(gx, b, e);
    for (int64_t i = 0; i < y_ref.numel(); ++i) {
      REQUIRE(ys[r][i] == Approx(y_ref[i]).margin(1e-5));
      REQUIRE(gxs[r][i] == Approx(W * gx_ref[i]).margin(1e-5));
    }
    CHECK(comms[r].collectives() == 3);  // forward: sums + squared deviations; backward: 1
    // Running statistics: those of the whole batch, on every rank.
    for (size_t k = 0; k < fb.buffers.size(); ++k)
      for (int64_t c = 0; c < 3; ++c)
        CHECK(bound[r].buffers[k].value[c] == Approx(fb.buffers[k].value[c]).epsilon(1e-6));
  }
  // Parameter gradients: the mean over ranks equals the one-process gradient.
  for (size_t k = 0; k < fb.params.size(); ++k)
    for (int64_t c = 0; c < 3; ++c) {
      const float mean = (bound[0].params[k].grad[c] + bound[1].params[k].grad[c]) / float(W);
      CHECK(mean == Approx(fb.params[k].grad[c]).margin(1e-5));
    }
}

TEST_CASE("without a communicator each rank normalises with its own shard", "[dist][batchnorm]") {
  const Shape in{2};
  Tensor x = random_tensor(in.prepend({1, 4}), 3, -1.f, 1.f);
  for (int64_t i = 4; i < 8; ++i) x[i] += 10.f;  // second half of the rows: a shifted mean
  auto full = build_layer("{type: batchnorm}", {in});
  bind_for_test(*full);
  auto half = build_layer("{type: batchnorm}", {in});
  bind_for_test(*half);
  RunContext ctx;
  const Tensor y = full->forward(x, ctx);
  const Tensor yh = half->forward(shard(x, 0, 2), ctx);
  // The shard is normalised to mean 0 by its own statistics; in the whole batch the same rows
  // sit about one standard deviation below the mean.
  for (int64_t c = 0; c < 2; ++c) {
    CHECK(std::abs(yh[c] + yh[2 + c]) < 1e-4f);
    CHECK((y[c] + y[2 + c]) / 2.f < -0.8f);
  }
}
