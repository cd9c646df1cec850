#include "data/subvectors.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "data/thinning.h"

namespace sclm {

torch::Tensor dense_levels(const LevelStore& store, const std::vector<int>& cells, int n_features) {
  auto out = torch::zeros({static_cast<int64_t>(cells.size()), n_features}, torch::kFloat32);
  auto a = out.accessor<float, 2>();
  for (std::size_t r = 0; r < cells.size(); ++r)
    for (auto k = store.offsets[cells[r]]; k < store.offsets[cells[r] + 1]; ++k) a[r][store.features[k]] = store.levels[k];
  return out;
}

torch::Tensor downsampled_levels(const LevelStore& store, const std::vector<int>& cells, int n_features,
                                 double strength, std::mt19937_64& rng) {
  if (store.count_scale.size() + 1 != store.offsets.size())
    throw std::invalid_argument("down-sampling needs each cell's count scale (cells stored by append_levels)");
  auto out = dense_levels(store, cells, n_features);
  auto a = out.accessor<float, 2>();
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double log_lowest = std::log1p(-strength);
  std::vector<double> counts;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    const double keep = std::exp(log_lowest * uniform(rng));
    const double scale = store.count_scale[cells[r]];
    const auto begin = store.offsets[cells[r]], end = store.offsets[cells[r] + 1];
    counts.clear();
    bool whole = true;  // values undone from log-normalised data are not counts: left as they are
    for (auto k = begin; k < end && whole; ++k) {
      counts.push_back(std::expm1(static_cast<double>(store.levels[k])) * scale);
      whole = is_whole_count(counts.back());
    }
    if (!whole) continue;
    for (auto k = begin; k < end; ++k) {
      const auto count = static_cast<int>(std::lround(counts[k - begin]));
      const int kept = thinned_count(count, keep, uniform, rng);
      a[r][store.features[k]] = kept > 0 ? static_cast<float>(std::log1p(kept / (keep * scale))) : 0.0f;
    }
  }
  return out;
}

SubvectorLayout::SubvectorLayout(int n_features, std::vector<int> scales) : n_features_(n_features), scales_(std::move(scales)) {
  if (n_features < 1) throw std::invalid_argument("sub-vectors need at least one gene");
  if (scales_.empty()) throw std::invalid_argument("sub-vectors need at least one scale");
  const int largest = *std::max_element(scales_.begin(), scales_.end());
  for (std::size_t s = 0; s < scales_.size(); ++s) {
    if (scales_[s] < 1) throw std::invalid_argument("sub-vector scales must be positive");
    if (largest % scales_[s] != 0)
      throw std::invalid_argument("every sub-vector scale must divide the largest (" + std::to_string(largest) +
                                  "); " + std::to_string(scales_[s]) + " does not");
    if (std::count(scales_.begin(), scales_.end(), scales_[s]) > 1)
      throw std::invalid_argument("sub-vector scales must be distinct");
  }
  n_regions_ = (n_features + largest - 1) / largest;
  first_ = {0};
  for (std::size_t s = 0; s < scales_.size(); ++s) {
    const int n = (n_features + scales_[s] - 1) / scales_[s];
    for (int k = 0; k < n; ++k) {
      token_scale_.push_back(static_cast<int64_t>(s));
      token_region_.push_back(static_cast<int64_t>(k) * scales_[s] / largest);
    }
    first_.push_back(first_.back() + n);
  }
}

std::pair<int, int> SubvectorLayout::genes(int token) const {
  const int s = static_cast<int>(token_scale_.at(token));
  const int begin = (token - first_[s]) * scales_[s];
  return {begin, std::min(n_features_, begin + scales_[s])};
}

std::vector<torch::Tensor> SubvectorLayout::partition(const torch::Tensor& levels) const {
  std::vector<torch::Tensor> out;
  for (int s = 0; s < n_scales(); ++s) {
    const int64_t padded = static_cast<int64_t>(count(s)) * scales_[s];
    auto x = padded > n_features_ ? torch::constant_pad_nd(levels, {0, padded - n_features_}) : levels;
    out.push_back(x.reshape({levels.size(0), count(s), scales_[s]}));
  }
  return out;
}

torch::Tensor SubvectorLayout::assemble(const torch::Tensor& parts) const {
  return parts.reshape({parts.size(0), parts.size(1) * parts.size(2)}).slice(1, 0, n_features_);
}

torch::Tensor hidden_tokens(const SubvectorLayout& layout, int batch, double fraction, std::mt19937_64& rng) {
  const int regions = layout.n_regions();
  if (regions < 2) throw std::invalid_argument("masked sub-vector completion needs at least two gene blocks of the largest scale");
  const int n_hidden = std::clamp(static_cast<int>(std::lround(fraction * regions)), 1, regions - 1);
  auto region_hidden = torch::zeros({batch, regions}, torch::kBool);
  auto a = region_hidden.accessor<bool, 2>();
  std::vector<int> order(regions);
  for (int b = 0; b < batch; ++b) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int k = 0; k < n_hidden; ++k) a[b][order[k]] = true;
  }
  return region_hidden.index_select(1, torch::tensor(layout.token_region(), torch::kInt64));
}

}  // namespace sclm
