// Stratified train / validation split and deterministic shuffling.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace sclm {

struct Split {
  std::vector<int> train;
  std::vector<int> validation;
};

// Per class, round(fraction * n) cells go to validation (at least one when the class has
// three or more cells, so every class keeps training cells). Both parts are sorted.
Split stratified_split(const std::vector<int>& labels, int n_classes, double fraction, std::mt19937_64& rng);

}  // namespace sclm
