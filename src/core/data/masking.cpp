#include "data/masking.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace sclm {

MaskedBatch mask_batch(const TokenBatch& batch, MaskTarget target, const PretrainConfig& config, std::mt19937_64& rng) {
  auto genes = batch.genes.clone(), values = batch.values.clone();
  auto targets = torch::full_like(genes, -100);
  auto g = genes.accessor<int64_t, 2>();
  auto v = values.accessor<int64_t, 2>();
  auto t = targets.accessor<int64_t, 2>();
  std::bernoulli_distribution replace(config.mask_replace);
  const auto rows = genes.size(0), cols = genes.size(1);
  for (int64_t r = 0; r < rows; ++r) {
    std::map<int64_t, std::vector<int64_t>> by_value;  // candidate positions per value class
    int64_t n_candidates = 0;
    for (int64_t c = 1; c < cols; ++c) {  // position 0 is CLS
      if (g[r][c] < kGeneTokenOffset) continue;  // padding
      if (target == MaskTarget::kValue && v[r][c] <= kBinTokenOffset) continue;  // a zero (rank tokens never are)
      by_value[config.balanced_masking && target == MaskTarget::kValue ? v[r][c] : 0].push_back(c);
      ++n_candidates;
    }
    if (n_candidates == 0) continue;
    const auto n_mask = std::max<int64_t>(1, std::llround(config.mask_fraction * n_candidates));
    const auto quota = (n_mask + static_cast<int64_t>(by_value.size()) - 1) / static_cast<int64_t>(by_value.size());
    for (auto& [value, positions] : by_value) {
      std::shuffle(positions.begin(), positions.end(), rng);
      const auto take = std::min<int64_t>(quota, positions.size());
      for (int64_t k = 0; k < take; ++k) {
        const auto c = positions[k];
        if (target == MaskTarget::kValue) {
          t[r][c] = v[r][c] - kBinTokenOffset;
          if (replace(rng)) v[r][c] = kBinMaskToken;
        } else {
          t[r][c] = g[r][c] - kGeneTokenOffset;
          if (replace(rng)) g[r][c] = kMaskToken;
        }
      }
    }
  }
  return {{genes, values, batch.padding, batch.padded}, targets};
}

}  // namespace sclm
