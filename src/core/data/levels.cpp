#include "data/levels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/normalize.h"

namespace sclm {

void append_levels(const CscView& m, const std::vector<int>& feature_map, int n_features, double scale_factor,
                   int begin, int end, LevelStore& store) {
  check_feature_map(feature_map, n_features, m.n_rows);
  std::vector<std::pair<int, double>> cell;
  for (int j = begin; j < end; ++j) {
    const double total = column_total(m, j);
    cell.clear();
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      const int f = feature_map[m.i[k]];
      if (f >= 0 && m.x[k] > 0) cell.emplace_back(f, m.x[k]);
    }
    std::sort(cell.begin(), cell.end());
    for (std::size_t k = 0; k < cell.size();) {
      double value = 0;
      const int f = cell[k].first;
      for (; k < cell.size() && cell[k].first == f; ++k) value += cell[k].second;
      store.features.push_back(f);
      store.levels.push_back(total > 0 ? static_cast<float>(std::log1p(value / total * scale_factor)) : 0.0f);
    }
    store.offsets.push_back(static_cast<std::int64_t>(store.features.size()));
    store.count_scale.push_back(static_cast<float>(total / scale_factor));
  }
}

void check_levels(const LevelStore& store, int n_features) {
  const auto n = static_cast<std::int64_t>(store.features.size());
  if (store.levels.size() != store.features.size()) throw std::invalid_argument("levels: one level per feature is needed");
  check_cell_offsets(store.offsets, n, "levels");
  if (!store.count_scale.empty() && store.count_scale.size() + 1 != store.offsets.size())
    throw std::invalid_argument("levels: count_scale needs one value per cell");
  for (std::size_t c = 1; c < store.offsets.size(); ++c) {
    for (auto k = store.offsets[c - 1]; k < store.offsets[c]; ++k) {
      if (store.features[k] < 0 || store.features[k] >= n_features)
        throw std::invalid_argument("levels: a feature is outside the vocabulary");
      if (k > store.offsets[c - 1] && store.features[k] <= store.features[k - 1])
        throw std::invalid_argument("levels: a cell's features must be ascending");
      if (!std::isfinite(store.levels[k]) || store.levels[k] < 0)
        throw std::invalid_argument("levels: levels must be finite and non-negative");
    }
  }
}

}  // namespace sclm
