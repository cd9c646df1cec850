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

}  // namespace sclm
