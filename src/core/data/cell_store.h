// Training cells as a model reads them, filled block by block by store_cells() (api.h), so a host
// reading on-disk data never holds more than one block of counts: a token model's tokens, or an
// SCTrans model's expression levels. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

#include "config/settings.h"

namespace sclm {

// Reserved token ids.
constexpr int kPadToken = 0;       // gene and bin vocabularies
constexpr int kClsToken = 1;       // gene vocabulary
constexpr int kMaskToken = 2;      // gene vocabulary (masked pretraining)
constexpr int kGeneTokenOffset = 3;
constexpr int kBinMaskToken = 1;   // bin vocabulary
constexpr int kBinTokenOffset = 2;

// Tokens of many cells, flattened: cell c owns entries offsets[c] .. offsets[c+1]-1.
struct TokenStore {
  std::vector<std::int32_t> genes;  // gene token ids (vocabulary index + kGeneTokenOffset)
  std::vector<std::int32_t> values;  // value token ids (value + kBinTokenOffset)
  std::vector<std::int64_t> offsets{0};

  int n_cells() const { return static_cast<int>(offsets.size()) - 1; }
  int length(int c) const { return static_cast<int>(offsets[c + 1] - offsets[c]); }
};

// Sparse log1p(CP10k) of the vocabulary genes of many cells (SCTrans's input before it becomes
// sub-vectors): cell c owns entries offsets[c] .. offsets[c+1]-1 (vocabulary index, level),
// ascending by index. CP10k uses the column total over all rows, as the tokenizers do; rows
// mapped to one gene are summed. count_scale[c] is cell c's column total / scale factor, so
// expm1(level) * count_scale is the count again (read by down-sampling; empty in a store filled
// by hand).
struct LevelStore {
  std::vector<std::int32_t> features;
  std::vector<float> levels;
  std::vector<std::int64_t> offsets{0};
  std::vector<float> count_scale;
  int n_cells() const { return static_cast<int>(offsets.size()) - 1; }
};

// The cells of one training run, in the form the model's family reads: levels for SCTrans models
// (is_subvector_model), tokens made with `tokenizer` otherwise. The family is chosen here, once.
struct CellStore {
  CellStore(const ModelConfig& model, const TokenizerConfig& tokenizer_config)
      : holds_levels(is_subvector_model(model)), n_features(model.n_features), tokenizer(tokenizer_config) {}

  bool holds_levels;
  int n_features;
  TokenizerConfig tokenizer;
  TokenStore tokens;  // token models
  LevelStore levels;  // SCTrans models

  int n_cells() const { return holds_levels ? levels.n_cells() : tokens.n_cells(); }
};

}  // namespace sclm
