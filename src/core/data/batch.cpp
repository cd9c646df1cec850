#include "data/batch.h"

#include <algorithm>

namespace sclm {

TokenBatch TokenBatch::to(const torch::Device& device) const {
  if (device.is_cpu()) return *this;
  return {genes.to(device, /*non_blocking=*/true), bins.to(device, true), padding.to(device, true)};
}

TokenBatch make_batch(const TokenStore& store, const std::vector<int>& cells) {
  int longest = 0;
  for (int c : cells) longest = std::max(longest, store.length(c));
  const int64_t rows = static_cast<int64_t>(cells.size()), cols = longest + 1;
  auto genes = torch::full({rows, cols}, kPadToken, torch::kInt64);
  auto bins = torch::full({rows, cols}, kPadToken, torch::kInt64);
  auto padding = torch::ones({rows, cols}, torch::kBool);
  auto g = genes.accessor<int64_t, 2>();
  auto b = bins.accessor<int64_t, 2>();
  auto pad = padding.accessor<bool, 2>();
  for (int64_t r = 0; r < rows; ++r) {
    const int c = cells[r];
    g[r][0] = kClsToken;
    pad[r][0] = false;
    const int64_t begin = store.offsets[c];
    for (int t = 0; t < store.length(c); ++t) {
      g[r][t + 1] = store.genes[begin + t];
      b[r][t + 1] = store.bins[begin + t];
      pad[r][t + 1] = false;
    }
  }
  return {genes, bins, padding};
}

}  // namespace sclm
