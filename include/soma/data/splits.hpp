// Deterministic, class-stratified index selections over a labelled set (labels[i] in 0..K-1).
//
// stratified_split(labels, held_count, seed): picks `held_count` indices for the held-out part.
//   Class c (n_c samples of n) gets q_c = floor(held_count * n_c / n) places; the places left
//   over go to the classes with the largest fractional parts (ties: lower class id). Within a
//   class the held-out members are the first q_c of a Fisher-Yates shuffle drawn from
//   Rng(seed, c). Both parts come back sorted ascending. Same inputs -> same split, always.
// class_balanced_order(labels, seed): every class shuffled with Rng(seed, c), then interleaved
//   round-robin (1st of class 0, 1st of class 1, ..., 2nd of class 0, ...; classes that run out
//   are skipped). Its first K entries are a class-balanced subset (train_limit / test_limit).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace soma {

struct SplitIndices {
  std::vector<int64_t> kept;  // ascending
  std::vector<int64_t> held;  // ascending
};

SplitIndices stratified_split(const std::vector<int>& labels, int64_t held_count, uint64_t seed);
std::vector<int64_t> class_balanced_order(const std::vector<int>& labels, uint64_t seed);

}  // namespace soma
