#include "soma/train/loss.hpp"

#include "soma/core/error.hpp"
#include "soma/train/losses.hpp"

namespace soma {

namespace loss_detail {

Dims output_dims(const Tensor& y, std::string_view loss_type) {
  Dims d;
  if (y.rank() == 3) {
    d = {y.dim(0), y.dim(1), y.dim(2)};
  } else if (y.rank() == 2) {
    d = {1, y.dim(0), y.dim(1)};
  } else {
    throw ShapeError(str_cat("loss '", loss_type,
                             "': expected the network output as [T, N, C] or [N, C], got ",
                             y.shape().str()));
  }
  SOMA_CHECK_AS(ShapeError, d.T > 0 && d.N > 0 && d.C > 0, "loss '", loss_type,
                "': empty network output ", y.shape().str(), " (need T, N, C >= 1)");
  return d;
}

void check_labels(const std::vector<int>& labels, const Dims& d, std::string_view loss_type) {
  SOMA_CHECK_AS(ShapeError, static_cast<int64_t>(labels.size()) == d.N, "loss '", loss_type,
                "': got ", labels.size(), " labels for a batch of N = ", d.N);
  for (size_t n = 0; n < labels.size(); ++n) {
    SOMA_CHECK_AS(ShapeError, labels[n] >= 0 && labels[n] < d.C, "loss '", loss_type, "': label ",
                  labels[n], " at batch index ", n, " is outside [0, ", d.C,
                  ") (the network has C = ", d.C, " outputs)");
  }
}

}  // namespace loss_detail

std::vector<std::string_view> loss_types() {
  return {"cross_entropy", "mse", "sum_squares", "tet"};
}

std::unique_ptr<Loss> make_loss(const ConfigNode& train) {
  const std::initializer_list<std::string_view> types = {"cross_entropy", "mse", "sum_squares",
                                                         "tet"};
  auto node = train.find("loss");
  if (!node) return std::make_unique<CrossEntropyLoss>();
  std::string type;
  std::optional<ConfigNode> opts;
  if (node->is_map()) {
    node->get_string("type");  // required in the map form
    type = node->get_choice("type", types, "cross_entropy");
    opts = node;
  } else {
    type = train.get_choice("loss", types, "cross_entropy");
  }
  auto smoothing = [&] {
    const double eps = opts ? opts->get_double("label_smoothing", 0.0) : 0.0;
    if (opts)
      opts->require(eps >= 0.0 && eps <= 1.0, "label_smoothing", "must be in [0, 1], got ", eps);
    return eps;
  };
  std::unique_ptr<Loss> loss;
  if (type == "cross_entropy") {
    loss = std::make_unique<CrossEntropyLoss>(smoothing());
  } else if (type == "mse") {
    loss = std::make_unique<SquaredErrorLoss>(SquaredErrorLoss::Kind::kMse);
  } else if (type == "sum_squares") {
    loss = std::make_unique<SquaredErrorLoss>(SquaredErrorLoss::Kind::kSumSquares);
  } else {
    const double lambda = opts ? opts->get_double("lambda", 1e-3) : 1e-3;
    const double phi = opts ? opts->get_double("phi", 1.0) : 1.0;
    if (opts)
      opts->require(lambda >= 0.0 && lambda <= 1.0, "lambda", "must be in [0, 1], got ", lambda);
    loss = std::make_unique<TetLoss>(lambda, phi, smoothing());
  }
  if (opts) opts->ensure_all_used();
  return loss;
}

void predict_classes(const Tensor& y, std::vector<int>& out) {
  const auto d = loss_detail::output_dims(y, "predict");
  out.resize(static_cast<size_t>(d.N));
  const float* py = y.data();
  const int64_t N = d.N, C = d.C, T = d.T;
#pragma omp parallel for schedule(static) if (T * N * C > (1 << 16))
  for (int64_t n = 0; n < N; ++n) {
    // argmax of the sum over t equals argmax of the mean; double keeps ties exact-ish for
    // spike counts (integers) and avoids float rounding differences between classes.
    int best = 0;
    double best_v = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      double s = 0.0;
      for (int64_t t = 0; t < T; ++t) s += py[(t * N + n) * C + c];
      if (c == 0 || s > best_v) {
        best_v = s;
        best = static_cast<int>(c);
      }
    }
    out[static_cast<size_t>(n)] = best;
  }
}

std::vector<int> predict_classes(const Tensor& y) {
  std::vector<int> out;
  predict_classes(y, out);
  return out;
}

}  // namespace soma
