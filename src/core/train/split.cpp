#include "train/split.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sclm {

Split stratified_split(const std::vector<int>& labels, int n_classes, double fraction, std::mt19937_64& rng) {
  if (fraction < 0 || fraction >= 1) throw std::invalid_argument("validation fraction must be in [0, 1)");
  std::vector<std::vector<int>> members(n_classes);
  for (int c = 0; c < static_cast<int>(labels.size()); ++c) {
    if (labels[c] < 0 || labels[c] >= n_classes) throw std::invalid_argument("label out of range");
    members[labels[c]].push_back(c);
  }
  Split split;
  for (auto& cells : members) {
    std::shuffle(cells.begin(), cells.end(), rng);
    std::size_t k = 0;
    if (fraction > 0 && cells.size() >= kMinValidatedClass)
      k = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(fraction * cells.size())));
    if (k > 0 && k >= cells.size()) k = cells.size() - 1;
    split.validation.insert(split.validation.end(), cells.begin(), cells.begin() + k);
    split.train.insert(split.train.end(), cells.begin() + k, cells.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

}  // namespace sclm
