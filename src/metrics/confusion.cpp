#include "soma/metrics/confusion.hpp"

#include <algorithm>

#include "soma/core/error.hpp"

namespace soma {

ConfusionMatrix::ConfusionMatrix(int num_classes) : c_(num_classes) {
  SOMA_CHECK(num_classes >= 1, "confusion matrix: need at least 1 class, got ", num_classes);
  m_.assign(static_cast<size_t>(c_) * static_cast<size_t>(c_), 0);
}

void ConfusionMatrix::add(int pred, int label) {
  SOMA_CHECK_AS(ShapeError, label >= 0 && label < c_, "confusion matrix: label ", label,
                " is outside [0, ", c_, ")");
  SOMA_CHECK_AS(ShapeError, pred >= 0 && pred < c_, "confusion matrix: prediction ", pred,
                " is outside [0, ", c_, ")");
  ++m_[static_cast<size_t>(label) * c_ + pred];
  ++total_;
}

void ConfusionMatrix::add(const std::vector<int>& preds, const std::vector<int>& labels) {
  SOMA_CHECK_AS(ShapeError, preds.size() == labels.size(), "confusion matrix: ", preds.size(),
                " predictions for ", labels.size(), " labels");
  for (size_t i = 0; i < preds.size(); ++i) add(preds[i], labels[i]);
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  SOMA_CHECK_AS(ShapeError, other.c_ == c_, "confusion matrix: cannot merge ", other.c_,
                " classes into ", c_);
  for (size_t i = 0; i < m_.size(); ++i) m_[i] += other.m_[i];
  total_ += other.total_;
}

void ConfusionMatrix::reset() {
  std::fill(m_.begin(), m_.end(), 0);
  total_ = 0;
}

int64_t ConfusionMatrix::correct() const {
  int64_t s = 0;
  for (int c = 0; c < c_; ++c) s += count(c, c);
  return s;
}

double ConfusionMatrix::accuracy() const {
  return total_ > 0 ? static_cast<double>(correct()) / static_cast<double>(total_) : 0.0;
}

std::vector<int64_t> ConfusionMatrix::support() const {
  std::vector<int64_t> s(static_cast<size_t>(c_), 0);
  for (int l = 0; l < c_; ++l)
    for (int p = 0; p < c_; ++p) s[static_cast<size_t>(l)] += count(l, p);
  return s;
}

std::vector<double> ConfusionMatrix::recall() const {
  const auto s = support();
  std::vector<double> r(static_cast<size_t>(c_), 0.0);
  for (int c = 0; c < c_; ++c)
    if (s[static_cast<size_t>(c)] > 0)
      r[static_cast<size_t>(c)] =
          static_cast<double>(count(c, c)) / static_cast<double>(s[static_cast<size_t>(c)]);
  return r;
}

std::vector<double> ConfusionMatrix::precision() const {
  std::vector<double> r(static_cast<size_t>(c_), 0.0);
  for (int p = 0; p < c_; ++p) {
    int64_t col = 0;
    for (int l = 0; l < c_; ++l) col += count(l, p);
    if (col > 0)
      r[static_cast<size_t>(p)] = static_cast<double>(count(p, p)) / static_cast<double>(col);
  }
  return r;
}

double ConfusionMatrix::balanced_accuracy() const {
  const auto s = support();
  const auto r = recall();
  double sum = 0.0;
  int present = 0;
  for (int c = 0; c < c_; ++c) {
    if (s[static_cast<size_t>(c)] == 0) continue;
    sum += r[static_cast<size_t>(c)];
    ++present;
  }
  return present > 0 ? sum / present : 0.0;
}

}  // namespace soma
