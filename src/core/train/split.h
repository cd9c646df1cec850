// Stratified train / validation split and deterministic shuffling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace sclm {

struct Split {
  std::vector<int> train;
  std::vector<int> validation;
};

// A class of fewer cells keeps them all for training: one or two held-out cells say little
// about the epoch but are a large share of what the model could learn of the class.
constexpr std::size_t kMinValidatedClass = 10;

// Per class of at least kMinValidatedClass cells, round(fraction * n) cells, at least one, go to
// validation; smaller classes hold none out. Both parts are sorted.
Split stratified_split(const std::vector<int>& labels, int n_classes, double fraction, std::mt19937_64& rng);

// One epoch's order of `cells` (as many as there are cells) with class c of n_c of them drawn
// n_c^(1 - power) / sum_k n_k^(1 - power) of the time: power 0 each cell once, 1 every class
// alike. Each class's quota (largest remainders) is filled by whole passes over its cells plus a
// random part of one more, so its cells are seen as evenly as the quota allows; then shuffled.
std::vector<int> class_balanced_order(const std::vector<int>& cells, const std::vector<int>& labels, double power,
                                      std::mt19937_64& rng);

}  // namespace sclm
