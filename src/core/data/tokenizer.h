// scBERT-style expression-bin tokenizer over a cell's top expressed vocabulary genes.
//
// A cell becomes a set of (gene token, bin token) pairs: its `max_tokens` most expressed genes
// among those in the vocabulary (ties by vocabulary order), each with the bin
// min(floor(bins_per_log2 * log2(1 + CP10k)), max_bin). Gene identity is the position, so no positional
// embedding is needed; a CLS token is added when batching.
#pragma once

#include <cstdint>
#include <vector>

#include "data/csc.h"

namespace sclm {

// Reserved token ids.
constexpr int kPadToken = 0;       // gene and bin vocabularies
constexpr int kClsToken = 1;       // gene vocabulary
constexpr int kMaskToken = 2;      // gene vocabulary (masked pretraining)
constexpr int kGeneTokenOffset = 3;
constexpr int kBinMaskToken = 1;   // bin vocabulary
constexpr int kBinTokenOffset = 2;

struct TokenizerConfig {
  int max_tokens = 256;   // genes kept per cell
  int max_bin = 30;       // bins 0..max_bin; higher values are capped
  double scale_factor = 1e4;
  double bins_per_log2 = 3.0;  // bin width: 1 is scBERT's floor(log2(1 + CP10k)); 2 halves it
};

// Tokens of many cells, flattened: cell c owns entries offsets[c] .. offsets[c+1]-1.
struct TokenStore {
  std::vector<std::int32_t> genes;  // gene token ids (vocabulary index + kGeneTokenOffset)
  std::vector<std::uint8_t> bins;   // bin token ids (bin + kBinTokenOffset)
  std::vector<std::int64_t> offsets{0};

  int n_cells() const { return static_cast<int>(offsets.size()) - 1; }
  int length(int c) const { return static_cast<int>(offsets[c + 1] - offsets[c]); }
};

class BinTokenizer {
 public:
  BinTokenizer(TokenizerConfig config, std::vector<int> feature_map, int n_features);

  int n_features() const { return n_features_; }
  const TokenizerConfig& config() const { return config_; }

  // Expression bin of a raw value in a cell with library size `total`.
  int bin(double value, double total) const;

  // Appends cell `col` of `m` to `store`.
  void tokenize(const CscView& m, int col, TokenStore& store) const;

  // Tokenizes the given columns (all when empty), in order.
  TokenStore tokenize_all(const CscView& m, const std::vector<int>& cols = {}) const;

 private:
  TokenizerConfig config_;
  std::vector<int> feature_map_;  // input row -> vocabulary index or -1
  int n_features_;
};

}  // namespace sclm
