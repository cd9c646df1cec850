// Padded tensors for a batch of tokenized cells. Position 0 of every row is the CLS token.
#pragma once

#include <torch/torch.h>

#include <random>
#include <vector>

#include "data/tokenizer.h"

namespace sclm {

struct TokenBatch {
  torch::Tensor genes;    // [B, L] int64 gene token ids
  torch::Tensor values;   // [B, L] int64 value token ids
  torch::Tensor padding;  // [B, L] bool, true at padding positions
  bool padded = true;     // whether any position is padding, known on the host without a device sync

  TokenBatch to(const torch::Device& device) const;
};

// Builds a batch from cells `cells` of `store`; L = 1 + the longest cell in the batch.
// With `rng` and drop > 0, each gene token is left out with probability `drop` (augmentation;
// every cell keeps at least one token). Left-out tokens are removed, or, with keep_positions
// (models whose positions mean something: full-length genes, Linformer, the CNN head), turned
// into padding in place.
TokenBatch make_batch(const TokenStore& store, const std::vector<int>& cells, std::mt19937_64* rng = nullptr,
                      double drop = 0.0, bool keep_positions = false);

// The store's cells in batches of at most `batch_size`, longest cells first, so that each batch
// pads to about the length of all its cells (inference, where the order changes no cell's result).
// Cells of equal length keep their order.
std::vector<std::vector<int>> length_sorted_batches(const TokenStore& store, int batch_size);

}  // namespace sclm
