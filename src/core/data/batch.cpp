#include "data/batch.h"

#include <algorithm>
#include <numeric>

namespace sclm {

TokenBatch TokenBatch::to(const torch::Device& device) const {
  if (device.is_cpu()) return *this;
  // From page-locked memory the copies run asynchronously: the host goes on to the next batch
  // while the device copies and computes.
  auto copy = [&](const torch::Tensor& t) { return t.pin_memory().to(device, /*non_blocking=*/true); };
  return {copy(genes), copy(values), copy(padding), padded};
}

TokenBatch make_batch(const TokenStore& store, const std::vector<int>& cells, std::mt19937_64* rng, double drop,
                      bool keep_positions) {
  // Per cell, the store positions of its tokens, with -1 for a token left out in place.
  std::vector<std::vector<int64_t>> kept(cells.size());
  std::bernoulli_distribution dropped(rng != nullptr ? drop : 0.0);
  std::size_t longest = 0;
  for (std::size_t r = 0; r < cells.size(); ++r) {
    const int64_t begin = store.offsets[cells[r]], end = store.offsets[cells[r] + 1];
    int64_t n_kept = 0;
    for (int64_t k = begin; k < end; ++k) {
      const bool keep = rng == nullptr || drop <= 0 || !dropped(*rng);
      n_kept += keep;
      if (keep || keep_positions) kept[r].push_back(keep ? k : -1);
    }
    if (n_kept == 0 && end > begin) {
      if (keep_positions) kept[r][0] = begin; else kept[r].push_back(begin);
    }
    longest = std::max(longest, kept[r].size());
  }
  const int64_t rows = static_cast<int64_t>(cells.size()), cols = static_cast<int64_t>(longest) + 1;
  auto genes = torch::full({rows, cols}, kPadToken, torch::kInt64);
  auto values = torch::full({rows, cols}, kPadToken, torch::kInt64);
  auto padding = torch::ones({rows, cols}, torch::kBool);
  auto g = genes.accessor<int64_t, 2>();
  auto b = values.accessor<int64_t, 2>();
  auto pad = padding.accessor<bool, 2>();
  int64_t filled = 0;
  for (int64_t r = 0; r < rows; ++r) {
    g[r][0] = kClsToken;
    pad[r][0] = false;
    ++filled;
    for (std::size_t t = 0; t < kept[r].size(); ++t) {
      if (kept[r][t] < 0) continue;
      g[r][t + 1] = store.genes[kept[r][t]];
      b[r][t + 1] = store.values[kept[r][t]];
      pad[r][t + 1] = false;
      ++filled;
    }
  }
  return {genes, values, padding, filled < rows * cols};
}

std::vector<std::vector<int>> length_sorted_batches(const TokenStore& store, int batch_size) {
  std::vector<int> order(store.n_cells());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return store.length(a) > store.length(b); });
  std::vector<std::vector<int>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(batch_size))
    batches.emplace_back(order.begin() + start,
                         order.begin() + std::min(order.size(), start + static_cast<std::size_t>(batch_size)));
  return batches;
}

}  // namespace sclm
