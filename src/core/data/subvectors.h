// SCTrans input: a cell's log1p(CP10k) over the vocabulary genes, in vocabulary order, cut into
// consecutive sub-vectors at several sizes (scales). Token k of scale s covers genes
// [k*s, (k+1)*s), the last one zero-padded; the tokens of the scales follow one another in the
// order the scales are given, T = sum over scales of ceil(G / s) tokens. Every scale divides the
// largest, so the sub-vectors nest: a gene block of the largest scale (a "region") holds whole
// sub-vectors of every scale, and masking by region hides a gene at every scale at once.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "data/csc.h"
#include "data/levels.h"

namespace sclm {

// Dense levels [B, G] (float32) of cells `cells` of `store`.
torch::Tensor dense_levels(const LevelStore& store, const std::vector<int>& cells, int n_features);

// The same after binomial down-sampling of each cell's counts (augmentation that mimics shallower
// sequencing): a cell keeps each count with a probability p drawn log-uniformly between
// 1 - `strength` and 1 (exact binomial draws up to 16 counts, the normal approximation above), and
// its levels are log1p(CP10k) again at the expected depth p x total. Cells whose values are not
// whole counts (log-normalised input undone) are left as they are. Needs the store's count_scale
// (std::invalid_argument otherwise).
torch::Tensor downsampled_levels(const LevelStore& store, const std::vector<int>& cells, int n_features,
                                 double strength, std::mt19937_64& rng);

class SubvectorLayout {
 public:
  // Throws std::invalid_argument unless scales are positive, distinct and each divides the largest.
  SubvectorLayout(int n_features, std::vector<int> scales);

  int n_features() const { return n_features_; }
  const std::vector<int>& scales() const { return scales_; }
  int n_scales() const { return static_cast<int>(scales_.size()); }
  int n_tokens() const { return first_.back(); }
  int first_token(int scale_index) const { return first_[scale_index]; }
  int count(int scale_index) const { return first_[scale_index + 1] - first_[scale_index]; }
  int n_regions() const { return n_regions_; }
  // Per token: its scale index and its region (gene block of the largest scale).
  const std::vector<std::int64_t>& token_scale() const { return token_scale_; }
  const std::vector<std::int64_t>& token_region() const { return token_region_; }
  // Genes [begin, end) of token t (end <= n_features: padding is not a gene).
  std::pair<int, int> genes(int token) const;

  // levels [B, G] -> one [B, count(s), scales[s]] tensor per scale (zero-padded at the end).
  std::vector<torch::Tensor> partition(const torch::Tensor& levels) const;
  // The inverse for one scale: [B, count(s), scales[s]] -> [B, G].
  torch::Tensor assemble(const torch::Tensor& parts) const;

 private:
  int n_features_;
  std::vector<int> scales_;
  std::vector<int> first_;  // first token of each scale, then T
  int n_regions_;
  std::vector<std::int64_t> token_scale_, token_region_;
};

// Masked sub-vector completion: per cell, round(fraction * regions) random regions (at least 1,
// and at least one left visible) are hidden; a token is hidden when its region is. [B, T] bool.
torch::Tensor hidden_tokens(const SubvectorLayout& layout, int batch, double fraction, std::mt19937_64& rng);

}  // namespace sclm
