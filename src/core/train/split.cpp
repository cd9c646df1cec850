#include "train/split.h"

#include <algorithm>
#include <cmath>
#include <map>
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

std::vector<int> class_balanced_order(const std::vector<int>& cells, const std::vector<int>& labels, double power,
                                      std::mt19937_64& rng) {
  if (power < 0 || power > 1) throw std::invalid_argument("class sampling power must be in [0, 1]");
  std::map<int, std::vector<int>> members;  // by class, in label order
  for (const int c : cells) {
    if (c < 0 || c >= static_cast<int>(labels.size())) throw std::invalid_argument("cell out of range");
    members[labels[c]].push_back(c);
  }
  double total = 0;
  for (const auto& [label, m] : members) total += std::pow(static_cast<double>(m.size()), 1 - power);
  std::vector<std::size_t> quota;
  std::vector<std::pair<double, std::size_t>> remainders;  // (share left, class index)
  std::size_t given = 0;
  for (const auto& [label, m] : members) {
    const double share = cells.size() * std::pow(static_cast<double>(m.size()), 1 - power) / total;
    quota.push_back(static_cast<std::size_t>(std::floor(share)));
    given += quota.back();
    remainders.emplace_back(share - std::floor(share), quota.size() - 1);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < cells.size(); ++k, ++given) quota[remainders[k].second]++;
  std::vector<int> order;
  order.reserve(cells.size());
  std::size_t k = 0;
  for (auto& [label, m] : members) {
    const std::size_t q = quota[k++];
    for (std::size_t pass = 0; pass < q / m.size(); ++pass) order.insert(order.end(), m.begin(), m.end());
    std::shuffle(m.begin(), m.end(), rng);
    order.insert(order.end(), m.begin(), m.begin() + q % m.size());
  }
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

}  // namespace sclm
