#include "soma/data/splits.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "soma/core/error.hpp"
#include "soma/core/rng.hpp"

namespace soma {
namespace {

// Indices of each class, each list shuffled with Rng(seed, class).
std::vector<std::vector<int64_t>> shuffled_by_class(const std::vector<int>& labels, uint64_t seed) {
  int num_classes = 0;
  for (int l : labels) {
    SOMA_CHECK(l >= 0, "labels must be >= 0, got ", l);
    num_classes = std::max(num_classes, l + 1);
  }
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i)
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  for (size_t c = 0; c < by_class.size(); ++c) {
    auto& v = by_class[c];
    Rng rng(seed, c);
    for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[rng.below(k)]);
  }
  return by_class;
}

}  // namespace

SplitIndices stratified_split(const std::vector<int>& labels, int64_t held_count, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(labels.size());
  SOMA_CHECK(held_count >= 0 && held_count <= n, "cannot hold out ", held_count, " of ", n,
             " samples");
  auto by_class = shuffled_by_class(labels, seed);
  const size_t K = by_class.size();
  std::vector<int64_t> quota(K);
  std::vector<std::pair<int64_t, size_t>> remainders;  // (-fractional part numerator, class)
  int64_t given = 0;
  for (size_t c = 0; c < K; ++c) {
    const int64_t nc = static_cast<int64_t>(by_class[c].size());
    quota[c] = held_count * nc / std::max<int64_t>(n, 1);
    given += quota[c];
    remainders.push_back({-(held_count * nc % std::max<int64_t>(n, 1)), c});
  }
  std::sort(remainders.begin(), remainders.end());
  for (size_t k = 0; given < held_count && k < remainders.size(); ++k) {
    ++quota[remainders[k].second];
    ++given;
  }
  SplitIndices s;
  for (size_t c = 0; c < K; ++c) {
    const auto& v = by_class[c];
    s.held.insert(s.held.end(), v.begin(), v.begin() + quota[c]);
    s.kept.insert(s.kept.end(), v.begin() + quota[c], v.end());
  }
  std::sort(s.held.begin(), s.held.end());
  std::sort(s.kept.begin(), s.kept.end());
  return s;
}

std::vector<int64_t> class_balanced_order(const std::vector<int>& labels, uint64_t seed) {
  auto by_class = shuffled_by_class(labels, seed);
  std::vector<int64_t> order;
  order.reserve(labels.size());
  for (size_t round = 0; order.size() < labels.size(); ++round)
    for (const auto& v : by_class)
      if (round < v.size()) order.push_back(v[round]);
  return order;
}

}  // namespace soma
